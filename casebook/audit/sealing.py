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

from hashlib import sha256

from django.db import connection, transaction
from django.utils import timezone

from casebook.audit.canonical import (
    GENESIS_HASH,
    ISO_UTC,
    event_hash,
    hashed_fields,
    split_of_row,
)
from casebook.db import SEALER_LOCK, advisory_lock, fault_pause
from casebook.models import AccessEvent, AccessSeal, UnsealedEvent

BATCH = 5000


def chain_head() -> tuple[int, str]:
    """The newest seal's position and hash (0 and the genesis hash before the first)."""
    head = AccessSeal.objects.order_by("-position").values_list("position", "hash").first()
    return head if head else (0, GENESIS_HASH)


def seal_waiting(limit: int = BATCH) -> int:
    """Seal up to `limit` committed events waiting in the queue; return how many."""
    with transaction.atomic():
        advisory_lock(SEALER_LOCK)
        if connection.vendor == "postgresql":
            return _seal_in_postgresql(limit)
        waiting = list(
            UnsealedEvent.objects.order_by("event_id").values_list("event_id", flat=True)[:limit]
        )
        if not waiting:
            return 0
        already = set(
            AccessSeal.objects.filter(event_id__in=waiting).values_list("event_id", flat=True)
        )
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
        # The queue names real events only (a foreign key); one queued again after its
        # seal (only tampering does it) is dropped, not resealed.
        done = [seal.event_id for seal in seals] + list(already)
        UnsealedEvent.objects.filter(event_id__in=done).delete()
        fault_pause("seal_before_commit")  # the fault suite's hook; else nothing
    return len(done)


def _seal_in_postgresql(limit: int) -> int:
    """seal_waiting's work in a few statements: the events' canonical text is assembled
    from their columns (timestamps formatted by PostgreSQL, as for verification), the
    seals inserted from arrays, the queue emptied by id."""
    seals, events, queue = (
        connection.ops.quote_name(model._meta.db_table)
        for model in (AccessSeal, AccessEvent, UnsealedEvent)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT q.event_id, s.event_id IS NOT NULL FROM {queue} q "  # noqa: S608
            f"JOIN {events} e ON e.id = q.event_id "
            f"LEFT JOIN {seals} s ON s.event_id = q.event_id ORDER BY q.event_id LIMIT %s",
            [limit],
        )
        waiting = cursor.fetchall()
        if not waiting:
            return 0
        already = [event_id for event_id, sealed in waiting if sealed]
        cursor.execute(
            f"SELECT e.id, {ISO_UTC}, e.actor_id, e.actor_username, e.role, e.action, "  # noqa: S608
            "e.target, e.outcome, e.reason, e.request_id, e.details::text "
            f"FROM {events} e WHERE e.id = ANY(%s) ORDER BY e.id",
            [[event_id for event_id, sealed in waiting if not sealed]],
        )
        position, prev_hash = chain_head()
        positions, sealed_ids, hashes = [], [], []
        for row in cursor.fetchall():
            (event_id, when, actor_id, username, role, action, target, outcome, reason,
             request_id, details) = row  # fmt: skip
            pieces = split_of_row(
                position + 1, when, actor_id, username, role, action, target, outcome,
                reason, request_id, details,
            )  # fmt: skip
            if pieces is None:
                # No canonical encoding: left in the queue, where the "sealer behind"
                # alert finds it; the events after it are sealed.
                continue
            head, tail = pieces
            position += 1
            prev_hash = sha256(f'{head}"{prev_hash}"{tail}'.encode()).hexdigest()
            positions.append(position)
            sealed_ids.append(event_id)
            hashes.append(prev_hash)
        cursor.execute(
            f"INSERT INTO {seals} (position, event_id, hash, sealed_at) "  # noqa: S608
            "SELECT p, e, h, clock_timestamp() "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS t(p, e, h)",
            [positions, sealed_ids, hashes],
        )
        cursor.execute(
            f"DELETE FROM {queue} WHERE event_id = ANY(%s)",  # noqa: S608
            [sealed_ids + already],
        )
        fault_pause("seal_before_commit")  # the fault suite's hook; else nothing
    return len(sealed_ids) + len(already)


def seal_all() -> int:
    """Seal every event waiting now (a loop of seal_waiting); return how many."""
    total = 0
    while sealed := seal_waiting():
        total += sealed
    return total
