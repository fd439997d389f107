"""Aggregate export at a million cases: the export request against a raw GROUP BY, and
the weekly snapshot against a plain copy of the same columns.

Usage: .venv/bin/python bench/exports.py [--cases 1000000]
Uses (and if needed builds, via bench/case_list.py's builder) the `casebook_bench`
database. Prints, in one run:
- the median time of GET /exports/aggregate for category,year on a snapshot not yet
  released (counting, noise, post-processing, ledger, rendering: a charged release)
  against the raw SQL GROUP BY of the same snapshot, and the export's peak memory;
- the median time to take a snapshot against a plain INSERT ... SELECT of the counted
  cases' coded columns into an indexed table, dropping the copy before the previous.
Floors: the export takes under 3x the raw GROUP BY plus 200 ms; peak Python memory
under 50 MB; a snapshot under 3x the plain copy plus 0.5 s (it also ranks each
survivor's cases and each case's codes, and copies the codes).
"""

import argparse
import os
import statistics
import time
import tracemalloc
from datetime import timedelta

from setup import django_on_bench_database

EXTRA_MS_FLOOR = 200.0
MEMORY_FLOOR_MB = 50.0
SNAPSHOT_EXTRA_MS = 500.0
RUNS = 5


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def raw_group_by(connection, snapshot_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT primary_category, year, COUNT(*) FROM casebook_snapshotcase "
            "WHERE snapshot_id = %s GROUP BY primary_category, year",
            [snapshot_id],
        )
        cursor.fetchall()


def plain_copy(connection, week: int) -> None:
    """The floor: what any snapshot must do, done plainly. Copy the counted cases' coded
    columns into an indexed table and drop the copy before the previous one; no ranking
    of survivors or codes, no code tables."""
    columns = "primary_category, year, province_china, province_origin, gender, age_band"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor (id bigint PRIMARY KEY, copy_id int, "
            "primary_category text, year int, province_china text, province_origin text, "
            "gender text, age_band text)"
        )
        cursor.execute("CREATE INDEX IF NOT EXISTS bench_floor_copy ON bench_floor (copy_id)")
        cursor.execute("DELETE FROM bench_floor WHERE copy_id <= %s", [week - 2])
        cursor.execute(
            f"INSERT INTO bench_floor SELECT %s::bigint * 10000000 + ROW_NUMBER() OVER (), %s, "  # noqa: S608
            f"{columns} FROM casebook_casepattern WHERE consent_scope = 'aggregate'",
            [week, week],
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.update(
        CASEBOOK_SUPERVISOR_BUDGET="9000",
        CASEBOOK_GLOBAL_BUDGET="9000",
        CASEBOOK_ALLOWED_HOSTS="testserver",
        CASEBOOK_INSECURE_LOCAL_HTTP="1",
        CASEBOOK_KEK="1:" + "A" * 43 + "=",
    )
    django_on_bench_database("casebook_bench")
    from case_list import populate
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from casebook.accounts.teams import team_add_member, team_get_or_create
    from casebook.aggregates.snapshots import snapshot_slot, snapshot_take
    from casebook.roles import Role

    populate(args.cases)
    supervisor, created = User.objects.get_or_create(username="bench-supervisor")
    if created:
        supervisor.groups.add(Group.objects.get(name=Role.SUPERVISOR.value))
        team_add_member(
            team=team_get_or_create(name="Bench Team 0")[0], user=supervisor, role=Role.SUPERVISOR
        )
    client = Client()
    client.force_login(supervisor)
    # Supervisors need a verified second factor: give the bench account one.
    device, _ = TOTPDevice.objects.get_or_create(user=supervisor, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    slot = snapshot_slot(timezone.now())
    snapshot_ms, copy_ms, export_ms, raw_ms, peak_mb = [], [], [], [], 0.0
    for week in range(1, RUNS + 1):
        # A snapshot no one has released yet: each export below is a real, charged release.
        started = time.perf_counter()
        snapshot = snapshot_take(taken_for=slot + timedelta(weeks=week * 100))
        snapshot_ms.append((time.perf_counter() - started) * 1000)
        copy_ms.append(timed(lambda w=week: plain_copy(connection, w)))
        tracemalloc.start()
        started = time.perf_counter()
        response = client.get(
            "/exports/aggregate", {"dimensions": "category,year", "format": "json"}
        )
        export_ms.append((time.perf_counter() - started) * 1000)
        peak_mb = max(peak_mb, tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
        assert response.status_code == 200, response.content[:300]
        raw_ms.append(timed(lambda pk=snapshot.pk: raw_group_by(connection, pk)))
    export_med, raw_med = statistics.median(export_ms), statistics.median(raw_ms)
    snap_med, copy_med = statistics.median(snapshot_ms), statistics.median(copy_ms)
    floor_ms = 3 * raw_med + EXTRA_MS_FLOOR
    snapshot_floor = 3 * copy_med + SNAPSHOT_EXTRA_MS
    print(f"cases: {args.cases:,}")
    print(f"export request (category,year, json): {export_med:8.1f} ms (median)")
    print(f"raw SQL GROUP BY, same snapshot:      {raw_med:8.1f} ms (median)")
    print(
        f"export floor (3x raw + {EXTRA_MS_FLOOR:.0f} ms = {floor_ms:.0f} ms): "
        f"{'met' if export_med < floor_ms else 'MISSED'}"
    )
    print(f"snapshot taken:                       {snap_med:8.1f} ms (median)")
    print(f"plain indexed copy, same columns:     {copy_med:8.1f} ms (median)")
    print(
        f"snapshot floor (3x copy + {SNAPSHOT_EXTRA_MS:.0f} ms = {snapshot_floor:.0f} ms): "
        f"{'met' if snap_med < snapshot_floor else 'MISSED'}"
    )
    print(
        f"export peak Python memory: {peak_mb:.1f} MB (floor {MEMORY_FLOOR_MB:.0f} MB: "
        f"{'met' if peak_mb < MEMORY_FLOOR_MB else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
