"""Backup with pg_dump and restore into a new database, as docs/operations.md says:
cases decrypt with the key and the access log verifies."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.cases import records
from casebook.roles import Role
from tests import factories
from tests.transactional import LoggedTransactionTestCase

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="backup and restore use pg_dump and pg_restore"
)
READ_BACK = """
import django; django.setup()
from django.contrib.auth.models import User
from casebook.cases import access
user = User.objects.get(username="cw-author")
print(access.case_read(user=user, reference="{reference}").testimony.narrative)
"""


class BackupRestoreTests(LoggedTransactionTestCase):
    def test_restored_backup_decrypts_with_the_key_and_its_log_verifies(self):
        factories.team("Test Team Alpha")
        author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        case = factories.case(
            author, testimony=records.Testimony(narrative="RESTORED-FICTIONAL-NARRATIVE")
        )
        log.record(Action.LOG_VIEW, actor=Actor.of(author))
        settings = connection.settings_dict
        server = ["-h", settings["HOST"], "-p", str(settings["PORT"]), "-U", settings["USER"]]
        restored = f"casebook_restore_{secrets.token_hex(4)}"
        dump = subprocess.run(
            ["/usr/bin/pg_dump", "-Fc", *server, settings["NAME"]],
            capture_output=True,
            check=True,
        ).stdout
        assert b"RESTORED-FICTIONAL-NARRATIVE" not in dump
        base = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{restored}"')
        try:
            subprocess.run(
                ["/usr/bin/pg_restore", "--no-owner", *server, "-d", restored],
                input=dump,
                capture_output=True,
                check=True,
            )
            env = {
                "PATH": os.environ["PATH"],
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": f"{base}/{restored}",
                "CASEBOOK_SECRET_KEY": secrets.token_urlsafe(50),
                "CASEBOOK_KEK": os.environ["CASEBOOK_KEK"],
            }
            verified = subprocess.run(
                [sys.executable, "manage.py", "verify_access_log"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert verified.returncode == 0, verified.stderr
            assert "Access log intact" in verified.stdout
            read = subprocess.run(
                [sys.executable, "-c", READ_BACK.format(reference=case.reference)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert read.returncode == 0, read.stderr
            assert read.stdout.strip() == "RESTORED-FICTIONAL-NARRATIVE"
            without_key = subprocess.run(
                [sys.executable, "-c", READ_BACK.format(reference=case.reference)],
                cwd=ROOT,
                env={**env, "CASEBOOK_KEK": "1:" + "B" * 43 + "="},
                capture_output=True,
                text=True,
                check=False,
            )
            assert without_key.returncode != 0 and "RESTORED" not in without_key.stdout
        finally:
            with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
