"""What auditors read of the access log: filtered, keyset-paginated, and chain status."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from casebook.audit.actions import FLAGGED_ACTIONS, Action
from casebook.audit.checkpoint_shipping import last_send_failed
from casebook.audit.sealing import newest_seal, waiting_events
from casebook.models import AccessCheckpoint, AccessEvent

PAGE = 50


@dataclass(frozen=True)
class EventFilter:
    """What an auditor filters by; empty values filter nothing."""

    actor: str = ""
    action: str = ""
    target: str = ""
    outcome: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    flagged: bool = False  # only what auditors see flagged (FLAGGED_ACTIONS)


def filtered_events(chosen: EventFilter) -> QuerySet[AccessEvent]:
    """The events that match every filter given (dates are whole UTC days)."""
    events = AccessEvent.objects.select_related("seal")
    if chosen.actor:
        events = events.filter(actor_username__icontains=chosen.actor)
    if chosen.action:
        events = events.filter(action=chosen.action)
    if chosen.flagged:
        events = events.filter(action__in=FLAGGED_ACTIONS)
    if chosen.target:
        events = events.filter(target=chosen.target)
    if chosen.outcome:
        events = events.filter(outcome=chosen.outcome)
    if chosen.date_from:
        start = dt.datetime.combine(chosen.date_from, dt.time.min, tzinfo=dt.UTC)
        events = events.filter(occurred_at__gte=start)
    if chosen.date_to:
        end = dt.datetime.combine(chosen.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        events = events.filter(occurred_at__lt=end)
    return events


@dataclass(frozen=True)
class EventPage:
    events: list[AccessEvent]
    older: int | None  # pass as ?before= for the next (older) page
    newer: int | None  # pass as ?after= for the previous (newer) page


def event_page(
    events: QuerySet[AccessEvent], *, before: int | None, after: int | None
) -> EventPage:
    """One page, newest first, by keyset on the event id: constant cost however long
    the log is."""
    if after is not None:
        rows = list(events.filter(id__gt=after).order_by("id")[: PAGE + 1])
        has_newer = len(rows) > PAGE
        rows = list(reversed(rows[:PAGE]))
        has_older = bool(rows) and events.filter(id__lt=rows[-1].id).exists()
    else:
        if before is not None:
            events = events.filter(id__lt=before)
        rows = list(events.order_by("-id")[: PAGE + 1])
        has_older = len(rows) > PAGE
        rows = rows[:PAGE]
        has_newer = before is not None and bool(rows)
    return EventPage(
        events=rows,
        older=rows[-1].id if rows and has_older else None,
        newer=rows[0].id if rows and has_newer else None,
    )


@dataclass(frozen=True)
class ChainStatus:
    last_verification: AccessEvent | None
    last_checkpoint: AccessCheckpoint | None
    head_seq: int  # the newest seal's position
    waiting: int  # events committed and not yet sealed
    oldest_waiting: dt.datetime | None  # when the one that has waited longest occurred


ALERT_DAYS = 7  # what "recent" means for the alerts, and how old a checkpoint may be
SEALER_LATE = dt.timedelta(minutes=1)  # the sealer keeps up within a second when it runs
NO_EVENT = 2**62  # an id above every event's: "since" when nothing happened in the period
# The account changes auditors see flagged (break-glass and decryption failures apart).
ACCOUNT_ACTIONS = sorted(FLAGGED_ACTIONS - {Action.CASE_BREAK_GLASS, Action.CASE_DECRYPT_FAILED})


@dataclass(frozen=True)
class LogCounts:
    """What the workspace counts in the log, at a moment `now`."""

    head_seq: int  # the newest seal's position
    waiting: int  # events committed and not yet sealed
    oldest_waiting: dt.datetime | None
    break_glass: int  # in the ALERT_DAYS days before now
    account_changes: int  # likewise
    decrypt_failures: int  # likewise
    broken_verifications: int  # ever
    last_send_failed: bool  # the newest attempt to send a checkpoint off the host


def waiting_above(horizon: int) -> tuple[int, dt.datetime | None]:
    """How many events wait for their seal above `horizon`, and when the one that has
    waited longest occurred (the horizon written into the statement, so that the
    planner reads only the events above it)."""
    waiting = waiting_events(horizon).aggregate(count=Count("id"), oldest=Min("occurred_at"))
    return waiting["count"], waiting["oldest"]


def log_counts(now: dt.datetime) -> LogCounts:
    """The counts through the ORM, statement by statement (casebook.audit.workspace
    reads the same in one on PostgreSQL)."""
    head = newest_seal()  # its position, hash and horizon
    position, horizon = (head[0], head[2]) if head else (0, 0)
    waiting, oldest = waiting_above(horizon)
    # The first event of the period, found once on the time index; the counts then read
    # each action's index from that id on (ids are drawn in time order), instead of
    # every event of the period.
    first = (
        AccessEvent.objects.filter(occurred_at__gte=now - dt.timedelta(days=ALERT_DAYS))
        .order_by("occurred_at")
        .values_list("id", flat=True)
        .first()
    )
    recent = AccessEvent.objects.filter(id__gte=first if first is not None else NO_EVENT)
    return LogCounts(
        head_seq=position,
        waiting=waiting,
        oldest_waiting=oldest,
        break_glass=recent.filter(action=Action.CASE_BREAK_GLASS).count(),
        account_changes=recent.filter(action__in=ACCOUNT_ACTIONS).count(),
        decrypt_failures=recent.filter(action=Action.CASE_DECRYPT_FAILED).count(),
        broken_verifications=AccessEvent.objects.filter(
            action=Action.LOG_VERIFY, outcome="denied"
        ).count(),
        last_send_failed=last_send_failed(),
    )


def chain_status(counts: LogCounts | None = None) -> ChainStatus:
    """The chain's status; `counts` are log_counts(), when the caller has read them."""
    counts = counts or log_counts(timezone.now())
    return ChainStatus(
        last_verification=AccessEvent.objects.filter(action=Action.LOG_VERIFY)
        .order_by("-id")
        .first(),
        last_checkpoint=AccessCheckpoint.objects.order_by("-seq").first(),
        head_seq=counts.head_seq,
        waiting=counts.waiting,
        oldest_waiting=counts.oldest_waiting,
    )


