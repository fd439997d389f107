"""The access log's hash chain, and the sealer that extends it.

Appends (casebook.audit.log) take no lock and write one row: each event is inserted in
its action's transaction with an id from a sequence. The sealer, one at a time (an
advisory lock), finds the committed events that have no seal yet, gives each in id order
the next gapless chain position and the SHA-256 of its canonical encoding chained to the
previous seal's hash, and appends those seals in one transaction. So:

- a crash between an event's insert and its seal loses nothing: the committed event has
  no seal, and the next pass finds it;
- a crash during sealing leaves nothing half done: a pass's seals commit together;
- nothing is sealed twice: one sealer at a time, and a unique seal per event;
- an event committed after a later id was sealed (ids are drawn before commit) is
  sealed when it appears, at the next position: the chain records commit order as the
  sealer saw it, never id order.

Finding the unsealed events cheaply needs a horizon: an id at or below which every
event is sealed, so that a pass looks above it only. The horizon may not pass an id that
a transaction still running could commit. On PostgreSQL a trigger draws an event's id
only once its transaction has a transaction id (migration 0017), so a transaction that
draws an id after a pass's snapshot draws one above every id that snapshot saw; the ids
at or below what a pass saw that it could not see belong to transactions in flight at
its snapshot. Once every one of those has ended (they are all below a later snapshot's
oldest running transaction id), what the earlier pass saw and sealed is a safe horizon.
A sealer that keeps running (seal_access_log --follow) remembers its passes to move the
horizon on; each seal records the horizon its pass reached, for the next sealer and for
verification. A long transaction holds the horizon back (passes then look at more
events) but never makes it unsafe. On SQLite one writer at a time commits what it
inserts before the next can insert: what a pass sees is a safe horizon at once.

Event rows are never updated; a seal row is never updated. The hash covers exactly what
it covered before seals existed (the position under its old name, "seq"), so the hashes
and checkpoints of the old chain stay valid.
"""

import functools
from dataclasses import dataclass, field
from datetime import UTC
from hashlib import sha256
from typing import Any

from django.db import connection, transaction
from django.db.models import BigIntegerField, QuerySet, Subquery
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from casebook.audit.canonical import GENESIS_HASH, ISO_UTC, split_of_row
from casebook.db import SEALER_LOCK, advisory_lock, fault_pause
from casebook.models import AccessEvent, AccessSeal

BATCH = 5000
REMEMBERED = 1000  # passes whose horizon is not yet safe, at most (older ones are dropped)


def chain_head() -> tuple[int, str]:
    """The newest seal's position and hash (0 and the genesis hash before the first)."""
    head = AccessSeal.objects.order_by("-position").values_list("position", "hash").first()
    return head if head else (0, GENESIS_HASH)


def newest_seal() -> tuple[int, str, int] | None:
    """The newest seal's position, hash and horizon (None before the first seal). The
    horizon is never above the newest event that has a seal (which every honest horizon
    is at or below): it is outside the hashes, and a seal row written around the sealer
    with a horizon beyond its events would otherwise stop the sealer and silence the
    "sealer behind" alert. Verification reads the horizon as written, and fails on the
    events it would hide."""
    newest_sealed = AccessSeal.objects.order_by("-event_id").values("event_id")[:1]
    return (
        AccessSeal.objects.order_by("-position")
        .annotate(
            trusted=Least(
                Coalesce("horizon", 0), Subquery(newest_sealed), output_field=BigIntegerField()
            )
        )
        .values_list("position", "hash", "trusted")
        .first()
    )


def sealed_horizon() -> int:
    """The horizon the newest seal records: every event at or below it is sealed."""
    newest = newest_seal()
    return newest[2] if newest else 0


def unsealable_event(horizon: int) -> int | None:
    """The first event waiting above `horizon` that has no canonical encoding (only a
    row written around the application has none): no pass will ever seal it."""
    rows = _waiting_rows(horizon, BATCH)[3]
    return next((row[0] for row in rows if split_of_row(1, *row[1:]) is None), None)


