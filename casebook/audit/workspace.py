"""The auditor's workspace's counts of the log (casebook.audit.queries.LogCounts) in two
statements on PostgreSQL, where the ORM sends nine: the chain's head and horizon and the
alerts' counts in one, prepared once per connection (casebook.db.prepared), and the
events waiting above that horizon. The workspace is the page auditors keep open, and
composing and planning those nine cost more than counting did. Elsewhere (SQLite under
`make run`) queries.log_counts reads the same, statement by statement.
"""

import datetime as dt

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

STATEMENT = """
    WITH head AS (
        SELECT seal.position, LEAST(COALESCE(seal.horizon, 0), (
                SELECT newest.event_id FROM casebook_accessseal AS newest
                 ORDER BY newest.event_id DESC LIMIT 1)) AS horizon
          FROM casebook_accessseal AS seal ORDER BY seal.position DESC LIMIT 1
    ), period AS (
        SELECT COALESCE((
            SELECT event.id FROM casebook_accessevent AS event
             WHERE event.occurred_at >= %(since)s ORDER BY event.occurred_at LIMIT 1
        ), %(no_event)s) AS first
    )
    SELECT COALESCE((SELECT position FROM head), 0), COALESCE((SELECT horizon FROM head), 0),
        (SELECT count(*) FROM casebook_accessevent AS event
          WHERE event.id >= period.first AND event.action = %(break_glass)s),
        (SELECT count(*) FROM casebook_accessevent AS event
          WHERE event.id >= period.first AND event.action = ANY(%(account)s)),
        (SELECT count(*) FROM casebook_accessevent AS event
          WHERE event.id >= period.first AND event.action = %(decrypt_failed)s),
        (SELECT count(*) FROM casebook_accessevent AS event
          WHERE event.action = %(verify)s AND event.outcome = 'denied'),
        (SELECT event.outcome FROM casebook_accessevent AS event
          WHERE event.action = %(sent)s ORDER BY event.id DESC LIMIT 1) = 'error'
      FROM period"""


def counted(now: dt.datetime) -> LogCounts:
    """What the workspace counts at `now`: in two statements on PostgreSQL."""
    if connection.vendor != "postgresql":
        return log_counts(now)
    values = {
        "since": now - dt.timedelta(days=ALERT_DAYS),
        "no_event": NO_EVENT,
        "break_glass": str(Action.CASE_BREAK_GLASS),
        "account": [str(action) for action in ACCOUNT_ACTIONS],
        "decrypt_failed": str(Action.CASE_DECRYPT_FAILED),
        "verify": str(Action.LOG_VERIFY),
        "sent": str(Action.LOG_CHECKPOINT_SENT),
    }
    [row] = prepared(STATEMENT, values)
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
