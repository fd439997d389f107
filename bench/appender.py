"""One writer process of the append benchmark (run by bench/log_costs.py).

Usage: appender.py log|plain SECONDS START_EPOCH
Waits until START_EPOCH, then for SECONDS either appends access-log events (each its own
committed transaction, as an action's event is) or makes plain committed inserts into
`bench_plain_event`, a table with the access log's columns and indexes; prints how
many committed.
"""

import sys
import time

from setup import django_on_bench_database


def work(mode: str):
    """One append ("log") or one plain committed insert ("plain"), as a function."""
    from django.db import connection

    from casebook.audit import log
    from casebook.audit.actions import Action, Actor

    actor = Actor.system("bench-writer")

    def append() -> None:
        log.record(Action.LOG_VIEW, actor=actor, target="CB-BENC-H000")

    def plain() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_plain_event (occurred_at, actor_id, actor_username, role, "
                "action, target, outcome, reason, request_id, details) VALUES (now(), NULL, "
                "'system:bench-writer', 'system', 'log.view', 'CB-BENC-H000', 'allowed', '', "
                "'', '{}')"
            )

    return append if mode == "log" else plain


def main() -> None:
    mode, seconds, start = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    django_on_bench_database(migrate=False)
    one = work(mode)
    one()  # connected and warm before the start
    while time.time() < start:
        time.sleep(0.001)
    done, end = 0, start + seconds
    while time.time() < end:
        one()
        done += 1
    print(done)


if __name__ == "__main__":
    main()