def waiting_events(horizon: int | None = None) -> QuerySet[AccessEvent]:
    """The committed events waiting for their seal (above the horizon, without one);
    `horizon` is sealed_horizon(), when the caller has read it already."""
    above = sealed_horizon() if horizon is None else horizon
    return AccessEvent.objects.filter(id__gt=above, seal__isnull=True)


@dataclass
class Sealer:
    """A sealing process, with what its passes saw: for each pass not yet trusted, how
    far it sealed and its own transaction id (None on SQLite), until every transaction
    older than that has ended. Passes run one at a time, under the sealer's lock."""

    horizon: int = 0
    passes: list[tuple[int, int | None]] = field(default_factory=list)
    head: int = 0  # the newest position this sealer saw: a chain that shrank was replaced

    def seal(self, limit: int = BATCH) -> int:
        """Seal up to `limit` committed events that wait; return how many."""
        # Inside a caller's transaction (inline sealing) on PostgreSQL the transaction id
        # is the caller's, drawn before this pass's snapshot: such a pass is never
        # trusted. (SQLite lets one writer in at a time: what a pass sees is final.)
        nested = connection.in_atomic_block
        own_transaction = connection.vendor != "postgresql" or not nested
        with transaction.atomic():
            advisory_lock(SEALER_LOCK)
            head = newest_seal()
            position, prev_hash, stored = head or (0, GENESIS_HASH, 0)
            if position < self.head:  # a restored or emptied database: forget what was seen
                self.horizon, self.passes = 0, []
            self.horizon = max(self.horizon, stored or 0)
            newest, oldest_running, own, rows = _waiting_rows(self.horizon, limit)
            positions, sealed_ids, hashes = [], [], []
            through = newest if len(rows) < limit else rows[-1][0]
            for event_id, *fields in rows:
                pieces = split_of_row(position + 1, *fields)
                if pieces is None:
                    # No canonical encoding (only a row written around the application
                    # has none): left unsealed, below the horizon's reach, where the
                    # "sealer behind" alert and verification find it.
                    through = min(through, event_id - 1)
                    continue
                head_text, tail = pieces
                position += 1
                prev_hash = sha256(f'{head_text}"{prev_hash}"{tail}'.encode()).hexdigest()
                positions.append(position)
                sealed_ids.append(event_id)
                hashes.append(prev_hash)
            horizon, passes = self._moved_on(through, own, oldest_running, own_transaction)
            _append_seals(positions, sealed_ids, hashes, horizon)
            fault_pause("seal_before_commit")  # the fault suite's hook; else nothing
        # Remembered once committed: a pass that rolled back sealed nothing. Inside a
        # caller's transaction, that is when the caller's transaction commits.
        remembered = functools.partial(self._remember, horizon, passes, position)
        if nested:
            transaction.on_commit(remembered)
        else:
            remembered()
        return len(sealed_ids)

    def _remember(self, horizon: int, passes: list[tuple[int, int | None]], head: int) -> None:
        self.horizon, self.passes, self.head = horizon, passes, head

    def _moved_on(
        self, through: int, own: int | None, oldest_running: int | None, remember: bool
    ) -> tuple[int, list[tuple[int, int | None]]]:
        """The horizon after a pass that sealed everything it saw up to `through`, and
        the passes still to remember. A pass is trusted once every transaction older
        than its own has ended (the oldest running now is newer): those are the only
        ones that could still have committed an id at or below what it saw. The horizon
        is the furthest a trusted pass reached, but never past this pass's own reach (a
        batch cut short sealed no further)."""
        passes = [*self.passes, *([(through, own)] if remember else [])][-REMEMBERED:]
        trusted = [
            reach
            for reach, pass_xid in passes
            if pass_xid is None or (oldest_running is not None and pass_xid < oldest_running)
        ]
        horizon = min(max([self.horizon, *trusted]), max(through, self.horizon))
        return horizon, [(reach, pass_xid) for reach, pass_xid in passes if reach > horizon]


# Inline sealing and seal_all share one memory per process, so that their passes, too,
# move the horizon on.
PROCESS_SEALER = Sealer()


