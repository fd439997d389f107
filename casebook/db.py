"""Database helpers that more than one room needs. Imports nothing of Casebook."""

import os
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

# Transaction-scoped advisory locks, one key per serialised resource.
SEALER_LOCK = 0x43415345424F4F4B  # "CASEBOOK": one sealer extends the access log's chain
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


def fault_pause(point: str) -> None:
    """The fault suite's hook (config.fault_settings only; a no-op everywhere else):
    while the file `<dir>/<point>` exists, announce this process in `<dir>/<point>.<pid>`
    and wait, so that the suite can kill it at exactly this point (for example between
    a case's INSERT and its COMMIT)."""
    folder = getattr(settings, "CASEBOOK_FAULT_PAUSE_DIR", "")
    if not folder:
        return
    armed = Path(folder) / point
    if not armed.exists():
        return
    (Path(folder) / f"{point}.{os.getpid()}").touch()
    deadline = time.monotonic() + 60
    while armed.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
