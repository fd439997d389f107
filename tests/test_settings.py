"""Settings fail closed, and the test database choice is loud about SQLite."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.test_settings import choose_test_database

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = "postgres://postgres@127.0.0.1:1/casebook"


def load_settings(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CASEBOOK_", "DATABASE"))}
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_refuse_to_load_without_a_secret_key():
    result = load_settings(DATABASE_URL="sqlite:///:memory:")
    assert result.returncode != 0
    assert "CASEBOOK_SECRET_KEY" in result.stderr


def test_settings_refuse_to_load_without_a_database():
    result = load_settings(CASEBOOK_SECRET_KEY="fictional-key-for-a-test")
    assert result.returncode != 0
    assert "DATABASE_URL (or DATABASE_URL_FILE) is not set" in result.stderr


def test_settings_read_the_secret_key_from_a_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("fictional-key-from-a-file\n")
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.SECRET_KEY, s.DEBUG)"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "CASEBOOK_SECRET_KEY_FILE": str(key_file),
            "DATABASE_URL": "sqlite:///:memory:",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["fictional-key-from-a-file", "False"]


def test_unreachable_postgres_falls_back_to_sqlite_loudly(capsys):
    assert choose_test_database({"DATABASE_URL": UNREACHABLE}) == "sqlite:///:memory:"
    assert "FALLING BACK TO SQLITE" in capsys.readouterr().err


def test_unreachable_postgres_fails_when_postgres_is_required():
    with pytest.raises(SystemExit, match="CASEBOOK_REQUIRE_POSTGRES=1"):
        choose_test_database({"DATABASE_URL": UNREACHABLE, "CASEBOOK_REQUIRE_POSTGRES": "1"})


def test_suite_runs_on_postgresql_when_required():
    from django.db import connection

    if os.environ.get("CASEBOOK_REQUIRE_POSTGRES") == "1":
        assert connection.vendor == "postgresql"
    else:
        assert connection.vendor in {"postgresql", "sqlite"}


def test_the_web_application_moves_what_it_loaded_out_of_the_collector_s_reach():
    frozen = subprocess.run(
        [sys.executable, "-c", "import gc, config.wsgi; print(gc.get_freeze_count())"],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "CASEBOOK_SECRET_KEY": "fictional-key-for-a-test",
            "DATABASE_URL": "sqlite:///:memory:",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(frozen.stdout) > 10_000  # Django and Casebook, loaded once per worker


def test_on_the_embedded_database_a_transaction_holds_the_write_lock_from_its_start(tmp_path):
    """Two people recording at once on `make run`'s SQLite: each transaction takes the
    write lock as it begins (and waits for it), so none fails halfway ("database is
    locked") when another writer comes between its first read and its first write."""
    script = """
import sqlite3, sys
import django
django.setup()
from django.db import connection, transaction
with connection.cursor() as cursor:
    cursor.execute("PRAGMA busy_timeout")
    print(cursor.fetchone()[0])
    cursor.execute("CREATE TABLE fictional (n INTEGER)")
other = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM fictional")  # read only, so far
    try:
        other.execute("BEGIN IMMEDIATE")
        print("another writer got in")
    except sqlite3.OperationalError as refused:
        print(refused)
"""
    database = tmp_path / "casebook.sqlite3"
    result = subprocess.run(
        [sys.executable, "-c", script, str(database)],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "CASEBOOK_SECRET_KEY": "fictional-key-for-a-test",
            "DATABASE_URL": f"sqlite:///{database}",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split("\n")[:2] == ["20000", "database is locked"]
