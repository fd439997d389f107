"""Appends to the access log.

An append runs in the caller's transaction: if the action rolls back, so does its
event, and if the event cannot be written, the action fails ("no log, no access"). It
takes no lock and writes one row: the event gets an id from a sequence (rolled-back
transactions leave gaps), and the sealer (casebook.audit.sealing) gives it, once
committed, its gapless chain position and the SHA-256 of its canonical encoding chained
to the previous seal's hash. Where CASEBOOK_SEAL_INLINE is set (the
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
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from casebook.audit.actions import Actor, Outcome, ensure_registered
from casebook.audit.sealing import seal_waiting
from casebook.db import prepared
from casebook.models import AccessEvent

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
) -> int:
    """Append one event, inside the caller's transaction (or its own); return its id."""
    ensure_registered(action)
    details = {key: _storable(value) for key, value in (details or {}).items()}
    if unknown := set(details) - ALLOWED_DETAILS:
        raise DetailNotAllowed(f"Access-log details may not carry {sorted(unknown)}.")
    if _has_float(details):
        # A float may not survive the database's JSON unchanged, and the hash covers it.
        raise DetailNotAllowed("Access-log details carry numbers as integers or text.")
    row = (
        timezone.now(),
        actor.id,
        _storable(actor.username)[:150],
        actor.role,
        action,
        _storable(target)[:64],
        outcome.value,
        _storable(reason)[:MAX_REASON],
        request_id_var.get()[:64],
        details,
    )
    if settings.CASEBOOK_SEAL_INLINE:
        with transaction.atomic():
            event_id = _insert(row)
            seal_waiting()
        return event_id
    return _insert(row)


# One statement, one round trip. The id is drawn by migration 0017's trigger, which
# replaces the NULL given here (so the column's own default draws none); without the
# trigger the append fails on the NULL id: it never writes an event the sealer could
# not reach.
APPEND = (
    'INSERT INTO "casebook_accessevent" (id, occurred_at, actor_id, actor_username, role, '
    "action, target, outcome, reason, request_id, details) VALUES (NULL, %s, %s, %s, %s, %s, "
    "%s, %s, %s, %s, %s::jsonb) RETURNING id"
)


def _insert(row: tuple[Any, ...]) -> int:
    """Write one event's row (EVENT_COLUMNS but the id); return its id."""
    if connection.vendor != "postgresql":
        return int(AccessEvent.objects.create(**dict(zip(EVENT_COLUMNS[1:], row, strict=True))).id)
    returned = prepared(APPEND, [*row[:-1], json.dumps(row[-1])])
    if not returned:  # RETURNING gives the row of every insert that succeeds
        raise DatabaseError("The access log's append returned no id.")
    return int(returned[0][0])
