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