def seal_waiting(limit: int = BATCH) -> int:
    """Seal up to `limit` committed events waiting for their seal; return how many."""
    return PROCESS_SEALER.seal(limit)


def seal_all() -> int:
    """Seal every event waiting now (a loop of passes); return how many."""
    total = 0
    while sealed := PROCESS_SEALER.seal():
        total += sealed
    return total


# One statement, so one snapshot: the newest event id it sees, the oldest transaction
# id running at it, the pass's own transaction id (drawn now: newer than every
# transaction that had drawn an event id before the snapshot), and the unsealed events
# above the horizon in id order, their timestamps formatted by PostgreSQL as for
# verification.
WAITING = (
    "WITH now AS (SELECT pg_current_snapshot() AS snapshot, "  # noqa: S608 -- table names only
    "(SELECT max(id) FROM {events}) AS newest) "
    "SELECT now.newest, pg_snapshot_xmin(now.snapshot)::text::bigint, "
    "pg_current_xact_id()::text::bigint, "
    f"e.id, {ISO_UTC}, e.actor_id, e.actor_username, e.role, e.action, e.target, "
    "e.outcome, e.reason, e.request_id, e.details::text "
    "FROM now LEFT JOIN LATERAL (SELECT * FROM {events} e WHERE e.id > %s AND NOT EXISTS "
    "(SELECT 1 FROM {seals} s WHERE s.event_id = e.id) ORDER BY e.id LIMIT %s) e ON true "
    "ORDER BY e.id"
)


def _waiting_rows(
    horizon: int, limit: int
) -> tuple[int, int | None, int | None, list[tuple[Any, ...]]]:
    """(newest id seen, oldest transaction running, the pass's own transaction, the
    waiting events as (id, *canonical fields)), all as of one snapshot."""
    if connection.vendor != "postgresql":
        events = list(
            AccessEvent.objects.filter(id__gt=horizon, seal__isnull=True).order_by("id")[:limit]
        )
        newest = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first()
        return newest or horizon, None, None, [_fields_of(event) for event in events]
    statement = WAITING.format(
        events=connection.ops.quote_name(AccessEvent._meta.db_table),
        seals=connection.ops.quote_name(AccessSeal._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [horizon, limit])
        rows = cursor.fetchall()
    newest, oldest_running, own = rows[0][:3]
    return (
        newest or horizon,
        oldest_running,
        own,
        [row[3:] for row in rows if row[3] is not None],
    )


def _fields_of(event: AccessEvent) -> tuple[Any, ...]:
    return (
        event.id,
        event.occurred_at.astimezone(UTC).isoformat(),
        event.actor_id,
        event.actor_username,
        event.role,
        event.action,
        event.target,
        event.outcome,
        event.reason,
        event.request_id,
        event.details,
    )


def _append_seals(
    positions: list[int], event_ids: list[int], hashes: list[str], horizon: int
) -> None:
    if not positions:
        return
    if positions != list(range(positions[0], positions[0] + len(positions))):
        raise ValueError("A pass's seals take consecutive positions.")
    if connection.vendor != "postgresql":
        now = timezone.now()
        AccessSeal.objects.bulk_create(
            AccessSeal(position=p, event_id=e, hash=h, sealed_at=now, horizon=horizon)
            for p, e, h in zip(positions, event_ids, hashes, strict=True)
        )
        return
    # The positions run on from the first, one by one; the ids and hashes go as two
    # texts that PostgreSQL splits (quoting each of thousands of array items in Python
    # cost the sealer a third of its time).
    seals = connection.ops.quote_name(AccessSeal._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {seals} (position, event_id, hash, sealed_at, horizon) "  # noqa: S608
            "SELECT %s + t.n - 1, t.e::bigint, t.h, clock_timestamp(), %s "
            "FROM unnest(string_to_array(%s, ' '), string_to_array(%s, ' ')) "
            "WITH ORDINALITY AS t(e, h, n)",
            [positions[0], horizon, " ".join(map(str, event_ids)), " ".join(hashes)],
        )
