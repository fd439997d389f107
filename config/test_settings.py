"""Settings for the test suite: the real settings, with a throwaway secret and PostgreSQL.

The database is DATABASE_URL or the local PostgreSQL server. When no PostgreSQL
answers, the suite falls back to SQLite with a loud warning, unless
CASEBOOK_REQUIRE_POSTGRES=1, in which case it stops.
"""

import base64
import os
import secrets
import sys
import tempfile
from pathlib import Path

import psycopg

DEFAULT_TEST_DATABASE = "postgres://postgres@127.0.0.1:5432/casebook"


def choose_test_database(environ: dict[str, str]) -> str:
    """The database URL the suite runs against (see the module docstring)."""
    url = environ.get("DATABASE_URL") or DEFAULT_TEST_DATABASE
    if not url.startswith(("postgres://", "postgresql://")):
        return url
    try:
        # Connect to the maintenance database: the test database is created by Django.
        with psycopg.connect(
            url.rsplit("/", 1)[0] + "/postgres", connect_timeout=3, autocommit=True
        ):
            return url
    except psycopg.Error as error:
        if environ.get("CASEBOOK_REQUIRE_POSTGRES") == "1":
            raise SystemExit(
                f"CASEBOOK_REQUIRE_POSTGRES=1 but PostgreSQL at {url} does not answer: {error}"
            ) from error
        banner = "!" * 78
        print(
            f"\n{banner}\n!! PostgreSQL at {url} does not answer ({error}).\n"
            "!! FALLING BACK TO SQLITE: the database triggers and PostgreSQL-only\n"
            "!! behaviour are NOT tested. Set CASEBOOK_REQUIRE_POSTGRES=1 to refuse.\n"
            f"{banner}\n",
            file=sys.stderr,
        )
        return "sqlite:///:memory:"


os.environ["DATABASE_URL"] = choose_test_database(dict(os.environ))
os.environ.setdefault("CASEBOOK_SECRET_KEY", secrets.token_urlsafe(50))
# A throwaway key-encryption key for this run only.
os.environ.setdefault("CASEBOOK_KEK", "1:" + base64.urlsafe_b64encode(os.urandom(32)).decode())

# Test cases hold one transaction open for a whole class (and some wait on a subprocess
# meanwhile): the production limit on idle transactions would end their connection. The
# fault suite runs the production settings, with the limit.
os.environ.setdefault("CASEBOOK_DB_IDLE_IN_TRANSACTION_MS", "0")

from config.settings import *  # noqa: E402,F403

# Appends seal themselves, so that a test reads a sealed chain after each action; the
# log's own tests (tests/test_sealing.py) run the sealer apart, as production does.
CASEBOOK_SEAL_INLINE = True

# Fast hashing for throwaway test accounts only.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="casebook-static-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The test client speaks plain HTTP. Production's HTTPS redirect and headers are
# tested through the real entrypoint in tests/test_deployment.py.
SECURE_SSL_REDIRECT = False

# Each run gets a test database of its own, so that two runs on one machine never drop
# each other's (pytest-django creates it and drops it at the end).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": f"test_casebook_{os.getpid()}_{secrets.token_hex(3)}"
    }
