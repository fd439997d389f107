#!/bin/sh
# Casebook's web entrypoint: migrate, run the deploy checks, then serve with gunicorn.
# The same script runs in the container and in the test suite (against local PostgreSQL).
# No HTTP access log: request paths carry case references, and who looked at what is
# recorded only in Casebook's own tamper-evident access log.
set -eu

if [ -n "${MIGRATION_DATABASE_URL:-}${MIGRATION_DATABASE_URL_FILE:-}" ]; then
  # Migrate as the tables' owner, then let the application's own role (DATABASE_URL)
  # read and write, but only append to the access log and the privacy ledger.
  # Migrations wait for their locks (a long verification may be reading the log).
  CASEBOOK_DB_LOCK_TIMEOUT_MS=0 \
  DATABASE_URL="${MIGRATION_DATABASE_URL:-}" DATABASE_URL_FILE="${MIGRATION_DATABASE_URL_FILE:-}" \
    python manage.py migrate --noinput
  DATABASE_URL="${MIGRATION_DATABASE_URL:-}" DATABASE_URL_FILE="${MIGRATION_DATABASE_URL_FILE:-}" \
    python manage.py grant_app_role "${CASEBOOK_APP_DB_ROLE:-casebook_app}"
else
  CASEBOOK_DB_LOCK_TIMEOUT_MS=0 python manage.py migrate --noinput
fi
# --database also checks that the key-encryption key is the one the data was encrypted with.
python manage.py check --deploy --database default --fail-level WARNING
# Each web request's statements are limited (exports raise it for themselves).
export CASEBOOK_DB_STATEMENT_TIMEOUT_MS="${CASEBOOK_DB_STATEMENT_TIMEOUT_MS:-15000}"
exec gunicorn config.wsgi:application \
  --bind "${CASEBOOK_BIND:-0.0.0.0:8000}" \
  --workers "${CASEBOOK_WORKERS:-3}" \
  --error-logfile - \
  --forwarded-allow-ips "${CASEBOOK_FORWARDED_ALLOW_IPS:-127.0.0.1}"
