"""Run by tests/test_migrations.py in a child process, against a fresh database.

Migrates to 0015 (the last schema whose grants did not carry their case's creation
time), writes cases at three moments and grants on them, to a person and to a team,
through the historical models (as that release wrote them), migrates to 0016, and
prints what the grants hold then, as JSON.
"""

import datetime as dt
import json
import sys

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

from tests.historical_cases import UPGRADE_CASE_CODES  # noqa: E402

BEFORE = ("casebook", "0015_access_log_queue_key_and_sane_events")
AFTER = ("casebook", "0016_grants_carry_case_created")
MOMENTS = [dt.datetime(2024, 3, day, 8, 15, 30, 123456 * day, tzinfo=dt.UTC) for day in (1, 2, 3)]


def seed_at_0015() -> None:
    apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    group = apps.get_model("auth", "Group").objects.create(name="team:Upgrade Team")
    team = apps.get_model("casebook", "Team").objects.create(name="Upgrade Team", group=group)
    user = apps.get_model("auth", "User").objects.create(username="cw-upgrade")
    view = apps.get_model("auth", "Permission").objects.get(codename="view_casepattern")
    cases = apps.get_model("casebook", "CasePattern")
    for n, moment in enumerate(MOMENTS):
        case = cases.objects.create(
            reference=f"CB-UPGR-000{n}",
            consent_scope="aggregate",
            author=user,
            team=team,
            **UPGRADE_CASE_CODES,
        )
        cases.objects.filter(pk=case.pk).update(created_at=moment)
        apps.get_model("casebook", "CaseUserGrant").objects.create(
            user=user, permission=view, content_object=case
        )
        if n != 1:
            apps.get_model("casebook", "CaseGroupGrant").objects.create(
                group=group, permission=view, content_object=case
            )


def after_upgrade() -> dict:
    apps = MigrationExecutor(connection).loader.project_state(AFTER).apps
    found: dict = {}
    for model in ("CaseUserGrant", "CaseGroupGrant"):
        grants = apps.get_model("casebook", model).objects.order_by("content_object__reference")
        found[model] = [
            [reference, carried.isoformat()]
            for reference, carried in grants.values_list(
                "content_object__reference", "case_created_at"
            )
        ]
    with connection.cursor() as cursor:
        for table in ("casebook_caseusergrant", "casebook_casegroupgrant"):
            columns = connection.introspection.get_table_description(cursor, table)
            found[f"{table} null allowed"] = next(
                column.null_ok for column in columns if column.name == "case_created_at"
            )
            found[f"{table} indexes"] = sorted(
                name
                for name, constraint in connection.introspection.get_constraints(
                    cursor, table
                ).items()
                if constraint["columns"][2:3] == ["case_created_at"]
            )
    return found


if __name__ == "__main__":
    call_command("migrate", *BEFORE, verbosity=0)
    seed_at_0015()
    call_command("migrate", *AFTER, verbosity=0)
    sys.stdout.write(json.dumps(after_upgrade()))
