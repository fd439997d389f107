"""Verifying the chain from the auditor's workspace: asked for in a request, done by the
scheduler, its verdict kept and recorded.

A request records `log.verify_request`; the scheduler runs the same verification as
`verify_access_log` (against the stored checkpoints and the trusted public key),
writing how many events it has checked as it goes (the workspace shows it), and
records its verdict as `log.verify`, naming the first bad sequence number.
"""

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.audit.verification import log_length, trusted_public_key, verify_log
from casebook.models import VerificationRun

ABANDONED_AFTER = dt.timedelta(hours=6)


def verification_request(*, auditor: User) -> VerificationRun:
    """Queue a verification (one at a time: an unfinished one is returned as it is,
    unless it was asked for more than ABANDONED_AFTER ago: its scheduler stopped)."""
    with transaction.atomic():
        now = timezone.now()
        VerificationRun.objects.filter(
            finished_at__isnull=True, requested_at__lt=now - ABANDONED_AFTER
        ).update(finished_at=now, problem="abandoned: the scheduler stopped or never ran")
        pending = VerificationRun.objects.filter(finished_at__isnull=True).first()
        if pending is not None:
            return pending
        run = VerificationRun.objects.create(requested_by=auditor, requested_at=timezone.now())
        log.record(Action.LOG_VERIFY_REQUEST, actor=Actor.of(auditor), target=f"run:{run.pk}")
    return run


def verification_due(now: dt.datetime) -> dt.datetime | None:
    """The request time of the oldest unfinished verification (the scheduler's slot)."""
    return (
        VerificationRun.objects.filter(finished_at__isnull=True, requested_at__lte=now)
        .order_by("requested_at")
        .values_list("requested_at", flat=True)
        .first()
    )


def verification_run(requested_at: dt.datetime) -> str:
    """Verify the chain for the request made at `requested_at`; record the verdict."""
    run = VerificationRun.objects.get(requested_at=requested_at)
    runs = VerificationRun.objects.filter(pk=run.pk)
    runs.update(started_at=timezone.now(), to_check=log_length(), checked=0)
    verdict = verify_log(
        trusted_key=trusted_public_key(), progress=lambda count: runs.update(checked=count)
    )
    run.refresh_from_db()
    run.finished_at = timezone.now()
    run.checked = verdict.events
    run.intact = verdict.ok
    run.events = verdict.events
    run.first_bad_seq = verdict.first_bad_seq
    run.problem = verdict.problem[:100]
    result = "intact" if verdict.ok else f"broken at {verdict.first_bad_seq}"
    with transaction.atomic():
        run.save()
        log.record(
            Action.LOG_VERIFY,
            actor=Actor.system("casebook_jobs"),
            outcome=Outcome.ALLOWED if verdict.ok else Outcome.DENIED,
            target=f"run:{run.pk}",
            details={"result": result},
        )
    return "intact" if verdict.ok else f"broken_at_{verdict.first_bad_seq}"


def latest_verification() -> VerificationRun | None:
    return VerificationRun.objects.order_by("-requested_at").first()
