"""Running the jobs that are due: each once per slot, each run and failure recorded.

Safe to start every minute, and twice at once: the whole check-run-claim of a job is
one transaction under an advisory lock (PostgreSQL), and a unique (job, slot) row
settles any race that remains. A job that fails leaves nothing behind and runs again
at the next start; the failure is in the access log, named by its kind only (an error
message could carry data). A long job (Job.long) claims its slot first and runs outside
that transaction.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.db import JOBS_LOCK, advisory_lock
from casebook.jobs.schedule import JOBS, Job
from casebook.models import JobRun

ACTOR = Actor.system("casebook_jobs")
RUNNING = "running"  # the result of a long job's claim until it finishes
STALE_CLAIM = dt.timedelta(hours=6)


@dataclass(frozen=True)
class JobOutcome:
    job: str
    slot: dt.datetime
    ran: bool
    result: str
    failed: bool = False


def run_due_jobs(now: dt.datetime | None = None) -> list[JobOutcome]:
    """Run every job that is due at `now` (default: the clock). Returns what each did."""
    moment = now or timezone.now()
    outcomes = []
    for job in JOBS:
        slot = job.due(moment)
        if slot is not None:
            outcomes.append(_run_once(job, slot, moment))
    return outcomes


def _run_once(job: Job, slot: dt.datetime, moment: dt.datetime) -> JobOutcome:
    if job.long:
        return _run_long(job, slot, moment)
    try:
        with transaction.atomic():
            advisory_lock(JOBS_LOCK)
            if JobRun.objects.filter(job=job.name, slot=slot).exists():
                return JobOutcome(job.name, slot, False, "already run")
            result = job.run(slot)
            JobRun.objects.create(job=job.name, slot=slot, finished_at=moment, result=result)
            log.record(Action.JOB_RUN, actor=ACTOR, target=job.name, details={"result": result})
    except Exception as error:  # noqa: BLE001 -- any failure is recorded; the next job runs
        if (
            isinstance(error, IntegrityError)
            and JobRun.objects.filter(job=job.name, slot=slot).exists()
        ):
            # Another scheduler claimed this slot first (where no advisory lock exists).
            return JobOutcome(job.name, slot, False, "already run")
        return _failed(job, slot, error)
    return JobOutcome(job.name, slot, True, result)


def _failed(job: Job, slot: dt.datetime, error: Exception) -> JobOutcome:
    kind = type(error).__name__
    log.record(
        Action.JOB_FAILED,
        actor=ACTOR,
        outcome=Outcome.DENIED,
        target=job.name,
        details={"result": kind},
    )
    return JobOutcome(job.name, slot, False, kind, failed=True)


def _run_long(job: Job, slot: dt.datetime, moment: dt.datetime) -> JobOutcome:
    """Claim the slot (under the lock), run with no transaction held, then record. A
    failure frees the slot again, so the job runs at the next start."""
    with transaction.atomic():
        advisory_lock(JOBS_LOCK)
        # A claim still "running" long after it was made is a run whose process died.
        JobRun.objects.filter(
            job=job.name, slot=slot, result=RUNNING, finished_at__lt=moment - STALE_CLAIM
        ).delete()
        if JobRun.objects.filter(job=job.name, slot=slot).exists():
            return JobOutcome(job.name, slot, False, "already run")
        claim = JobRun.objects.create(job=job.name, slot=slot, finished_at=moment, result=RUNNING)
    try:
        result = job.run(slot)
    except Exception as error:  # noqa: BLE001 -- any failure is recorded; the next job runs
        try:
            JobRun.objects.filter(pk=claim.pk).delete()
            return _failed(job, slot, error)
        except DatabaseError:  # the database went away: the stale claim is retried later
            return JobOutcome(job.name, slot, False, type(error).__name__, failed=True)
    with transaction.atomic():
        JobRun.objects.filter(pk=claim.pk).update(result=result[:200])
        log.record(Action.JOB_RUN, actor=ACTOR, target=job.name, details={"result": result})
    return JobOutcome(job.name, slot, True, result)
