"""Checkpoints that leave the host by themselves.

The scheduler signs the log's head every CASEBOOK_CHECKPOINT_EVERY_MINUTES, appends the
checkpoint to a local file of all checkpoints (CASEBOOK_CHECKPOINT_FILE: one JSON
object per line, the file `verify_access_log --checkpoint` takes whole), and POSTs it as
JSON to CASEBOOK_CHECKPOINT_URL, an endpoint the auditors control off this host (HTTPS;
plain HTTP only to this machine itself, for tests). A failed send is recorded, flagged,
and shown to auditors until a later send succeeds.
"""

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.utils import timezone

from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.audit.checkpoints import checkpoint_create
from casebook.audit.sealing import waiting_events
from casebook.crypto.envelope import KeyMissing
from casebook.models import AccessCheckpoint, AccessEvent, AccessSeal

ACTOR = Actor.system("casebook_jobs")
SEND_TIMEOUT_SECONDS = 10
OWN_ACTIONS = {Action.LOG_CHECKPOINT, Action.LOG_CHECKPOINT_SENT, Action.JOB_RUN}


class UnsafeDestination(ValueError):
    """The checkpoint URL is neither HTTPS nor this machine."""


def checkpoint_due(now: dt.datetime) -> dt.datetime:
    every = max(1, int(settings.CASEBOOK_CHECKPOINT_EVERY_MINUTES))
    minute = (now.hour * 60 + now.minute) // every * every
    return now.replace(hour=minute // 60, minute=minute % 60, second=0, microsecond=0)


def _unchanged(now: dt.datetime) -> bool:
    """Nothing but the checkpoint job's own events since the newest checkpoint, which is
    recent (under half the age that raises an alert) and was sent, if it was to be."""
    newest = AccessCheckpoint.objects.order_by("-seq").values_list("seq", "signed_at").first()
    if newest is None or last_send_failed():
        return False
    half_age = dt.timedelta(minutes=settings.CASEBOOK_CHECKPOINT_MAX_AGE_MINUTES / 2)
    if newest[1] < now - half_age:
        return False
    sealed_since = AccessSeal.objects.filter(position__gt=newest[0]).exclude(
        event__action__in=OWN_ACTIONS
    )
    waiting = waiting_events().exclude(action__in=OWN_ACTIONS)
    return not sealed_since.exists() and not waiting.exists()


def destination() -> str:
    url = str(settings.CASEBOOK_CHECKPOINT_URL or "")
    if not url:
        return ""
    parsed = urlparse(url)
    local = parsed.hostname in ("127.0.0.1", "localhost", "::1")
    if parsed.scheme != "https" and not (parsed.scheme == "http" and local):
        raise UnsafeDestination("CASEBOOK_CHECKPOINT_URL must be an https:// address.")
    return url


def checkpoint_ship(slot: dt.datetime) -> str:
    """The scheduler's checkpoint job: sign, keep a local copy, send. Says what it did."""
    if _unchanged(timezone.now()):
        return "unchanged"
    try:
        checkpoint = checkpoint_create(actor=ACTOR)
    except KeyMissing:
        return "no_signing_key"
    line = json.dumps(checkpoint, sort_keys=True)
    kept = str(settings.CASEBOOK_CHECKPOINT_FILE or "")
    if kept:
        with Path(kept).open("a", encoding="utf-8") as file:
            file.write(line + "\n")
    url = destination()
    if not url:
        return f"signed_{checkpoint['seq']}"
    sent = _send(url, line.encode())
    log.record(
        Action.LOG_CHECKPOINT_SENT,
        actor=ACTOR,
        outcome=Outcome.ALLOWED if sent else Outcome.ERROR,
        details={"checkpoint": str(checkpoint["seq"]), "result": "sent" if sent else "failed"},
    )
    return f"sent_{checkpoint['seq']}" if sent else f"send_failed_{checkpoint['seq']}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would turn the POST into a body-less GET: it counts as a failed send."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _send(url: str, body: bytes) -> bool:
    """POST `body`; True only for a 2xx answer within SEND_TIMEOUT_SECONDS in all (name
    lookup included: the scheduler's loop never waits longer than that)."""
    outcome: list[bool] = []

    def post() -> None:
        request = urllib.request.Request(  # noqa: S310 -- https, or this machine (destination)
            url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        opener = urllib.request.build_opener(_NoRedirects)
        try:
            with opener.open(request, timeout=SEND_TIMEOUT_SECONDS) as answer:
                outcome.append(200 <= answer.status < 300)
        except (urllib.error.URLError, OSError, ValueError):
            outcome.append(False)

    sender = threading.Thread(target=post, daemon=True)
    sender.start()
    sender.join(SEND_TIMEOUT_SECONDS)
    return bool(outcome and outcome[0])


def last_send_failed() -> bool:
    """Whether the newest attempt to send a checkpoint failed (an auditor alert)."""
    newest = (
        AccessEvent.objects.filter(action=Action.LOG_CHECKPOINT_SENT)
        .order_by("-id")
        .values_list("outcome", flat=True)
        .first()
    )
    return newest == Outcome.ERROR
