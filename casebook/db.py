"""Database helpers that more than one room needs. Imports nothing of Casebook."""

import datetime as dt
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import QuerySet

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


INTEGER_ID_MAX = 2**31 - 1  # the largest id an integer column (an AutoField's) holds


def columns_of(model: Any, table: str = "") -> tuple[list[str], str]:
    """`model`'s field names (in the order Model.from_db takes them) and its columns as a
    select list, each prefixed with `table` when given: for the hand-written statements."""
    fields = model._meta.concrete_fields
    prefix = f"{table}." if table else ""
    return [field.attname for field in fields], ", ".join(
        f'{prefix}"{field.column}"' for field in fields
    )


def prepared(statement: str, values: Sequence[Any] | Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of `statement` (PostgreSQL), run on Django's connection, in its
    transaction, as a statement prepared once per connection with its values sent apart
    from it. For the statements every request runs: Django's own cursor writes the
    values into the text of each statement, which the database then parses and plans
    anew. Its errors are Django's (DatabaseError and kin), as through Django's cursor, and
    where Django records queries (DEBUG, assertNumQueries) it is recorded with them: its
    text, never its values."""
    # The connection looked up once: each attribute read through django.db.connection
    # is a thread-local lookup, which an append (the hottest statement) felt.
    database = connections[DEFAULT_DB_ALIAS]
    database.ensure_connection()
    database.validate_no_broken_transaction()
    logged = database.queries_logged
    started = time.monotonic()
    try:
        with database.wrap_database_errors:
            try:
                rows = _rows_of(_prepared_cursor(database), statement, values)
            except psycopg.OperationalError:
                if not _resendable(database, statement):
                    raise
                database.close()
                database.ensure_connection()
                rows = _rows_of(_prepared_cursor(database), statement, values)
        # The connection answered: this request's health check is done (Django's own
        # would send a SELECT 1 before its first query of the request, a round trip
        # more for nearly every request, each of which starts with a prepared read).
        database.health_check_done = True  # type: ignore[attr-defined]  # not in the stubs
        return rows
    finally:
        if logged:
            took = time.monotonic() - started
            database.queries_log.append({"sql": statement, "time": f"{took:.3f}"})


def _resendable(database: Any, statement: str) -> bool:
    """Whether `statement`, which found its connection lost, may be sent again on a new
    one. A read that is the request's first statement on a connection kept from an
    earlier request stands for Django's health check, which would have found a
    connection lost while it sat idle (the database restarted, say) and made it anew.
    Such a read, outside a transaction, is sent again once: nothing else of the request
    had reached the lost connection."""
    return bool(
        database.connection is not None
        and database.connection.broken
        and database.health_check_enabled
        and not database.health_check_done
        and not database.in_atomic_block
        and statement.lstrip()[:6].upper() == "SELECT"
    )


def _rows_of(
    cursor: psycopg.Cursor[Any], statement: str, values: Sequence[Any] | Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    cursor.execute(statement, values, prepare=True)
    # Whether it returned rows, from the result's status: its description would build
    # an object per column of every statement, each time.
    result = cursor.pgresult
    returned = result is not None and result.status == psycopg.pq.ExecStatus.TUPLES_OK
    return cursor.fetchall() if returned else []


PREPARED_CURSOR = "_casebook_prepared_cursor"
# psycopg's own loader of timestamps with a time zone (compiled, with psycopg[binary]).
# Django registers its own on every connection, which parses each timestamp in Python to
# give it Django's time zone; with Django's time zone UTC, the connection's too (Django
# sets it), psycopg's gives the same datetimes, about ten times faster. A page of the
# case list reads a hundred.
_TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid
_TIMESTAMPTZ_LOADER = psycopg.adapters.get_loader(_TIMESTAMPTZ, psycopg.pq.Format.TEXT)


def _prepared_cursor(database: Any) -> psycopg.Cursor[Any]:
    """One server-binding cursor per connection (Django's wrapper is per thread), made
    anew when Django has reconnected."""
    raw = database.connection
    cursor = getattr(database, PREPARED_CURSOR, None)
    if cursor is None or cursor.closed or cursor.connection is not raw:
        cursor = psycopg.Cursor(raw)
        if settings.USE_TZ and database.timezone_name == "UTC" and _TIMESTAMPTZ_LOADER:
            cursor.adapters.register_loader(_TIMESTAMPTZ, _TIMESTAMPTZ_LOADER)
        setattr(database, PREPARED_CURSOR, cursor)
    return cursor


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


@dataclass(frozen=True)
class IdsInOrder:
    """Ids of some of a list's rows, held by an index of their own in the list's order:
    in `source`, the columns `moment` and `key` hold each row's moment and id (a grant's
    case_created_at and content_object_id stand for its case's created_at and id)."""

    source: QuerySet[Any]
    moment: str
    key: str


@dataclass(frozen=True)
class RowsByIds:
    """A list read as ids (casebook.web.paging.keyset_page): a page's ids from each of
    `ids` in order with a LIMIT, then the page's rows from `rows` in one query. It serves
    the list's `order` only (the order its indexes hold). For SQLite; on PostgreSQL the
    same list reads itself (StatementList)."""

    rows: QuerySet[Any]
    ids: tuple[IdsInOrder, ...]
    order: tuple[str, ...]

    def select_related(self, *fields: str) -> "RowsByIds":
        return replace(self, rows=self.rows.select_related(*fields))


# Where a page starts: the moment and id of the row it starts after (or before).
Position = tuple[dt.datetime, Any]


class StatementList(Protocol):
    """A list that counts and pages itself with hand-written statements (see prepared),
    in `order` (a moment and the id, newest first), for the lists nearly every request
    reads: for a small page, composing querysets and planning their text anew cost more
    than reading the page does (casebook.cases.granted_list.GrantedList)."""

    @property
    def order(self) -> tuple[str, ...]: ...

    def counted(self, limit: int) -> int:
        """How many rows the list has, counted up to `limit`."""
        ...

    def page(self, cursor: Position | None, *, newest_first: bool, limit: int) -> list[Any]:
        """The first `limit` rows after `cursor` (before it, going oldest first), in
        that direction's order, each once."""
        ...

    def select_related(self, *fields: str) -> "StatementList":
        """The same list, whose rows come with these related rows."""
        ...
