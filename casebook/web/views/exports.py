"""Aggregate exports: released, noisy tables as CSV (with HXL) or JSON. Supervisors only."""

import json

from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casebook.accounts.preferences import LANGUAGES
from casebook.aggregates import disclosure, releases, rendering
from casebook.roles import Role
from casebook.web.client import SignedInRequest
from casebook.web.decorators import release_refused, role_required, same_origin_only

ALLOWED_PARAMETERS = {"dimensions", "format", "lang"}
RETRY_AFTER_SECONDS = 60  # the scheduler takes the first snapshot within a minute


@never_cache
@require_GET
@role_required(Role.SUPERVISOR)
@same_origin_only
def aggregate_export(request: SignedInRequest) -> HttpResponse:
    """GET /exports/aggregate?dimensions=category,year&format=csv|json. Aggregates only."""
    extra = sorted(set(request.GET) - ALLOWED_PARAMETERS)
    if extra:
        return release_refused(
            request,
            _("Exports take no filters: only 'dimensions', 'format' and 'lang' (not %(names)s).")
            % {"names": ", ".join(name[:40] for name in extra[:5])},
            400,
        )
    output = request.GET.get("format", "csv")
    if output not in ("csv", "json"):
        return release_refused(request, _("format must be csv or json."), 400)
    language = request.GET.get("lang", translation.get_language())
    if language not in LANGUAGES:
        return release_refused(request, _("lang must be en or ko."), 400)
    try:
        served = releases.release_table(
            requester=request.user, dimensions=request.GET.get("dimensions", "")
        )
    except releases.BudgetExhausted as refusal:
        return release_refused(request, str(refusal), 429)
    except releases.NoSnapshotYet as refusal:
        response = release_refused(request, str(refusal), 503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    except disclosure.DisclosureRefused as refusal:
        return release_refused(request, str(refusal), 400)
    release = served.release
    with translation.override(language):
        if output == "json":
            body = rendering.as_json(release, served.asked, served.notice)
            return HttpResponse(
                json.dumps(body, ensure_ascii=False), content_type="application/json"
            )
        table = rendering.as_csv(release, served.asked)
    response = HttpResponse(table, content_type="text/csv; charset=utf-8")
    # The snapshot's date names the file: a stand-in release carries an earlier one.
    name = "-".join(served.asked)
    response["Content-Disposition"] = (
        f'attachment; filename="casebook-{name}-{rendering.snapshot_date(release)}.csv"'
    )
    return response
