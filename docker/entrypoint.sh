#!/bin/sh
# Casebook's web entrypoint: migrate, run the deploy checks, then serve with gunicorn.
# The same script runs in the container and in the test suite (against local PostgreSQL).
# No HTTP access log: request paths carry case references, and who looked at what is
# recorded only in Casebook's own tamper-evident access log.
set -eu

python manage.py migrate --noinput
# --database also checks that the key-encryption key is the one the data was encrypted with.
python manage.py check --deploy --database default --fail-level WARNING
exec gunicorn config.wsgi:application \
  --bind "${CASEBOOK_BIND:-0.0.0.0:8000}" \
  --workers "${CASEBOOK_WORKERS:-3}" \
  --error-logfile - \
  --forwarded-allow-ips "${CASEBOOK_FORWARDED_ALLOW_IPS:-127.0.0.1}"
