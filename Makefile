# Two commands do all set-up on a fresh machine:
#   make run   - Casebook with an embedded SQLite database and synthetic demo data
#   make test  - ruff, mypy and the whole test suite, against PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VAR := $(CURDIR)/var

RUN_ENV := DATABASE_URL=sqlite:///$(VAR)/casebook.sqlite3 \
	CASEBOOK_SECRET_KEY_FILE=$(VAR)/secret_key \
	CASEBOOK_KEK_FILE=$(VAR)/kek \
	CASEBOOK_AUDIT_SIGNING_KEY_FILE=$(VAR)/audit-signing-key \
	CASEBOOK_ALLOWED_HOSTS=127.0.0.1,localhost \
	CASEBOOK_INSECURE_LOCAL_HTTP=1 \
	CASEBOOK_STATIC_ROOT=$(VAR)/static \
	CASEBOOK_DEMO=1 \
	CASEBOOK_DEMO_CODES_FILE=$(VAR)/demo-backup-codes.txt

.PHONY: run test lint install catalogues messages faults bench

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# The Korean catalogue, compiled with polib (no system gettext needed).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
%.mo: %.po $(VENV)/.installed
	CASEBOOK_SECRET_KEY=unused DATABASE_URL=sqlite:// $(PY) manage.py compile_catalogues

catalogues: $(CATALOGUES)

# Extract every translatable string into the Korean catalogue (needs GNU gettext).
messages: install
	CASEBOOK_SECRET_KEY=unused DATABASE_URL=sqlite:// $(PY) manage.py makemessages -l ko \
		--no-location --ignore='.venv/*' --ignore='tests/*' --ignore='bench/*' --ignore='var/*'

# Local secrets, generated once and never committed (var/ is ignored).
$(VAR)/%:
	mkdir -p $(VAR)
	umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(32))' > $@

# A local development key-encryption key, made once (never committed).
$(VAR)/kek:
	mkdir -p $(VAR)
	umask 077 && CASEBOOK_SECRET_KEY=unused DATABASE_URL=sqlite:// \
		$(PY) manage.py generate_key --key-version 1 > $@

# A local access-log signing key (Ed25519), made once (never committed).
$(VAR)/audit-signing-key:
	mkdir -p $(VAR)
	umask 077 && CASEBOOK_SECRET_KEY=unused DATABASE_URL=sqlite:// \
		$(PY) manage.py generate_key --signing > $@

run: install catalogues $(VAR)/secret_key $(VAR)/demo-password $(VAR)/kek $(VAR)/audit-signing-key
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(RUN_ENV) CASEBOOK_DEMO_PASSWORD="$$(cat $(VAR)/demo-password)" $(PY) manage.py seed_demo
	@echo "Password of every demo account: $$(cat $(VAR)/demo-password)"
	@echo "Casebook: http://127.0.0.1:8000/"
	@# The scheduler (snapshots, the dashboard, drafts' expiry) runs beside the server.
	$(RUN_ENV) $(PY) manage.py casebook_jobs --loop & jobs=$$!; \
	trap 'kill $$jobs 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(PY) manage.py runserver --noreload 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy casebook config

# pytest exits 5 when it collects no test: that is a failure here, never a pass.
test: lint catalogues
	$(PY) -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing." >&2; exit 1; fi; \
	exit $$status

# The whole fault suite (its short part also runs in `make test`).
faults: install catalogues
	$(PY) -m pytest tests/test_faults.py -m 'fault_full or not fault_full'

# Every benchmark beside its floor, in one table (needs several GB free; bench/run.py).
bench: install catalogues
	cd bench && ../$(PY) run.py
