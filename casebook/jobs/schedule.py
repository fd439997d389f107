"""Every timed job, and the scheduled instant ("slot") it is due for.

A job is due for a slot when that slot has come and the job has not run for it: the
runner records each run, so a slot is served once however often the scheduler starts.
Jobs run in this order, so the month's first snapshot exists before the dashboard's
refresh looks for it.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from casebook.aggregates.dashboard import dashboard_refresh, month_of, months_first_snapshot
from casebook.aggregates.snapshots import snapshot_slot, snapshot_take
from casebook.audit.checkpoint_shipping import checkpoint_due, checkpoint_ship
from casebook.audit.flood import windows_expire
from casebook.audit.verification_runs import verification_due, verification_run
from casebook.cases.drafts import drafts_expire


@dataclass(frozen=True)
class Job:
    name: str
    due: Callable[[dt.datetime], dt.datetime | None]  # the slot due at this moment, if any
    # Runs for a slot; says what it did as a short code for the access log (never a count
    # of cases).
    run: Callable[[dt.datetime], str]
    # A long job that only reads until its last step (verification) runs outside the
    # scheduler's transaction, so that the progress it writes is seen while it runs.
    long: bool = False


def _snapshot_run(slot: dt.datetime) -> str:
    snapshot = snapshot_take(taken_for=slot)
    return f"snapshot_{snapshot.pk}_{slot:%Y-%m-%dT%H:%MZ}"


def _dashboard_due(now: dt.datetime) -> dt.datetime | None:
    month = month_of(now)
    if months_first_snapshot(month) is None:
        return None
    return dt.datetime.combine(month, dt.time.min, tzinfo=dt.UTC)


def _dashboard_run(slot: dt.datetime) -> str:
    month = slot.date()
    snapshot = months_first_snapshot(month)
    if snapshot is None:  # taken since: cannot happen while jobs run in order
        return "no_snapshot"
    return dashboard_refresh(month=month, snapshot=snapshot)


def _quarter_hourly(now: dt.datetime) -> dt.datetime:
    return now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)


def _drafts_run(slot: dt.datetime) -> str:
    return f"drafts_destroyed_{drafts_expire(slot)}"


JOBS = (
    Job("snapshot", snapshot_slot, _snapshot_run),
    Job("dashboard", _dashboard_due, _dashboard_run),
    # A stash cannot be opened after its hour and is destroyed within 15 minutes of it.
    Job("drafts", _quarter_hourly, _drafts_run),
    # An auditor's "Verify now": the slot is the request's time.
    Job("verification", verification_due, verification_run, long=True),
    Job("refusal_windows", _quarter_hourly, windows_expire),
    # Outside the scheduler's transaction: it signs, then sends over the network.
    Job("checkpoint", checkpoint_due, checkpoint_ship, long=True),
)
