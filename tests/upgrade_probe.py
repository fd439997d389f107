"""Run by tests/test_migrations.py in a child process, against a fresh database.

Migrates to the schema of an earlier release, fills it with fictional data through the
historical models (as that release's code would have written it), migrates to the
latest schema, and prints what the new code finds there as JSON.
"""

import json
import sys

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

from tests.historical_cases import UPGRADE_CASE_CODES  # noqa: E402

BEFORE = ("casebook", "0008_release_ledger_rows")


def seed_at_0008() -> None:
    apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    group = apps.get_model("auth", "Group").objects.create(name="team:Upgrade Team")
    team = apps.get_model("casebook", "Team").objects.create(name="Upgrade Team", group=group)
    user = apps.get_model("auth", "User").objects.create(username="cw-upgrade")
    cases = apps.get_model("casebook", "CasePattern")
    for n, scope in enumerate(["aggregate", "aggregate", "internal"]):
        case = cases.objects.create(
            reference=f"CB-UPGR-000{n}",
            consent_scope=scope,
            author=user,
            team=team,
            **UPGRADE_CASE_CODES,
        )
        apps.get_model("casebook", "CaseSubPattern").objects.create(case=case, code="extortion")
    release = apps.get_model("casebook", "Release").objects.create(
        purpose="export",
        dimensions="category",
        data_version=2,
        epsilon=1,
        scale=2.0,
        threshold=10,
        rounding_base=5,
        method="fictional",
        published={"cells": [], "margins": {}, "total": "<10"},
        requested_by=user,
    )
    apps.get_model("casebook", "PrivacyCharge").objects.create(
        period="2026-10", supervisor=user, epsilon=1, release=release
    )


def after_upgrade() -> dict:
    from django.utils import timezone

    from casebook.aggregates.releases import valid_releases
    from casebook.aggregates.snapshots import snapshot_slot, snapshot_take
    from casebook.models import CasePattern, Release, SnapshotCase, SnapshotSubPattern

    groups = list(CasePattern.objects.values_list("survivor_group", flat=True))
    snapshot = snapshot_take(taken_for=snapshot_slot(timezone.now()))
    release = Release.objects.get()
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    return {
        "cases": len(groups),
        "distinct_groups": len({g for g in groups if g is not None}),
        "old_release_snapshot_number": release.snapshot_number,
        "old_release_served": valid_releases("export", "category").exists(),
        "snapshot_cases": SnapshotCase.objects.filter(snapshot=snapshot).count(),
        "snapshot_codes": SnapshotSubPattern.objects.count(),
        "dataset_version_table": "casebook_datasetversion" in tables,
    }


if __name__ == "__main__":
    call_command("migrate", *BEFORE, verbosity=0)
    seed_at_0008()
    call_command("migrate", verbosity=0)
    sys.stdout.write(json.dumps(after_upgrade()))
