"""Appends to the access log's hash chain.

Every event carries the SHA-256 of its canonical encoding and of the previous event's
hash. Appends are serialised (a transaction-scoped advisory lock on PostgreSQL), so
the chain stays linear and the sequence gapless. An append runs in the caller's
transaction: if the action rolls back, so does its event, and if the event cannot be
written, the action fails ("no log, no access").

The log never holds testimony or true aggregate counts: `details` takes only the
keys in ALLOWED_DETAILS, with short values.
"""

import contextvars
import hashlib
import json
from datetime import UTC
from typing import Any

from django.db import transaction
from django.utils import timezone

from casebook.audit.actions import Actor, Outcome, ensure_registered
from casebook.db import ACCESS_LOG_LOCK, advisory_lock
from casebook.models import AccessEvent

GENESIS_HASH = "0" * 64
MAX_REASON = 2000
ALLOWED_DETAILS = {
    "changed",
    "holder",
    "dimensions",
    "epsilon",
    "filters",
    "rows",
    "result",
    "rotated",
    "key_version",
    "checkpoint",
    "path",
    "method",
    "linked",
    "folded",
}

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def canonical(event: dict[str, Any]) -> bytes:
    """The bytes an event's hash covers: sorted-key compact JSON, UTF-8."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical({**fields, "prev_hash": prev_hash})).hexdigest()


# Every stored column of an event, in order: for verification reads and CSV downloads.
EVENT_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_username",
    "role",
    "action",
    "target",
    "outcome",
    "reason",
    "request_id",
    "details",
    "prev_hash",
    "hash",
)


def hashed_fields(event: Any) -> dict[str, Any]:
    """The fields of a stored event that its hash covers (everything but the hashes)."""
    return {
        "seq": event.seq,
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


def _storable(value: Any) -> Any:
    """Text as the database can store it: NUL characters (which PostgreSQL refuses in
    text and JSON) removed, in strings and in lists of strings."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    return value


class DetailNotAllowed(ValueError):
    """An event's details named a key outside ALLOWED_DETAILS."""


def lock_the_chain() -> None:
    """Hold the chain's head still until the transaction ends (appends, checkpoints)."""
    advisory_lock(ACCESS_LOG_LOCK)


def record(
    action: str,
    *,
    actor: Actor,
    outcome: Outcome = Outcome.ALLOWED,
    target: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AccessEvent:
    """Append one event to the chain, inside the caller's transaction (or its own)."""
    ensure_registered(action)
    details = {key: _storable(value) for key, value in (details or {}).items()}
    if unknown := set(details) - ALLOWED_DETAILS:
        raise DetailNotAllowed(f"Access-log details may not carry {sorted(unknown)}.")
    if any(isinstance(value, float) for value in details.values()):
        # A float may not survive the database's JSON unchanged, and the hash covers it.
        raise DetailNotAllowed("Access-log details carry numbers as integers or text.")
    with transaction.atomic():
        lock_the_chain()
        head = AccessEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        event = AccessEvent(
            seq=seq,
            occurred_at=timezone.now(),
            actor_id=actor.id,
            actor_username=_storable(actor.username)[:150],
            role=actor.role,
            action=action,
            target=_storable(target)[:64],
            outcome=outcome.value,
            reason=_storable(reason)[:MAX_REASON],
            request_id=request_id_var.get()[:64],
            details=details,
            prev_hash=prev_hash,
        )
        event.hash = event_hash(hashed_fields(event), prev_hash)
        event.save(force_insert=True)
    return event
