"""Run by tests/test_migrations.py in a child process, against a fresh database.

Migrates to 0016 (the last schema whose sealer read a queue), writes there what that
release left behind: one event sealed, two committed and waiting in the sealer's queue,
and one with neither (as only a row written around the application is). Migrates to
0017, seals and appends through today's code, goes back to 0016 with one event waiting,
and prints what it finds at each step, as JSON.
"""

import json
import sys

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.test import override_settings  # noqa: E402

BEFORE = ("casebook", "0016_grants_carry_case_created")
INSERT_EVENT = (
    "INSERT INTO casebook_accessevent (occurred_at, actor_id, actor_username, role, action, "
    "target, outcome, reason, request_id, details) VALUES ('2026-11-01 09:00:00+00', NULL, "
    "%s, 'system', 'log.view', '', 'allowed', '', '', '{}') RETURNING id"
)


def seed_at_0016() -> list[int]:
    """Four events: the first sealed, two queued (as the 0016 release appended them), the
    last with neither a seal nor a place in the queue."""
    from casebook.audit.canonical import GENESIS_HASH, event_hash, hashed_fields

    events = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    ids = []
    with connection.cursor() as cursor:
        for name in ("system:sealed", "system:queued-1", "system:queued-2", "system:stranded"):
            cursor.execute(INSERT_EVENT, [name])
            ids.append(cursor.fetchone()[0])
        first = events.get_model("casebook", "AccessEvent").objects.get(id=ids[0])
        cursor.execute(
            "INSERT INTO casebook_accessseal (position, event_id, hash, sealed_at) "
            "VALUES (1, %s, %s, now())",
            [ids[0], event_hash(hashed_fields(first, 1), GENESIS_HASH)],
        )
        for event_id in ids[1:3]:
            cursor.execute("INSERT INTO casebook_unsealedevent (event_id) VALUES (%s)", [event_id])
    return ids


def after_upgrade(seeded: list[int]) -> dict:
    from casebook.audit import log
    from casebook.audit.actions import Action, Actor
    from casebook.audit.sealing import seal_all
    from casebook.audit.verification import verify_log
    from casebook.models import AccessEvent, AccessSeal

    recorded = list(
        AccessEvent.objects.filter(id__gt=seeded[-1]).values_list("action", "outcome", "details")
    )
    waiting = verify_log()
    sealed = seal_all()
    whole = verify_log()
    new = log.record(Action.LOG_VIEW, actor=Actor.system("after-upgrade"))
    seal_all()
    with override_settings(CASEBOOK_SEAL_INLINE=False):
        left_waiting = log.record(Action.LOG_VIEW, actor=Actor.system("left waiting"))
    call_command("migrate", *BEFORE, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT event_id FROM casebook_unsealedevent ORDER BY event_id")
        queued_after_going_back = [row[0] for row in cursor.fetchall()]
    return {
        "waiting_verifies": waiting.ok,
        "waiting_sealed": waiting.events,
        "waiting_unsealed": waiting.unsealed,
        "sealed_by_the_new_sealer": sealed,
        "positions": list(
            AccessSeal.objects.order_by("position").values_list("event_id", flat=True)
        )
        == seeded + [seeded[-1] + 1, new],
        "whole_verifies": whole.ok,
        "whole_events": whole.events,
        "new_id_follows": new == seeded[-1] + 2,
        "stranded_recorded": recorded
        == [
            (
                "log.verify",
                "denied",
                {
                    "result": "events with neither a seal nor a place in the sealer's "
                    f"queue when migration 0017 ran: 1 (the first: id {seeded[-1]})"
                },
            )
        ],
        "queued_after_going_back": queued_after_going_back == [left_waiting],
    }


if __name__ == "__main__":
    call_command("migrate", *BEFORE, verbosity=0)
    seeded = seed_at_0016()
    call_command("migrate", verbosity=0)
    sys.stdout.write(json.dumps(after_upgrade(seeded)))