@dataclass(frozen=True)
class Alerts:
    """What needs an auditor's look, at the top of the workspace."""

    break_glass: int  # openings by break-glass in the last ALERT_DAYS days
    account_changes: int  # flagged changes to accounts in the last ALERT_DAYS days
    decrypt_failures: int  # testimony that would not decrypt, in the last ALERT_DAYS days
    broken_verifications: int  # verifications that found the chain broken, ever
    checkpoint_missing: bool
    checkpoint_stale: bool  # the newest one is older than CASEBOOK_CHECKPOINT_MAX_AGE_MINUTES
    checkpoint_unsent: bool = False  # the newest attempt to send one off the host failed
    sealer_behind: bool = False  # an event has waited over SEALER_LATE for its seal

    @property
    def any(self) -> bool:
        return bool(
            self.break_glass
            or self.account_changes
            or self.decrypt_failures
            or self.broken_verifications
            or self.checkpoint_missing
            or self.checkpoint_stale
            or self.checkpoint_unsent
            or self.sealer_behind
        )


def alerts(
    now: dt.datetime, status: ChainStatus | None = None, counts: LogCounts | None = None
) -> Alerts:
    """What needs a look at `now`; `counts` (log_counts(now)) and `status`
    (chain_status(counts)) when the caller has read them (the workspace shows all)."""
    counts = counts or log_counts(now)
    status = status or chain_status(counts)
    newest = status.last_checkpoint.signed_at if status.last_checkpoint else None
    oldest = counts.oldest_waiting
    return Alerts(
        break_glass=counts.break_glass,
        account_changes=counts.account_changes,
        decrypt_failures=counts.decrypt_failures,
        broken_verifications=counts.broken_verifications,
        checkpoint_missing=newest is None,
        checkpoint_stale=newest is not None
        and newest < now - dt.timedelta(minutes=settings.CASEBOOK_CHECKPOINT_MAX_AGE_MINUTES),
        checkpoint_unsent=counts.last_send_failed,
        sealer_behind=oldest is not None and oldest < now - SEALER_LATE,
    )
