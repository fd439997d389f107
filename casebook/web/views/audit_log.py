"""The auditor's workspace: the access log filtered, paged, downloaded, and its chain."""

import csv

from django.conf import settings
from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from casebook.audit import log
from casebook.audit.actions import FLAGGED_ACTIONS, Action, Actor
from casebook.audit.queries import alerts, filtered_events
from casebook.audit.verification_runs import verification_request
from casebook.audit.workspace import counted, page_of, status_and_run
from casebook.roles import Role
from casebook.web.decorators import role_required
from casebook.web.forms.audit import EventFilterForm

# The event's columns, its place in the chain and its sealed hash (empty until sealed).
CSV_COLUMNS = ("position", *log.EVENT_COLUMNS, "hash")


def _seq_param(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


@never_cache
@role_required(Role.AUDITOR)
@require_safe
def access_log(request):
    """The auditor's workspace: filter, page, and see the chain's status."""
    form = EventFilterForm(request.GET or None)
    page = page_of(
        form.event_filter(),
        before=_seq_param(request, "before"),
        after=_seq_param(request, "after"),
    )
    log.record(Action.LOG_VIEW, actor=Actor.of(request.user), details={"filters": form.used()})
    query = request.GET.copy()
    for key in ("before", "after"):
        query.pop(key, None)
    now = timezone.now()
    counts = counted(now)
    status, verification = status_and_run(counts)
    return render(
        request,
        "casebook/access_log.html",
        {
            "form": form,
            "page": page,
            "status": status,
            "query": query.urlencode(),
            "break_glass": Action.CASE_BREAK_GLASS,
            "flagged": FLAGGED_ACTIONS,
            "checkpoint_max_age": settings.CASEBOOK_CHECKPOINT_MAX_AGE_MINUTES,
            "alerts": alerts(now, status, counts),
            "verification": verification,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@never_cache
@role_required(Role.AUDITOR)
@require_safe
def access_log_csv(request):
    """The filtered log as CSV. The download itself is recorded first."""
    form = EventFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return access_log(request)
    events = filtered_events(form.event_filter()).order_by("-id")  # as the page: newest first
    log.record(
        Action.LOG_EXPORT,
        actor=Actor.of(request.user),
        details={"filters": form.used()},
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            seal = getattr(event, "seal", None)
            yield writer.writerow(
                [
                    _cell(seal.position if seal else ""),
                    *(_cell(getattr(event, column)) for column in log.EVENT_COLUMNS),
                    _cell(seal.hash if seal else ""),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="casebook-access-log.csv"'
    return response


@never_cache
@require_POST
@role_required(Role.AUDITOR)
def access_log_verify(request):
    """ "Verify now": queue a verification for the scheduler, and come back to watch it."""
    verification_request(auditor=request.user)
    messages.info(request, _("Verification queued: the scheduler starts it within a minute."))
    return redirect("casebook:access_log")
