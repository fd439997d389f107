"""The supervisors' dashboard: charts of released tables and the budget left."""

from dataclasses import dataclass

from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from casebook.aggregates import charts, disclosure, releases
from casebook.models import Release
from casebook.roles import Role
from casebook.web.decorators import role_required, same_origin_only

STANDARD_TABLES = [
    ("category,year", _("Cases by category and year")),
    ("category,province_china", _("Cases by category and province in China")),
    ("sub_pattern", _("Sub-patterns")),
    ("current_status", _("Current status")),
]


@dataclass(frozen=True)
class Panel:
    title: str
    release: Release | None
    charts: list[SafeString]
    refused: str = ""


def _panel(request, dimensions: str, title) -> Panel:
    release: Release | None
    try:
        release, _charged = releases.release_table(
            requester=request.user, dimensions=dimensions, purpose=Release.Purpose.DASHBOARD
        )
        refused = ""
    except disclosure.DisclosureRefused as refusal:
        # Out of budget: show the last release of this table, however old, if any.
        release = releases.latest_release(purpose=Release.Purpose.DASHBOARD, dimensions=dimensions)
        refused = str(refusal)
    if release is None:
        return Panel(str(title), None, [], refused)
    names = release.dimensions.split(",")
    return Panel(
        str(title),
        release,
        charts.charts_for(names, release.published["cells"], str(title)),
        refused,
    )


@never_cache
@role_required(Role.SUPERVISOR)
@same_origin_only
def dashboard(request):
    """Charts drawn only from released noisy tables, reused while the data is unchanged."""
    panels = [_panel(request, dims, title) for dims, title in STANDARD_TABLES]
    return render(
        request,
        "casebook/dashboard.html",
        {"panels": panels, "budget": releases.budget(request.user), "policy": disclosure.policy()},
    )
