"""Aggregate exports: released, noisy tables as CSV (with HXL) or JSON. Supervisors only.

The API answers refusals in JSON; the builder page answers people with pages.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casebook.accounts.preferences import LANGUAGES
from casebook.aggregates import disclosure, releases
from casebook.roles import Role
from casebook.web.client import SignedInRequest
from casebook.web.decorators import (
    record_release_refusal,
    release_refused,
    role_required,
    same_origin_only,
)
from casebook.web.exporting import table_response
from casebook.web.forms.exports import ExportForm

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
    return table_response(served, output, language)


@never_cache
@require_GET
@role_required(Role.SUPERVISOR)
@same_origin_only
def export_builder(request: SignedInRequest) -> HttpResponse:
    """Choose up to three dimensions and a format, see what the table costs and the
    budget left, then download it. Refusals are told on the page."""
    form = ExportForm(request.GET or None)
    context: dict[str, object] = {"form": form, "quote": None}
    if not form.is_bound:
        return render(request, "casebook/export_builder.html", context)
    if not form.is_valid():
        record_release_refusal(request, 400, form.asked())
        return render(request, "casebook/export_builder.html", context, status=400)
    dimensions = form.dimensions()
    try:
        context["quote"] = releases.export_quote(requester=request.user, dimensions=dimensions)
        if not form.cleaned_data["confirm"]:
            return render(request, "casebook/export_builder.html", context)
        served = releases.release_table(requester=request.user, dimensions=dimensions)
    except releases.BudgetExhausted as refusal:
        return _refused_page(request, form, context, str(refusal), 429)
    except releases.NoSnapshotYet as refusal:
        response = _refused_page(request, form, context, str(refusal), 503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    except disclosure.DisclosureRefused as refusal:
        return _refused_page(request, form, context, str(refusal), 400)
    return table_response(served, form.cleaned_data["format"], translation.get_language())


def _refused_page(
    request: SignedInRequest,
    form: ExportForm,
    context: dict[str, object],
    message: str,
    status: int,
) -> HttpResponse:
    record_release_refusal(request, status, form.asked())
    context["refusal"] = message
    return render(request, "casebook/export_builder.html", context, status=status)
