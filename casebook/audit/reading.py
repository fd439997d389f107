"""Reading the chain out for verification, fast, with exactly the hashes of
casebook.audit.log.canonical (so existing checkpoints stay valid).

On PostgreSQL the table is read in keyset chunks along its primary key (each chunk its
own short statement: no transaction is held open across the run, so the progress a
verification writes is seen while it runs and no migration waits on it); PostgreSQL
formats each timestamp as Python's isoformat() writes it (no fraction when the microseconds are
zero), and each event's canonical bytes are assembled from its fields, encoded once, in
the canonical (sorted) key order, around the previous hash. `details` is decoded and
re-canonicalised only when it is not empty. Elsewhere (the embedded SQLite default) the
events are read as before and split the same way.
"""

import json
from collections.abc import Generator, Iterator
from json.encoder import encode_basestring  # json.dumps(text, ensure_ascii=False)
from typing import Any

from django.db import connection

from casebook.audit.log import EVENT_COLUMNS, hashed_fields
from casebook.models import AccessEvent

FETCH = 10_000
# seq, stored prev_hash, stored hash, and the canonical text before and after the
# previous hash's value: sha256(head + '"' + prev + '"' + tail) is the event's hash.
Piece = tuple[int, str, str, str, str]

ISO_UTC = (
    "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
    "CASE WHEN date_trunc('second', occurred_at) = occurred_at THEN '' "
    "ELSE to_char(occurred_at AT TIME ZONE 'UTC', '.US') END || '+00:00'"
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
    """Every stored event in sequence order, as pieces to hash."""
    if connection.vendor == "postgresql":
        yield from _streamed()
        return
    last = 0
    while True:
        rows = list(
            AccessEvent.objects.filter(seq__gt=last)
            .order_by("seq")
            .values_list(*EVENT_COLUMNS)[:FETCH]
        )
        if not rows:
            return
        for row in rows:
            event = dict(zip(EVENT_COLUMNS, row, strict=True))
            fields = hashed_fields(_Row(event))
            head, tail = split(
                fields["seq"],
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
            yield event["seq"], event["prev_hash"], event["hash"], head, tail
        last = rows[-1][0]


class _Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _streamed() -> Iterator[Piece]:
    table = connection.ops.quote_name(AccessEvent._meta.db_table)
    query = (
        f"SELECT seq, {ISO_UTC}, actor_id, actor_username, role, action, target, outcome, "  # noqa: S608
        f"reason, request_id, details::text, prev_hash, hash FROM {table} "
        "WHERE seq > %s ORDER BY seq LIMIT %s"
    )
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(query, [last, FETCH])
            rows = cursor.fetchall()
        if not rows:
            return
        for row in rows:
            (seq, when, actor_id, username, role, action, target, outcome, reason,
             request_id, details, prev_hash, stored_hash) = row  # fmt: skip
            head, tail = split(
                seq, when, actor_id, username, role, action, target, outcome, reason,
                request_id, _details(details),
            )  # fmt: skip
            yield seq, prev_hash, stored_hash, head, tail
        last = rows[-1][0]
