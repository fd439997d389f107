"""Bounding what a flood of refusals can write to the permanent log.

Refusals a client can repeat without end (case URLs while signed out, attempts on a
locked account, forged or stale forms, the admin site) are written at most once a minute
per key: per address for anonymous visitors, per account for signed-in people (never
per address: an office behind one address must not hide an insider's probing). The
windows live in the database, so every worker shares them; a repeat inside a window is
counted, and the next event written says how many were folded into it.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.models import RefusalWindow

WINDOW = dt.timedelta(seconds=60)
KEPT_FOR = dt.timedelta(days=1)


def admitted(key: str) -> int | None:
    """None when a refusal under `key` falls inside the current window (it is counted
    instead of written); else the number of repeats folded since the last one written."""
    key = key[:200]
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                window = RefusalWindow.objects.select_for_update().filter(key=key).first()
                if window is None:
                    RefusalWindow.objects.create(key=key, opened_at=now)
                    return 0
                if now - window.opened_at < WINDOW:
                    window.folded += 1
                    window.save(update_fields=["folded"])
                    return None
                folded = window.folded
                window.opened_at, window.folded = now, 0
                window.save(update_fields=["opened_at", "folded"])
                return folded
        except IntegrityError:  # another worker opened the window first: look again
            continue
    return None


def folded_details(folded: int) -> dict[str, int]:
    """The details an admitted refusal carries: how many repeats it stands for."""
    return {"folded": folded} if folded else {}


def windows_expire(now: dt.datetime) -> str:
    """Forget windows untouched for a day (the scheduler's job). Repeats they counted
    and no later event reported are written first, in one event, so none goes unsaid."""
    with transaction.atomic():
        old = RefusalWindow.objects.select_for_update().filter(opened_at__lt=now - KEPT_FOR)
        unreported = sum(old.values_list("folded", flat=True))
        if unreported:
            log.record(
                Action.LOG_REFUSALS_FOLDED,
                actor=Actor.system("casebook_jobs"),
                outcome=Outcome.DENIED,
                details={"folded": unreported},
            )
        deleted, _ = old.delete()
    return f"expired_{deleted}"
