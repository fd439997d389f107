"""Reading the chain out for verification, fast, with exactly the hashes of
casebook.audit.canonical (so existing checkpoints stay valid).

On PostgreSQL the seals are read in chunks of positions, each seal with its event
looked up by id (a lateral lookup: no plan reads the whole event table for a chunk).
Each chunk is its own short statement: no transaction is held open across the run, so
the progress a verification writes is seen while it runs and no migration waits on it.
PostgreSQL formats each timestamp as Python's isoformat() writes it (no fraction when
the microseconds are zero), and each event's canonical bytes are assembled from its
fields, encoded once, in the canonical (sorted) key order, around the previous hash.
`details` is decoded and re-canonicalised only when it is not empty. Elsewhere (the
embedded SQLite default) the events are read through the ORM and split the same way.
"""

import queue
import threading
from collections.abc import Generator, Iterator
from typing import Any

from django.db import connection
from django.db.models import Subquery

from casebook.audit.canonical import ISO_UTC, hashed_fields, split_of_row
from casebook.models import AccessEvent, AccessSeal

FETCH = 10_000
# A seal's position, its event's id (None when the event is missing), the seal's hash,
# and the canonical text before and after the previous hash's value:
# sha256(head + '"' + prev + '"' + tail) is the event's hash.
Piece = tuple[int, int | None, str, str, str]


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
            yield (
                position,
                event_id,
                stored_hash,
                *_encoded(
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
                    fields["details"],
                ),
            )
        last = seals[-1][0]


def _streamed() -> Iterator[Piece]:
    seals = connection.ops.quote_name(AccessSeal._meta.db_table)
    events = connection.ops.quote_name(AccessEvent._meta.db_table)
    query = (
        f"SELECT s.position, s.hash, e.id, {ISO_UTC}, e.actor_id, e.actor_username, e.role, "  # noqa: S608
        "e.action, e.target, e.outcome, e.reason, e.request_id, e.details::text "
        f"FROM {seals} s LEFT JOIN LATERAL (SELECT * FROM {events} e WHERE e.id = s.event_id "
        "LIMIT 1) e ON true WHERE s.position > %s AND s.position <= %s ORDER BY s.position"
    )
    # Outside a transaction, the next chunk is read on a connection of its own while this
    # one is hashed; inside one (a test's), only this connection sees the rows.
    chunks = _chunks(query) if connection.in_atomic_block else _read_ahead(query)
    for rows in chunks:
        for row in rows:
            (position, stored_hash, event_id, when, actor_id, username, role, action, target,
             outcome, reason, request_id, details) = row  # fmt: skip
            if event_id is None:
                yield position, None, stored_hash, "", ""
                continue
            yield position, event_id, stored_hash, *_encoded(
                position, when, actor_id, username, role, action, target, outcome, reason,
                request_id, details,
            )  # fmt: skip


def _encoded(position: int, *row: Any) -> tuple[str, str]:
    """The canonical text around the previous hash, or ("", "") for a row without one,
    which then fails verification by its hash instead of stopping it."""
    return split_of_row(position, *row) or ("", "")


def _chunks(query: str) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of `query` for each range of FETCH positions in turn. A range, not a
    LIMIT: whatever the planner believes of the table (its statistics lag behind a log
    that only grows), a chunk reads its own positions and no more. A range with no seal
    (only tampering empties one) is stepped over to the next seal there is."""
    seals = connection.ops.quote_name(AccessSeal._meta.db_table)
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(query, [last, last + FETCH])
            rows = cursor.fetchall()
            if not rows:
                cursor.execute(f"SELECT min(position) FROM {seals} WHERE position > %s", [last])  # noqa: S608
                (following,) = cursor.fetchone()
                if following is None:
                    return
                last = following - 1
                continue
        yield rows
        last = rows[-1][0]


def _read_ahead(query: str) -> Iterator[list[tuple[Any, ...]]]:
    """The chunks of `query`, each read by a thread while the caller works on the one
    before (the database's time then hides behind the hashing)."""
    ready: queue.Queue[list[tuple[Any, ...]] | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def hand_over(item: list[tuple[Any, ...]] | BaseException | None) -> bool:
        """Put `item` for the caller, unless the caller has stopped reading."""
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader() -> None:
        try:
            for rows in _chunks(query):
                if not hand_over(rows):
                    return
            hand_over(None)
        except BaseException as error:  # noqa: BLE001 -- handed to the caller
            hand_over(error)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # a reader waiting to hand over gives up within 0.1 s
        thread.join()


def unsealed_events() -> tuple[list[int], int]:
    """Every event without a seal, in id order, and the horizon the newest seal records
    (at or below which every event is sealed): one statement, so that the sealer
    committing meanwhile cannot make an event waiting above the old horizon look
    stranded below the new one."""
    newest_horizon = AccessSeal.objects.order_by("-position").values("horizon")[:1]
    rows = list(
        AccessEvent.objects.filter(seal__isnull=True)
        .annotate(horizon=Subquery(newest_horizon))
        .order_by("id")
        .values_list("id", "horizon")
    )
    return [event_id for event_id, _ in rows], (rows[0][1] or 0) if rows else 0
