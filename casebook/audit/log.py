"""Appends to the access log.

An append runs in the caller's transaction: if the action rolls back, so does its
event, and if the event cannot be written, the action fails ("no log, no access"). It
takes no lock: the event gets an id from a sequence (rolled-back transactions leave
gaps) and a place in the sealer's queue, and the sealer (casebook.audit.sealing) gives
it, once committed, its gapless chain position and the SHA-256 of its canonical
encoding chained to the previous seal's hash. Where CASEBOOK_SEAL_INLINE is set (the
embedded SQLite default, which serialises writers anyway, and most tests) the append
seals at once, inside the caller's transaction (which then holds the sealer's lock
until it commits).

The log never holds testimony or true aggregate counts: `details` takes only the
keys in ALLOWED_DETAILS, with short values.
"""

import contextvars
import json
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from casebook.audit.actions import Actor, Outcome, ensure_registered
from casebook.audit.sealing import seal_waiting
from casebook.models import AccessEvent, UnsealedEvent

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

# Every stored column of an event, in order (for CSV downloads).
EVENT_COLUMNS = (
    "id",
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
)

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def _storable(value: Any) -> Any:
    """Text as the database can store it: NUL characters (which PostgreSQL refuses in
    text and JSON) removed, in strings and in lists and mappings of them, at any depth."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {_storable(str(key)): _storable(item) for key, item in value.items()}
    return value


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list | tuple):
        return any(_has_float(item) for item in value)
    if isinstance(value, dict):
        return any(_has_float(item) for item in value.values())
    return False


class DetailNotAllowed(ValueError):
    """An event's details named a key outside ALLOWED_DETAILS."""


def record(
    action: str,
    *,
    actor: Actor,
    outcome: Outcome = Outcome.ALLOWED,
    target: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AccessEvent:
    """Append one event, inside the caller's transaction (or its own)."""
    ensure_registered(action)
    details = {key: _storable(value) for key, value in (details or {}).items()}
    if unknown := set(details) - ALLOWED_DETAILS:
        raise DetailNotAllowed(f"Access-log details may not carry {sorted(unknown)}.")
    if _has_float(details):
        # A float may not survive the database's JSON unchanged, and the hash covers it.
        raise DetailNotAllowed("Access-log details carry numbers as integers or text.")
    event = AccessEvent(
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
    )
    if settings.CASEBOOK_SEAL_INLINE:
        with transaction.atomic():
            _insert(event)
            seal_waiting()
    else:
        _insert(event)
    return event


# The event and its place in the sealer's queue, in one statement: atomic by itself
# (outside a transaction) and one round trip to the database.
APPEND = (
    "WITH event AS (INSERT INTO {events} (occurred_at, actor_id, actor_username, role, action, "
    "target, outcome, reason, request_id, details) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, "
    "%s::jsonb) RETURNING id) INSERT INTO {queue} (event_id) SELECT id FROM event "
    "RETURNING event_id"
)


def _insert(event: AccessEvent) -> None:
    if connection.vendor != "postgresql":
        with transaction.atomic():
            event.save(force_insert=True)
            UnsealedEvent.objects.create(event_id=event.id)
        return
    statement = APPEND.format(
        events=connection.ops.quote_name(AccessEvent._meta.db_table),
        queue=connection.ops.quote_name(UnsealedEvent._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            [
                event.occurred_at,
                event.actor_id,
                event.actor_username,
                event.role,
                event.action,
                event.target,
                event.outcome,
                event.reason,
                event.request_id,
                json.dumps(event.details),
            ],
        )
        event.id = cursor.fetchone()[0]
    event._state.adding = False  # as if saved through the ORM
    event._state.db = connection.alias
