"""Shared set-up for the benchmarks: a bench database on the local PostgreSQL."""

import os
import secrets
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BASE = os.environ.get("BENCH_DATABASE_BASE", "postgres://postgres@127.0.0.1:5432")


def bench_database(name: str) -> str:
    """The URL of database `name` on the bench server, created if needed."""
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return f"{BASE}/{name}"


def django_on_bench_database(name: str | None = None, *, migrate: bool = True) -> str:
    """Point Django at database `name` (created if needed; default: DATABASE_URL, as a
    parent process set it), set up, and migrate. Production settings throughout."""
    url = bench_database(name) if name else os.environ["DATABASE_URL"]
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CASEBOOK_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    return url


def median_ms(run, repeat: int = 30) -> float:
    """The median time of `run()` in milliseconds, after one warm-up call."""
    run()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def interleaved_medians_ms(first, second, repeat: int = 200) -> tuple[float, float]:
    """Medians of two runs measured alternately, so drift affects both alike."""
    first()
    second()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for run, bucket in ((first, samples[0]), (second, samples[1])):
            start = time.perf_counter()
            run()
            bucket.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples[0]), statistics.median(samples[1])


def vacuumed() -> None:
    """VACUUM (ANALYZE) the bench database (DATABASE_URL), as autovacuum would have done
    in production. Each run churns it (every load run deletes the previous run's cases,
    every rotation rewrites every data key), and a server with autovacuum off (this
    machine's is) would otherwise measure the dead rows of all earlier runs."""
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as database:
        database.execute("VACUUM (ANALYZE)")
