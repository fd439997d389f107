import json
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casebook import audit, disclosure, exports, releases
from casebook.roles import Role, role_required

ALLOWED_PARAMETERS = {"dimensions", "format"}


def _refusal(request, message: str, status: int) -> HttpResponse:
    """A refused export: recorded as a denial (the request's dimensions, never counts)."""
    audit.record(
        audit.Action.EXPORT_CREATE,
        actor=audit.Actor.of(request.user),
        outcome=audit.Outcome.DENIED,
        details={"dimensions": request.GET.get("dimensions", "")[:100], "result": str(status)},
    )
    return JsonResponse({"error": message}, status=status)


def same_origin_only(view):
    """Releases spend privacy budget: refuse requests that another site's page started.

    Browsers mark those with Sec-Fetch-Site; scripts and command-line clients send none.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.headers.get("Sec-Fetch-Site", "none") in ("cross-site", "same-site"):
            return _refusal(request, _("Open exports from Casebook itself."), 403)
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@require_GET
@role_required(Role.SUPERVISOR)
@same_origin_only
def aggregate_export(request):
    """GET /exports/aggregate?dimensions=category,year&format=csv|json. Aggregates only."""
    extra = sorted(set(request.GET) - ALLOWED_PARAMETERS)
    if extra:
        return _refusal(
            request,
            _("Exports take no filters: only 'dimensions' and 'format' (not %(names)s).")
            % {"names": ", ".join(name[:40] for name in extra[:5])},
            400,
        )
    output = request.GET.get("format", "csv")
    if output not in ("csv", "json"):
        return _refusal(request, _("format must be csv or json."), 400)
    try:
        release, _charged = releases.release_table(
            requester=request.user, dimensions=request.GET.get("dimensions", "")
        )
    except releases.BudgetExhausted as refusal:
        return _refusal(request, str(refusal), 429)
    except disclosure.DisclosureRefused as refusal:
        return _refusal(request, str(refusal), 400)
    if output == "json":
        response = HttpResponse(
            json.dumps(exports.as_json(release), ensure_ascii=False),
            content_type="application/json",
        )
    else:
        response = HttpResponse(exports.as_csv(release), content_type="text/csv; charset=utf-8")
        name = release.dimensions.replace(",", "-")
        response["Content-Disposition"] = f'attachment; filename="casebook-{name}.csv"'
    return response
