"""Access-log costs: one chained append against a plain insert, concurrent appends, and
verifying a million events.

Usage: .venv/bin/python bench/access_log.py [--events 1000000]
Floors: an append costs under 5 ms; 4 concurrent writers reach 200 appends/s;
verifying one million events takes under 120 s.
"""

import argparse
import hashlib
import threading
import time

from setup import django_on_bench_database, median_ms

APPEND_FLOOR_MS = 5.0
CONCURRENT_FLOOR = 200.0
VERIFY_FLOOR_S = 120.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    django_on_bench_database("casebook_bench_log")

    from django.db import connection, connections

    from casebook.audit import log
    from casebook.audit.actions import Action, Actor
    from casebook.audit.verification import verify_log
    from casebook.models import AccessEvent

    table = AccessEvent._meta.db_table
    with connection.cursor() as cursor:  # start from an empty log (bench database only)
        for name in (table, "casebook_accesscheckpoint"):
            cursor.execute(f"ALTER TABLE {name} DISABLE TRIGGER USER")
        cursor.execute(f"TRUNCATE {table}, casebook_accesscheckpoint")
        for name in (table, "casebook_accesscheckpoint"):
            cursor.execute(f"ALTER TABLE {name} ENABLE TRIGGER USER")
        cursor.execute("CREATE TEMP TABLE plain_insert (LIKE casebook_accessevent)")
    actor = Actor.system("bench")

    def chained():
        log.record(Action.LOG_VIEW, actor=actor, target="CB-BENC-H000")

    counter = iter(range(10**9))

    def plain():
        seq = next(counter)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO plain_insert VALUES (%s, now(), NULL, 'system:bench', 'system', "
                "'log.view', 'CB-BENC-H000', 'allowed', '', '', '{}', %s, %s)",
                [seq, "0" * 64, hashlib.sha256(str(seq).encode()).hexdigest()],
            )

    append_ms, plain_ms = median_ms(chained, 500), median_ms(plain, 500)
    print(f"one chained append (lock, head, hash, insert): {append_ms:6.3f} ms (median)")
    print(f"one plain insert:                              {plain_ms:6.3f} ms (median)")
    print(
        f"append floor {APPEND_FLOOR_MS} ms: {'met' if append_ms < APPEND_FLOOR_MS else 'MISSED'}"
    )

    per_writer = 500

    def writer():
        for _ in range(per_writer):
            chained()
        connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = 4 * per_writer / (time.perf_counter() - start)
    print(
        f"4 concurrent writers: {rate:,.0f} appends/s "
        f"(floor {CONCURRENT_FLOOR:.0f}: {'met' if rate >= CONCURRENT_FLOOR else 'MISSED'})"
    )

    # Fill to a million events with one SQL statement computing the same chain is not
    # possible (the hash is sequential), so append in bulk from Python, chained.
    existing = AccessEvent.objects.count()
    if existing < args.events:
        print(
            f"appending {args.events - existing:,} events for the verification run...", flush=True
        )
        head = AccessEvent.objects.order_by("-seq").first()
        seq, prev = head.seq, head.hash
        batch = []
        from django.utils import timezone

        now = timezone.now()
        for _ in range(args.events - existing):
            seq += 1
            event = AccessEvent(
                seq=seq,
                occurred_at=now,
                actor_id=None,
                actor_username="system:bench",
                role="system",
                action="log.view",
                target="CB-BENC-H000",
                outcome="allowed",
                reason="",
                request_id="",
                details={},
                prev_hash=prev,
            )
            event.hash = log.event_hash(log.hashed_fields(event), prev)
            prev = event.hash
            batch.append(event)
            if len(batch) == 10_000:
                AccessEvent.objects.bulk_create(batch)
                batch = []
        AccessEvent.objects.bulk_create(batch)
    start = time.perf_counter()
    verdict = verify_log()
    seconds = time.perf_counter() - start
    assert verdict.ok, verdict
    print(
        f"verified {verdict.events:,} events in {seconds:.1f} s "
        f"(floor {VERIFY_FLOOR_S:.0f} s: {'met' if seconds < VERIFY_FLOOR_S else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
