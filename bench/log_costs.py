"""The access log's costs: one append against one plain committed insert; appends from
4 writer processes against plain committed inserts from 4 processes, in alternating
rounds, with the sealer running and its lag measured; verifying the whole log against
reading it out.

The floors are real work of the same shape: `bench_plain_event` has the access log's
columns and indexes (CREATE TABLE ... LIKE ... INCLUDING ALL), is written to the
write-ahead log like any table, and each insert commits on its own; the writers are
separate processes.
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

from appender import work
from report import Row
from setup import BENCH, ROOT, interleaved_medians_ms

WRITERS = 4
ROUNDS = 3  # each: appends, then plain inserts, SECONDS apiece
SECONDS = 6.0


def _plain_table(cursor) -> None:
    cursor.execute("DROP TABLE IF EXISTS bench_plain_event")
    cursor.execute("CREATE TABLE bench_plain_event (LIKE casebook_accessevent INCLUDING ALL)")


def _writers(mode: str, env: dict[str, str]) -> int:
    start = time.time() + 5  # every process connected and warm first
    processes = [
        subprocess.Popen(
            [sys.executable, str(BENCH / "appender.py"), mode, str(SECONDS), str(start)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(WRITERS)
    ]
    counts = [int(process.communicate(timeout=SECONDS + 120)[0].strip()) for process in processes]
    return sum(counts)


def appends(env: dict[str, str]) -> list[Row]:
    """The throughputs in alternating rounds (appends, plain inserts, and again), so that
    the machine's drift (it is shared) moves both alike; the sealer runs throughout, as
    in production."""
    from django.db import connection

    with connection.cursor() as cursor:
        _plain_table(cursor)
    append, plain = work("log"), work("plain")
    append_ms, plain_ms = interleaved_medians_ms(append, plain, 300)
    sealer = subprocess.Popen(
        [sys.executable, "manage.py", "seal_access_log", "--follow"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    appended = inserted = 0
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM casebook_accessevent")
            before = cursor.fetchone()[0]
        for _ in range(ROUNDS):
            appended += _writers("log", env)
            inserted += _writers("plain", env)
        time.sleep(2)  # the sealer's last pass
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT extract(epoch FROM s.sealed_at - e.occurred_at) FROM "
                "casebook_accessseal s JOIN casebook_accessevent e ON e.id = s.event_id "
                "WHERE e.id > %s",
                [before],
            )
            lags = sorted(float(row[0]) for row in cursor.fetchall())
            cursor.execute(
                "SELECT count(*) FROM casebook_accessevent e WHERE e.id > %s AND NOT EXISTS "
                "(SELECT 1 FROM casebook_accessseal s WHERE s.event_id = e.id)",
                [before],
            )
            unsealed = cursor.fetchone()[0]
    finally:
        sealer.terminate()
        sealer.wait(timeout=30)
    assert unsealed == 0 and len(lags) >= appended, (unsealed, len(lags), appended)
    p99 = lags[int(len(lags) * 0.99) - 1] if lags else 0.0
    seconds = ROUNDS * SECONDS
    return [
        Row(
            "one append (the event, committed)",
            append_ms,
            plain_ms,
            "ms",
            "<= 1.5x",
            1.5,
            floor_name="plain committed insert",
        ),
        Row(
            f"appends/s, {WRITERS} writer processes, sealer running",
            appended / seconds,
            inserted / seconds,
            "/s",
            ">= 0.8x",
            0.8,
            higher_is_better=True,
            floor_name="plain committed inserts",
        ),
        Row(
            "sealer lag p99 under that load",
            p99 * 1000,
            statistics.median(lags) * 1000,
            "ms",
            "<= 1000 ms",
            1000,
            absolute=True,
            floor_name="median lag",
        ),
    ]


def verification() -> list[Row]:
    from django.db import connection

    from casebook.audit.sealing import seal_all
    from casebook.audit.verification import verify_log

    seal_all()
    started = time.perf_counter()
    verdict = verify_log()
    verify_s = time.perf_counter() - started
    assert verdict.ok, verdict
    # The floor: every event and its seal read out into Python, in the same chunks of
    # positions, each column as the database's text (as the verifier reads them),
    # nothing computed.
    started = time.perf_counter()
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.position, s.hash, e.id, e.occurred_at::text, e.actor_id, "
                "e.actor_username, e.role, e.action, e.target, e.outcome, e.reason, "
                "e.request_id, e.details::text FROM casebook_accessseal s JOIN LATERAL "
                "(SELECT * FROM casebook_accessevent e WHERE e.id = s.event_id LIMIT 1) e "
                "ON true WHERE s.position > %s AND s.position <= %s ORDER BY s.position",
                [last, last + 10_000],
            )
            rows = cursor.fetchall()
        if not rows:
            break
        last = rows[-1][0]
    read_s = time.perf_counter() - started
    return [
        Row(
            f"verify the whole log ({verdict.events:,} events)",
            verify_s,
            read_s,
            "s",
            "<= 3x",
            3.0,
            floor_name="reading them out",
        ),
        # The bench's log grows by every run's appends: the target is per million.
        Row(
            "verify the whole log, seconds per million events",
            verify_s * 1_000_000 / verdict.events,
            read_s * 1_000_000 / verdict.events,
            "s",
            "<= 15 s",
            15.0,
            absolute=True,
            floor_name="reading them out",
        ),
    ]


if __name__ == "__main__":
    sys.exit(f"run through `make bench` ({Path(__file__).name} is one of its parts)")
