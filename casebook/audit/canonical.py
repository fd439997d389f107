"""The canonical encoding of an access-log event, and its chained hash.

A sealed event's hash is the SHA-256 of sorted-key compact JSON (UTF-8, non-ASCII
kept) of its stored fields, its chain position (named "seq", as before seals existed)
and the previous seal's hash. `canonical` is the definition; `split` writes the same
text fast from a row's fields (for the sealer and verification), around the previous
hash, and ISO_UTC has PostgreSQL format a timestamp exactly as Python's isoformat()
does (no fraction when the microseconds are zero).
"""

import hashlib
import json
from datetime import UTC
from json.encoder import encode_basestring  # json.dumps(text, ensure_ascii=False)
from typing import Any

GENESIS_HASH = "0" * 64


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


ISO_UTC = (
    "to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
    "CASE WHEN date_trunc('second', e.occurred_at) = e.occurred_at THEN '' "
    "ELSE to_char(e.occurred_at AT TIME ZONE 'UTC', '.US') END || '+00:00'"
)


def details_text(text_or_value: Any) -> str:
    """An event's details as canonical JSON, from the database's text or a value."""
    if text_or_value == "{}" or text_or_value == {}:
        return "{}"
    value = json.loads(text_or_value) if isinstance(text_or_value, str) else text_or_value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def split(
    seq: int,
    occurred_at: str,
    actor_id: int | None,
    actor_username: str,
    role: str,
    action: str,
    target: str,
    outcome: str,
    reason: str,
    request_id: str,
    details: str,
) -> tuple[str, str]:
    """The canonical text of an event around its previous hash (keys in sorted order).
    Every text column is NOT NULL; `details` is already canonical."""
    text = encode_basestring
    head = (
        f'{{"action":{text(action)},"actor_id":{"null" if actor_id is None else int(actor_id)},'
        f'"actor_username":{text(actor_username)},"details":{details},'
        f'"occurred_at":{text(occurred_at)},"outcome":{text(outcome)},"prev_hash":'
    )
    tail = (
        f',"reason":{text(reason)},"request_id":{text(request_id)},"role":{text(role)},'
        f'"seq":{int(seq)},"target":{text(target)}}}'
    )
    return head, tail


def split_of_row(
    position: int,
    when: str,
    actor_id: int | None,
    username: str,
    role: str,
    action: str,
    target: str,
    outcome: str,
    reason: str,
    request_id: str,
    details: Any,
) -> tuple[str, str] | None:
    """split() of a row as the database gives it (`details` as its text or value), or
    None for a row that has no canonical encoding: a time PostgreSQL cannot write as a
    date, a number or a nesting JSON cannot carry (only a row written around the
    application makes one)."""
    try:
        return split(
            position, when, actor_id, username, role, action, target, outcome, reason,
            request_id, details_text(details),
        )  # fmt: skip
    except (TypeError, ValueError, RecursionError):
        return None
