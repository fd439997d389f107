"""The auditor's workspace's counts of the log (casebook.audit.queries.LogCounts) in two
statements on PostgreSQL, where the ORM sends nine: the chain's head and horizon and the
alerts' counts in one, prepared once per connection (casebook.db.prepared), and the
events waiting above that horizon. The workspace is the page auditors keep open, and
composing and planning those nine cost more than counting did. Its unfiltered pages of
events, newest first, are prepared too. Elsewhere (SQLite under `make run`)
queries.log_counts and queries.event_page read the same through the ORM.
"""

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, models

from casebook.audit.actions import Action
from casebook.audit.queries import (
    ACCOUNT_ACTIONS,
    ALERT_DAYS,
    NO_EVENT,
    PAGE,
    ChainStatus,
    EventFilter,
    EventPage,
    LogCounts,
    chain_status,
    event_page,
    filtered_events,
    log_counts,
)
from casebook.audit.verification_runs import latest_verification
from casebook.db import columns_of, prepared
from casebook.models import AccessCheckpoint, AccessEvent, AccessSeal, VerificationRun


def _quoted(action: str) -> str:
    """A registered action's name as an SQL constant."""
    if not re.fullmatch(r"[a-z0-9_.]+", action):
        raise ValueError(f"not an action's name: {action!r}")
    return f"'{action}'"


# The actions are written into the statement, not sent as values: it is planned once,
# without its values (casebook.db.prepared), and only a constant tells the planner which
# action's index range is small.
STATEMENT = f"""
    WITH head AS (
        SELECT seal.position, LEAST(COALESCE(seal.horizon, 0), (
                SELECT newest.event_id FROM casebook_accessseal AS newest
                 ORDER BY newest.event_id DESC LIMIT 1)) AS horizon
          FROM casebook_accessseal AS seal ORDER BY seal.position DESC LIMIT 1
    ), period AS (
        SELECT COALESCE((
            SELECT event.id FROM casebook_accessevent AS event
             WHERE event.occurred_at >= %(since)s ORDER BY event.occurred_at LIMIT 1
        ), {NO_EVENT}) AS first
    )
    SELECT COALESCE((SELECT position FROM head), 0), COALESCE((SELECT horizon FROM head), 0),
        (SELECT count(*) FROM casebook_accessevent AS event
          WHERE event.id >= period.first AND event.action = {_quoted(Action.CASE_BREAK_GLASS)}),
        (SELECT count(*) FROM casebook_accessevent AS event
          WHERE event.id >= period.first
            AND event.action IN ({", ".join(_quoted(action) for action in ACCOUNT_ACTIONS)})),
        (SELECT count(*) FROM casebook_accessevent AS event
          WHERE event.id >= period.first
            AND event.action = {_quoted(Action.CASE_DECRYPT_FAILED)}),
        (SELECT count(*) FROM casebook_accessevent AS event
          WHERE event.action = {_quoted(Action.LOG_VERIFY)} AND event.outcome = 'denied'),
        (SELECT event.outcome FROM casebook_accessevent AS event
          WHERE event.action = {_quoted(Action.LOG_CHECKPOINT_SENT)}
          ORDER BY event.id DESC LIMIT 1) = 'error'
      FROM period"""  # noqa: S608 -- registered action names only


# Through Django's cursor, which writes the horizon into the text it sends (it binds
# values on the client): planned with it, the count reads only the events above it.
WAITING = """
    SELECT count(*), min(event.occurred_at) FROM casebook_accessevent AS event
     WHERE event.id > %s
       AND NOT EXISTS (SELECT 1 FROM casebook_accessseal AS seal WHERE seal.event_id = event.id)"""


def _waiting_above(horizon: int) -> tuple[int, dt.datetime | None]:
    """queries.waiting_above in one statement the ORM does not compose anew each time."""
    with connection.cursor() as cursor:
        cursor.execute(WAITING, [horizon])
        waiting, oldest = cursor.fetchone()
    return waiting, oldest


def counted(now: dt.datetime) -> LogCounts:
    """What the workspace counts at `now`: in two statements on PostgreSQL."""
    if connection.vendor != "postgresql":
        return log_counts(now)
    [row] = prepared(STATEMENT, {"since": now - dt.timedelta(days=ALERT_DAYS)})
    head, horizon, break_glass, accounts, decrypt, broken, unsent = row
    # The waiting events apart, with the horizon written into the statement: planned
    # without it (as any prepared statement is), a join of events to seals above an
    # unknown horizon reads every seal.
    waiting, oldest = _waiting_above(horizon)
    return LogCounts(
        head_seq=head,
        waiting=waiting,
        oldest_waiting=oldest,
        break_glass=break_glass,
        account_changes=accounts,
        decrypt_failures=decrypt,
        broken_verifications=broken,
        last_send_failed=bool(unsent),
    )


