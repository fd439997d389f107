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


def probe(script: str, prefix: str, env: dict[str, str] | None = None) -> dict:
    """What `script` prints (JSON), run in a child process against a new database."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    base = fresh_database(name)
    try:
        result = subprocess.run(
            [sys.executable, script],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": f"{base}/{name}",
                "PYTHONPATH": str(ROOT),
                **(env or {}),
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout)
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="upgrades are tested on PostgreSQL")
def test_a_database_made_by_the_previous_release_upgrades_with_its_data():
    """0008 (the previous main) with cases and a release in it, migrated to the latest."""
    found = probe("tests/upgrade_probe.py", "casebook_upgrade")
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
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    found = probe(
        "tests/log_upgrade_probe.py", "casebook_log_upgrade", {"CASEBOOK_AUDIT_SIGNING_KEY": key}
    )
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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="upgrades are tested on PostgreSQL")
def test_grants_made_before_0016_carry_their_case_s_creation_time_after_it():
    """0015 (the previous main) with grants to a person and to a team on cases of three
    moments; after 0016 each grant holds its own case's time, to the microsecond, the
    column is required and the grants' newest-case-first indexes exist."""
    found = probe("tests/grant_upgrade_probe.py", "casebook_grant_upgrade")
    assert found == {
        "CaseUserGrant": [
            ["CB-UPGR-0000", "2024-03-01T08:15:30.123456+00:00"],
            ["CB-UPGR-0001", "2024-03-02T08:15:30.246912+00:00"],
            ["CB-UPGR-0002", "2024-03-03T08:15:30.370368+00:00"],
        ],
        "CaseGroupGrant": [
            ["CB-UPGR-0000", "2024-03-01T08:15:30.123456+00:00"],
            ["CB-UPGR-0002", "2024-03-03T08:15:30.370368+00:00"],
        ],
        "casebook_caseusergrant null allowed": False,
        "casebook_caseusergrant indexes": ["user_grant_newest_case_first"],
        "casebook_casegroupgrant null allowed": False,
        "casebook_casegroupgrant indexes": ["group_grant_newest_case_first"],
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="upgrades are tested on PostgreSQL")
def test_events_waiting_in_the_0016_queue_are_sealed_after_0017_and_requeued_going_back():
    """0016 (the previous main) with one event sealed, two waiting in the sealer's queue
    and one tampered in with neither; 0017 records the tampered one as a broken
    verification before it drops the queue; after it the others are waiting, not
    stranded, the sealer seals them after the first, a new event's id follows the old
    ones, and going back to 0016 queues the one event still waiting."""
    found = probe("tests/sealer_upgrade_probe.py", "casebook_sealer_upgrade")
    assert found == {
        "waiting_verifies": True,
        "waiting_sealed": 1,
        "waiting_unsealed": 4,
        "sealed_by_the_new_sealer": 4,
        "positions": True,
        "whole_verifies": True,
        "whole_events": 5,
        "new_id_follows": True,
        "stranded_recorded": True,
        "queued_after_going_back": True,
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="upgrades are tested on PostgreSQL")
def test_people_signed_in_before_0018_stay_signed_in_after_it():
    """0017 (the previous main) with a live session naming Django's ModelBackend, an
    expired one and one that does not decode; after 0018 the live one names the
    account backend that replaced it, keeps the rest and still finds its person."""
    found = probe("tests/session_upgrade_probe.py", "casebook_session_upgrade")
    assert found == {
        "live": "casebook.accounts.backend.AccountBackend",
        "live_language_kept": "ko",
        "expired": "django.contrib.auth.backends.ModelBackend",  # no one's any more
        "undecodable_left": "not a session",
        "found_again": True,
        "after_going_back": "django.contrib.auth.backends.ModelBackend",
    }
