"""Run by tests/test_migrations.py in a child process, against a fresh database.

Migrates to 0012 (the last release whose events carried their own hashes), writes a
chain there as that release wrote it (each event's seq, prev_hash and hash in its row;
a zero-microsecond timestamp, Korean text, details in any key order) and a checkpoint
signed over its head, migrates to the latest schema, appends through today's code, and
prints what verification finds, as JSON.
"""

import datetime as dt
import hashlib
import json
import os
import sys

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

BEFORE = ("casebook", "0012_accounts_progress_submissions_refusals")
OLD_EVENTS = [
    ("log.view", "", {}),
    ("case.update", "CB-0000-0001", {"changed": ["year", "narrative"], "rows": 3}),
    ("case.access", "가상의-대상", {"result": "시험 결과", "method": "GET"}),
]


def old_hash(fields: dict, prev_hash: str) -> str:
    """The 0012 release's event hash (casebook.audit.log.event_hash as it was)."""
    text = json.dumps(
        {**fields, "prev_hash": prev_hash}, sort_keys=True, separators=(",", ":"),
        ensure_ascii=False,
    )  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def seed_at_0012() -> dict:
    from casebook.audit.checkpoints import checkpoint_message
    from casebook.crypto import signing

    apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    events = apps.get_model("casebook", "AccessEvent")
    prev = "0" * 64
    start = dt.datetime(2026, 11, 1, 9, 0, 0, tzinfo=dt.UTC)
    for seq, (action, target, details) in enumerate(OLD_EVENTS, start=1):
        occurred = start + dt.timedelta(seconds=seq, microseconds=0 if seq == 1 else 1234 * seq)
        fields = {
            "seq": seq,
            "occurred_at": occurred.isoformat(),
            "actor_id": None,
            "actor_username": "가상-감사관",
            "role": "system",
            "action": action,
            "target": target,
            "outcome": "allowed",
            "reason": "",
            "request_id": "",
            "details": details,
        }
        digest = old_hash(fields, prev)
        events.objects.create(
            seq=seq,
            occurred_at=occurred,
            actor_id=None,
            actor_username="가상-감사관",
            role="system",
            action=action,
            target=target,
            outcome="allowed",
            reason="",
            request_id="",
            details=details,
            prev_hash=prev,
            hash=digest,
        )
        prev = digest
    key = signing.load_signing_key()
    seq = len(OLD_EVENTS)
    return {
        "seq": seq,
        "head_hash": prev,
        "signed_at": start.isoformat(),
        "public_key": signing.public_key_text(key),
        "signature": signing.sign(key, checkpoint_message(seq, prev)),
    }


def after_upgrade(checkpoint: dict) -> dict:
    from casebook.audit import log
    from casebook.audit.actions import Action, Actor
    from casebook.audit.sealing import seal_all
    from casebook.audit.verification import verify_log
    from casebook.models import AccessEvent, AccessSeal

    kept = verify_log([checkpoint])
    new = log.record(Action.LOG_VIEW, actor=Actor.system("after-upgrade"))
    seal_all()
    extended = verify_log([checkpoint])
    return {
        "old_chain_verifies": kept.ok,
        "old_events": kept.events,
        "old_head_matches_checkpoint": kept.head_hash == checkpoint["head_hash"],
        "new_event_id": new,
        "new_event_position": AccessSeal.objects.get(event_id=new).position,
        "extended_chain_verifies": extended.ok,
        "extended_events": extended.events,
        "events": AccessEvent.objects.count(),
    }


if __name__ == "__main__":
    os.environ.setdefault("CASEBOOK_SEAL_INLINE", "0")
    call_command("migrate", *BEFORE, verbosity=0)
    signed = seed_at_0012()
    call_command("migrate", verbosity=0)
    sys.stdout.write(json.dumps(after_upgrade(signed)))