_EVENT_FIELDS, _EVENT_COLUMNS = columns_of(AccessEvent, "event")


def _built(model: type[models.Model], row: Sequence[Any]) -> Any:
    """A `model` object from a row of all its columns, as the ORM builds it (its JSON
    decoded, which Model.from_db leaves to the ORM)."""
    fields = model._meta.concrete_fields
    values = [
        json.loads(value)
        if isinstance(field, models.JSONField) and isinstance(value, str)
        else value
        for field, value in zip(fields, row, strict=True)
    ]
    return model.from_db(DEFAULT_DB_ALIAS, [field.attname for field in fields], values)


def _newest_events(after: bool) -> str:
    """The newest events (before an id, when `after` a page), each with its seal's
    position: the page's size written in, so that the plan reads one page's rows."""
    before = "WHERE event.id < %s " if after else ""
    return f"""
        SELECT {_EVENT_COLUMNS}, seal.position FROM casebook_accessevent AS event
          LEFT JOIN casebook_accessseal AS seal ON seal.event_id = event.id
        {before}ORDER BY event.id DESC LIMIT {PAGE + 1}"""  # noqa: S608 -- constants only


_NEWEST, _OLDER = _newest_events(False), _newest_events(True)
_SEAL, _SEALED = AccessSeal._meta.get_field("event").remote_field, ["position", "event_id"]


def page_of(chosen: EventFilter, *, before: int | None, after: int | None) -> EventPage:
    """The page of the events `chosen` filters, as queries.event_page reads it: on
    PostgreSQL the unfiltered pages going older in one prepared statement."""
    if connection.vendor != "postgresql" or chosen != EventFilter() or after is not None:
        return event_page(filtered_events(chosen), before=before, after=after)
    found = prepared(_OLDER, [before]) if before is not None else prepared(_NEWEST, [])
    events = []
    for *columns, position in found:
        event = _built(AccessEvent, columns)
        seal = None
        if position is not None:
            seal = AccessSeal.from_db(DEFAULT_DB_ALIAS, _SEALED, (position, event.pk))
        _SEAL.set_cached_value(event, seal)
        events.append(event)
    rows = events[:PAGE]
    return EventPage(
        events=rows,
        older=rows[-1].id if rows and len(events) > PAGE else None,
        newer=rows[0].id if rows and before is not None else None,
    )


# The newest verification in the log, the newest checkpoint and the newest verification
# asked for, each one index read (the action written in, as in STATEMENT).
_LAST_VERIFIED = f"""
    SELECT {_EVENT_COLUMNS} FROM casebook_accessevent AS event
     WHERE event.action = {_quoted(Action.LOG_VERIFY)} ORDER BY event.id DESC LIMIT 1"""  # noqa: S608
_LAST_CHECKPOINT = f"""
    SELECT {columns_of(AccessCheckpoint)[1]} FROM casebook_accesscheckpoint
     ORDER BY seq DESC LIMIT 1"""  # noqa: S608 -- constants only
_LAST_RUN = f"""
    SELECT {columns_of(VerificationRun)[1]} FROM casebook_verificationrun
     ORDER BY requested_at DESC LIMIT 1"""  # noqa: S608 -- constants only


def _newest(model: type[models.Model], statement: str) -> Any:
    found = prepared(statement, [])
    return _built(model, found[0]) if found else None


def status_and_run(counts: LogCounts) -> tuple[ChainStatus, VerificationRun | None]:
    """The chain's status (queries.chain_status) and the latest verification asked for
    (verification_runs.latest_verification): on PostgreSQL in three prepared reads."""
    if connection.vendor != "postgresql":
        return chain_status(counts), latest_verification()
    status = ChainStatus(
        last_verification=_newest(AccessEvent, _LAST_VERIFIED),
        last_checkpoint=_newest(AccessCheckpoint, _LAST_CHECKPOINT),
        head_seq=counts.head_seq,
        waiting=counts.waiting,
        oldest_waiting=counts.oldest_waiting,
    )
    return status, _newest(VerificationRun, _LAST_RUN)
