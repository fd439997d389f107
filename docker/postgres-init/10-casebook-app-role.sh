#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised: create the role the web
# application connects as. It owns nothing; `grant_app_role` (run by the web
# entrypoint after each migration) gives it read/write on ordinary tables and
# append-only access to the access log and the privacy ledger.
set -eu
password="$(cat /run/secrets/app_db_password)"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=password="$password" <<'SQL'
CREATE ROLE casebook_app LOGIN PASSWORD :'password';
SQL
