import json

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casebook import disclosure, exports, releases
from casebook.roles import Role, role_required

ALLOWED_PARAMETERS = {"dimensions", "format"}


def _refusal(message: str, status: int) -> HttpResponse:
    return JsonResponse({"error": message}, status=status)


@never_cache
@require_GET
@role_required(Role.SUPERVISOR)
def aggregate_export(request):
    """GET /exports/aggregate?dimensions=category,year&format=csv|json. Aggregates only."""
    extra = sorted(set(request.GET) - ALLOWED_PARAMETERS)
    if extra:
        return _refusal(
            _("Exports take no filters: only 'dimensions' and 'format' (not %(names)s).")
            % {"names": ", ".join(name[:40] for name in extra[:5])},
            400,
        )
    output = request.GET.get("format", "csv")
    if output not in ("csv", "json"):
        return _refusal(_("format must be csv or json."), 400)
    try:
        release, _charged = releases.release_table(
            requester=request.user, dimensions=request.GET.get("dimensions", "")
        )
    except releases.BudgetExhausted as refusal:
        return _refusal(str(refusal), 429)
    except disclosure.DisclosureRefused as refusal:
        return _refusal(str(refusal), 400)
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
