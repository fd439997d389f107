"""Reading the chain out for verification, fast, with exactly the hashes of
casebook.audit.sealing.canonical (so existing checkpoints stay valid).

On PostgreSQL the seals are read in keyset chunks along their positions, each with
its event (each chunk its own short statement: no transaction is held open across the
run, so the progress a verification writes is seen while it runs and no migration
waits on it); PostgreSQL formats each timestamp as Python's isoformat() writes it (no
fraction when the microseconds are zero), and each event's canonical bytes are
assembled from its fields, encoded once, in the canonical (sorted) key order, around
the previous hash. `details` is decoded and re-canonicalised only when it is not
empty. Elsewhere (the embedded SQLite default) the events are read through the ORM
and split the same way.
"""

import json
from collections.abc import Generator, Iterator
from json.encoder import encode_basestring  # json.dumps(text, ensure_ascii=False)
from typing import Any

from django.db import connection

from casebook.audit.sealing import hashed_fields
from casebook.models import AccessEvent, AccessSeal, UnsealedEvent

FETCH = 10_000
# A seal's position, its event's id (None when the event is missing), the seal's hash,
# and the canonical text before and after the previous hash's value:
# sha256(head + '"' + prev + '"' + tail) is the event's hash.
Piece = tuple[int, int | None, str, str, str]

ISO_UTC = (
    "to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
    "CASE WHEN date_trunc('second', e.occurred_at) = e.occurred_at THEN '' "
    "ELSE to_char(e.occurred_at AT TIME ZONE 'UTC', '.US') END || '+00:00'"
)


def _details(text_or_value: Any) -> str:
    if text_or_value in ("{}", {}):
        return "{}"
    value = json.loads(text_or_value) if isinstance(text_or_value, str) else text_or_value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


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
    """The canonical text of an event around its previous hash (keys in sorted order)."""
    head = (
        f'{{"action":{_text(action)},"actor_id":{"null" if actor_id is None else int(actor_id)},'
        f'"actor_username":{_text(actor_username)},"details":{details},'
        f'"occurred_at":{_text(occurred_at)},"outcome":{_text(outcome)},"prev_hash":'
    )
    tail = (
        f',"reason":{_text(reason)},"request_id":{_text(request_id)},"role":{_text(role)},'
        f'"seq":{int(seq)},"target":{_text(target)}}}'
    )
    return head, tail


def chain_pieces() -> Generator[Piece, None, None]:
    """Every seal in position order, with its event as pieces to hash."""
    if connection.vendor == "postgresql":
        yield from _streamed()
        return
    last = 0
    while True:
        seals = list(
            AccessSeal.objects.filter(position__gt=last)
            .order_by("position")
            .values_list("position", "event_id", "hash")[:FETCH]
        )
        if not seals:
            return
        events = AccessEvent.objects.in_bulk([event_id for _, event_id, _ in seals])
        for position, event_id, stored_hash in seals:
            if event_id not in events:
                yield position, None, stored_hash, "", ""
                continue
            fields = hashed_fields(events[event_id], position)
            head, tail = split(
                position,
                fields["occurred_at"],
                fields["actor_id"],
                fields["actor_username"],
                fields["role"],
                fields["action"],
                fields["target"],
                fields["outcome"],
                fields["reason"],
                fields["request_id"],
                _details(fields["details"]),
            )
            yield position, event_id, stored_hash, head, tail
        last = seals[-1][0]


def _streamed() -> Iterator[Piece]:
    seals = connection.ops.quote_name(AccessSeal._meta.db_table)
    events = connection.ops.quote_name(AccessEvent._meta.db_table)
    query = (
        f"SELECT s.position, s.hash, e.id, {ISO_UTC}, e.actor_id, e.actor_username, e.role, "  # noqa: S608
        "e.action, e.target, e.outcome, e.reason, e.request_id, e.details::text "
        f"FROM {seals} s LEFT JOIN {events} e ON e.id = s.event_id "
        "WHERE s.position > %s ORDER BY s.position LIMIT %s"
    )
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(query, [last, FETCH])
            rows = cursor.fetchall()
        if not rows:
            return
        for row in rows:
            (position, stored_hash, event_id, when, actor_id, username, role, action, target,
             outcome, reason, request_id, details) = row  # fmt: skip
            if event_id is None:
                yield position, None, stored_hash, "", ""
                continue
            head, tail = split(
                position, when, actor_id, username, role, action, target, outcome, reason,
                request_id, _details(details),
            )  # fmt: skip
            yield position, event_id, stored_hash, head, tail
        last = rows[-1][0]


def unsealed_events() -> tuple[list[int], set[int]]:
    """Every event without a seal, in id order, and those of them waiting in the
    sealer's queue."""
    unsealed = list(
        AccessEvent.objects.filter(seal__isnull=True).order_by("id").values_list("id", flat=True)
    )
    waiting = set(
        UnsealedEvent.objects.filter(event_id__in=unsealed).values_list("event_id", flat=True)
    )
    return unsealed, waiting
