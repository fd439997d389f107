"""The access log's hash chain, and the sealer that extends it.

Appends (casebook.audit.log) take no lock: each event is inserted in its action's
transaction with an id from a sequence, and queued in UnsealedEvent in the same
transaction. The sealer, one at a time (an advisory lock), takes the committed events
waiting in the queue in id order, gives each the next gapless chain position and the
SHA-256 of its canonical encoding chained to the previous seal's hash, appends those
seals and empties the queue of them, all in one transaction. So:

- a crash between an event's insert and its seal loses nothing: the event and its
  place in the queue were committed together, and the next pass seals it;
- a crash during sealing leaves nothing half done: the seals and the queue's deletions
  commit or roll back together;
- nothing is sealed twice: one sealer at a time, and a unique seal per event;
- an event committed after a later id was sealed (ids are drawn before commit) is
  sealed when it appears, at the next position: the chain records commit order as the
  sealer saw it, never id order.

Event rows are never updated; a seal row is never updated. The hash covers exactly what
it covered before seals existed (the position under its old name, "seq"), so the hashes
and checkpoints of the old chain stay valid.
"""

import hashlib
import json
from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from casebook.db import SEALER_LOCK, advisory_lock, fault_pause
from casebook.models import AccessEvent, AccessSeal, UnsealedEvent

GENESIS_HASH = "0" * 64
BATCH = 5000


def canonical(event: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: sorted-key compact JSON, UTF-8."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical({**fields, "prev_hash": prev_hash})).hexdigest()


def hashed_fields(event: Any, position: int) -> dict[str, Any]:
    """What a sealed event's hash covers: its chain position (named "seq", as before
    seals existed) and every stored column but its id."""
    return {
        "seq": position,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "role": event.role,
        "action": event.action,
        "target": event.target,
        "outcome": event.outcome,
        "reason": event.reason,
        "request_id": event.request_id,
        "details": event.details,
    }


def chain_head() -> tuple[int, str]:
    """The newest seal's position and hash (0 and the genesis hash before the first)."""
    head = AccessSeal.objects.order_by("-position").values_list("position", "hash").first()
    return head if head else (0, GENESIS_HASH)


def seal_waiting(limit: int = BATCH) -> int:
    """Seal up to `limit` committed events waiting in the queue; return how many."""
    with transaction.atomic():
        advisory_lock(SEALER_LOCK)
        waiting = list(
            UnsealedEvent.objects.order_by("event_id").values_list("event_id", flat=True)[:limit]
        )
        if not waiting:
            return 0
        already = set(
            AccessSeal.objects.filter(event_id__in=waiting).values_list("event_id", flat=True)
        )
        if already:  # queued again after its seal (only tampering does it): not twice
            UnsealedEvent.objects.filter(event_id__in=already).delete()
        position, prev_hash = chain_head()
        now = timezone.now()
        seals = []
        unsealed = [event_id for event_id in waiting if event_id not in already]
        for event in AccessEvent.objects.filter(id__in=unsealed).order_by("id"):
            position += 1
            prev_hash = event_hash(hashed_fields(event, position), prev_hash)
            seals.append(
                AccessSeal(position=position, event_id=event.id, hash=prev_hash, sealed_at=now)
            )
        AccessSeal.objects.bulk_create(seals)
        # A queued id without its event (only tampering makes one) stays queued, and
        # verification names it.
        UnsealedEvent.objects.filter(event_id__in=[seal.event_id for seal in seals]).delete()
        fault_pause("seal_before_commit")  # the fault suite's hook; else nothing
    return len(seals) + len(already)


def seal_all() -> int:
    """Seal every event waiting now (a loop of seal_waiting); return how many."""
    total = 0
    while sealed := seal_waiting():
        total += sealed
    return total
