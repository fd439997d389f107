"""Database helpers that more than one room needs. Imports nothing of Casebook."""

from django.db import connection

# Transaction-scoped advisory locks, one key per serialised resource.
ACCESS_LOG_LOCK = 0x43415345424F4F4B  # "CASEBOOK": appends to the access log's chain
LEDGER_LOCK = 0x4C4544474552  # "LEDGER": budget checks and charges
JOBS_LOCK = 0x4A4F4253  # "JOBS": one scheduler at a time decides and runs a due job


def advisory_lock(key: int) -> None:
    """Hold `key` until the current transaction ends (PostgreSQL; SQLite serialises
    every writer anyway). Call inside transaction.atomic()."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def statement_timeout_local(milliseconds: int) -> None:
    """Let the current transaction's statements run up to `milliseconds` (PostgreSQL),
    whatever the connection's own limit. Call inside transaction.atomic()."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(milliseconds)])
