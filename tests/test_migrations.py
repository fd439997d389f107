"""Migrations: the protective ones cannot be undone, and a database made by the
previous release upgrades with its data."""

import base64
import importlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["0005_access_log_append_only", "0008_release_ledger_rows"])
def test_protective_migrations_cannot_be_unapplied(name):
    migration = importlib.import_module(f"casebook.migrations.{name}").Migration
    assert not all(op.reversible for op in migration.operations), name


def fresh_database(name: str):
    """A new, empty PostgreSQL database beside the test database; dropped afterwards."""
    settings = connection.settings_dict
    base = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return base


@pytest.mark.skipif(connection.vendor != "postgresql", reason="upgrades are tested on PostgreSQL")
def test_a_database_made_by_the_previous_release_upgrades_with_its_data():
    """0008 (the previous main) with cases and a release in it, migrated to the latest."""
    name = f"casebook_upgrade_{secrets.token_hex(4)}"
    base = fresh_database(name)
    try:
        result = subprocess.run(
            [sys.executable, "tests/upgrade_probe.py"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": f"{base}/{name}", "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        found = json.loads(result.stdout)
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert found == {
        "cases": 3,
        "distinct_groups": 3,  # each existing case is its own survivor
        "old_release_snapshot_number": 2,
        "old_release_served": False,  # made before snapshots: never served again
        "snapshot_cases": 2,  # the two counted cases
        "snapshot_codes": 2,
        "dataset_version_table": False,
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="upgrades are tested on PostgreSQL")
def test_a_log_chained_in_its_rows_moves_to_seals_and_its_checkpoints_stay_valid():
    """0012 (the previous main) with a chain written in the event rows and a signed
    checkpoint over it; after 0013 the same chain verifies against that checkpoint, and
    new events are sealed onto its head."""
    name = f"casebook_log_upgrade_{secrets.token_hex(4)}"
    base = fresh_database(name)
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    try:
        result = subprocess.run(
            [sys.executable, "tests/log_upgrade_probe.py"],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": f"{base}/{name}",
                "PYTHONPATH": str(ROOT),
                "CASEBOOK_AUDIT_SIGNING_KEY": key,
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        found = json.loads(result.stdout)
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert found == {
        "old_chain_verifies": True,
        "old_events": 3,
        "old_head_matches_checkpoint": True,
        "new_event_id": 4,  # ids continue after the old sequence numbers
        "new_event_position": 4,
        "extended_chain_verifies": True,
        "extended_events": 4,
        "events": 4,
    }
