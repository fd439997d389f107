"""Snapshots: the counted cases, frozen on a fixed schedule, whatever changed.

Releases are made from snapshots only, so an edit affects nothing a supervisor can
see until the next scheduled snapshot, and every snapshot is taken on schedule even
when nothing changed: nothing observable (its date, whether a request is reused or
charged, the budget shown) tells whether counted data changed.

A snapshot holds the coded dimensions of the cases whose consent allows counting.
Each survivor's cases (one `survivor_group`) contribute at most `cases_per_person` of
them, the earliest recorded, and each case at most `codes_per_case` sub-patterns and
perpetrator types (the first in code order): the sensitivity that the noise assumes
holds by construction, and counting is a plain GROUP BY. Only the current and the
previous snapshot are kept.
"""

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from casebook.aggregates.disclosure import dimensions, policy
from casebook.models import (
    CasePattern,
    CasePerpetrator,
    CaseSubPattern,
    Snapshot,
    SnapshotCase,
    SnapshotPerpetrator,
    SnapshotSubPattern,
)
from casebook.taxonomy import ConsentScope

# Snapshots fall on this instant plus whole periods: a Monday, 00:00 UTC.
SCHEDULE_ANCHOR = datetime(1970, 1, 5, tzinfo=UTC)
KEPT = 2  # the current snapshot and the previous one
COUNTED_TABLE = "casebook_counted_now"  # a temporary table, private to the transaction's session


def coded_columns() -> list[str]:
    """The case columns a snapshot copies: those of the single-valued export dimensions
    (the whitelist decides what is counted, and so what is kept)."""
    return [d.column.removeprefix("c.") for d in dimensions().values() if not d.multi_table]


def snapshot_slot(now: datetime) -> datetime:
    """The latest scheduled snapshot time at or before `now`."""
    period = timedelta(days=policy().snapshot_every_days)
    return SCHEDULE_ANCHOR + ((now - SCHEDULE_ANCHOR) // period) * period


def current_snapshot() -> Snapshot | None:
    return Snapshot.objects.order_by("-taken_for").first()


def snapshot_take(*, taken_for: datetime) -> Snapshot:
    """Freeze the counted cases as the snapshot for `taken_for` (once: a second call for
    the same time returns the first), and drop snapshots older than the previous one."""
    chosen = policy()
    with transaction.atomic():
        existing = Snapshot.objects.filter(taken_for=taken_for).first()
        if existing is not None:
            return existing
        snapshot = Snapshot.objects.create(
            taken_for=taken_for,
            cases_per_person=chosen.cases_per_person,
            codes_per_case=chosen.codes_per_case,
        )
        with connection.cursor() as cursor:
            _freeze(cursor, snapshot, chosen.cases_per_person, chosen.codes_per_case)
            _drop_old_snapshots(cursor)
    return snapshot


def _freeze(
    cursor: CursorWrapper, snapshot: Snapshot, cases_per_person: int, codes_per_case: int
) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(coded_columns())
    offset = SnapshotCase.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # Every table and column name below is a constant of this module or a model's.
    cursor.execute(f"DROP TABLE IF EXISTS {COUNTED_TABLE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {COUNTED_TABLE} AS "  # noqa: S608
        f"SELECT id, {columns}, ROW_NUMBER() OVER (ORDER BY id) AS n FROM ("
        f"SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.survivor_group "
        f"ORDER BY c.created_at, c.id) AS nth "
        f"FROM {quote(CasePattern._meta.db_table)} c WHERE c.consent_scope = %s"
        f") ranked WHERE nth <= %s",
        [ConsentScope.AGGREGATE.value, cases_per_person],
    )
    cursor.execute(
        f"INSERT INTO {quote(SnapshotCase._meta.db_table)} (id, snapshot_id, {columns}) "  # noqa: S608
        f"SELECT %s + n, %s, {columns} FROM {COUNTED_TABLE}",
        [offset, snapshot.pk],
    )
    for source, target in (
        (CaseSubPattern, SnapshotSubPattern),
        (CasePerpetrator, SnapshotPerpetrator),
    ):
        cursor.execute(
            f"INSERT INTO {quote(target._meta.db_table)} (case_id, code) "  # noqa: S608
            f"SELECT %s + counted.n, codes.code FROM {COUNTED_TABLE} counted JOIN ("
            f"SELECT case_id, code, ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY code) "
            f"AS rank FROM {quote(source._meta.db_table)}) codes "
            f"ON codes.case_id = counted.id WHERE codes.rank <= %s",
            [offset, codes_per_case],
        )
    cursor.execute(f"DROP TABLE {COUNTED_TABLE}")


def _drop_old_snapshots(cursor: CursorWrapper) -> None:
    """Delete every snapshot but the newest KEPT: one statement per table, never a row
    at a time (a snapshot can hold a million cases)."""
    old = list(Snapshot.objects.order_by("-taken_for").values_list("pk", flat=True)[KEPT:])
    if not old:
        return
    quote = connection.ops.quote_name
    cases = quote(SnapshotCase._meta.db_table)
    marks = ", ".join(["%s"] * len(old))
    for codes in (SnapshotSubPattern, SnapshotPerpetrator):
        cursor.execute(
            f"DELETE FROM {quote(codes._meta.db_table)} WHERE case_id IN "  # noqa: S608
            f"(SELECT id FROM {cases} WHERE snapshot_id IN ({marks}))",
            old,
        )
    cursor.execute(f"DELETE FROM {cases} WHERE snapshot_id IN ({marks})", old)  # noqa: S608
    Snapshot.objects.filter(pk__in=old).delete()
