"""The auditor's workspace's counts of the log (casebook.audit.queries.LogCounts) in two
statements on PostgreSQL, where the ORM sends nine: the chain's head and horizon and the
alerts' counts in one, prepared once per connection (casebook.db.prepared), and the
events waiting above that horizon. The workspace is the page auditors keep open, and
composing and planning those nine cost more than counting did. Elsewhere (SQLite under
`make run`) queries.log_counts reads the same, statement by statement.
"""

import datetime as dt
import re

from django.db import connection

from casebook.audit.actions import Action
from casebook.audit.queries import (
    ACCOUNT_ACTIONS,
    ALERT_DAYS,
    NO_EVENT,
    LogCounts,
    log_counts,
    waiting_above,
)
from casebook.db import prepared


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


def counted(now: dt.datetime) -> LogCounts:
    """What the workspace counts at `now`: in two statements on PostgreSQL."""
    if connection.vendor != "postgresql":
        return log_counts(now)
    [row] = prepared(STATEMENT, {"since": now - dt.timedelta(days=ALERT_DAYS)})
    head, horizon, break_glass, accounts, decrypt, broken, unsent = row
    # The waiting events apart, with the horizon written into the statement: planned
    # without it (as any prepared statement is), a join of events to seals above an
    # unknown horizon reads every seal.
    waiting, oldest = waiting_above(horizon)
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
