"""`make bench`: every benchmark of Casebook, each figure beside a floor measured in the
same run, in one table.

Checks free disk space first, builds the synthetic million once (bench/million.py) in
the database `casebook_bench_million` on the local PostgreSQL (or BENCH_DATABASE_BASE),
then runs, with production settings: the case lists, verification, appends and the
sealer's lag, key rotation, exports at 10,000 and at 1,000,000 cases, and fifty people
on gunicorn. Prints the table and writes it to var/bench-results.md.

Usage: bench/run.py [--cases N] [--load-seconds S]  (smaller N for a quick try)
"""

import argparse
import base64
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from report import Row, table
from setup import BASE, BENCH, ROOT, django_on_bench_database, vacuumed

NEEDED_GB = 8  # a million cases with keys and grants, a million events, WAL, a snapshot
DATABASE = os.environ.get("BENCH_DATABASE", "casebook_bench_million")
KEKS = ROOT / "var" / "bench-keks"


def enough_disk(cases: int) -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as admin:
        data = admin.execute("SHOW data_directory").fetchone()[0]
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]
        ).fetchone()
    folder = Path(data) if Path(data).exists() else Path("/")
    free_gb = shutil.disk_usage(folder).free / 2**30
    needed = NEEDED_GB * cases / 1_000_000 * (0.5 if exists else 1)
    if free_gb < needed:
        sys.exit(
            f"make bench needs about {needed:.0f} GB free where PostgreSQL keeps its data "
            f"({folder}); there are {free_gb:.1f} GB. Free some space and run it again."
        )


def keyring_with_a_new_version() -> tuple[str, str]:
    """The bench's key-encryption keys (var/bench-keks, never used for real data): the
    ones the data is under, and the same with one version more, to rotate to."""
    KEKS.parent.mkdir(exist_ok=True)
    if not KEKS.exists():
        KEKS.write_text(f"1:{base64.urlsafe_b64encode(os.urandom(32)).decode()}")
    current = KEKS.read_text().strip()
    version = max(int(part.split(":")[0]) for part in current.split(","))
    return current, f"{current},{version + 1}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with psycopg.connect(f"{BASE}/postgres") as admin:
        server = admin.execute("SHOW server_version").fetchone()[0]
        autovacuum = admin.execute("SHOW autovacuum").fetchone()[0]
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GB RAM, PostgreSQL {server} "
        f"(autovacuum {autovacuum}), Python {platform.python_version()}"
    )


def exports(cases: int, env: dict[str, str]) -> list[Row]:
    rows = []
    for name, count in (("casebook_bench_10k", 10_000), (DATABASE, cases)):
        done = subprocess.run(
            [sys.executable, str(BENCH / "exports.py"), name, str(count)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        found = json.loads(done.stdout.strip().splitlines()[-1])
        floor = 2 * found["raw_ms"] + 30
        rows.append(
            Row(
                f"export at {count:,} cases (fresh release, median of 6 tables)",
                found["export_ms"],
                found["raw_ms"],
                "ms",
                "<= 2x raw + 30 ms",
                floor / found["raw_ms"],
                floor_name="raw GROUP BY",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated parts to run (lists, log, rotation, exports, load)",
    )
    args = parser.parse_args()
    started = time.monotonic()
    enough_disk(args.cases)
    current, next_ring = keyring_with_a_new_version()
    os.environ.update(
        CASEBOOK_KEK=current,
        CASEBOOK_SUPERVISOR_BUDGET="100000",
        CASEBOOK_GLOBAL_BUDGET="1000000",
        CASEBOOK_ALLOWED_HOSTS="testserver,casebook.example",
        CASEBOOK_STATIC_ROOT=str(ROOT / "var" / "bench-static"),
        CASEBOOK_SEAL_INLINE="0",
    )
    print(f"make bench on {machine()}", flush=True)
    django_on_bench_database(DATABASE)
    env = dict(os.environ)
    import lists
    import load
    import log_costs
    import request_costs
    import rotation
    from million import build, say

    build(args.cases)
    say("VACUUM (ANALYZE), as autovacuum would have after earlier runs")
    vacuumed()
    chosen = (
        set(args.only.split(",")) if args.only else {"lists", "log", "rotation", "exports", "load"}
    )
    rows = []
    costs = ""
    if "lists" in chosen:
        say("case lists")
        rows += lists.measure()
    if "log" in chosen:
        say("verification")
        rows += log_costs.verification()
        say("appends and the sealer")
        rows += log_costs.appends(env)
    if "rotation" in chosen:
        say("key rotation")
        os.environ["CASEBOOK_KEK"] = next_ring
        rows += rotation.measure()
        KEKS.write_text(next_ring)
        env = dict(os.environ)
    if "exports" in chosen:
        say("exports")
        rows += exports(args.cases, env)
    if "load" in chosen:
        say(f"{load.CASEWORKERS + load.SUPERVISORS + load.AUDITORS} people on gunicorn")
        rows += load.measure(env, args.load_seconds)
        say("each request of that load alone (where its time goes; not a target)")
        costs = request_costs.breakdown(load.accounts())
    minutes = (time.monotonic() - started) / 60
    result = f"On {machine()} ({args.cases:,} cases; {minutes:.0f} minutes):\n\n{table(rows)}\n"
    if costs:
        result += f"\nEach request of the fifty people's mix alone:\n\n{costs}\n"
    print("\n" + result)
    (ROOT / "var" / "bench-results.md").write_text(result)
    missed = [row.name for row in rows if not row.met]
    if missed:
        print(f"Targets missed: {'; '.join(missed)}")


if __name__ == "__main__":
    main()
