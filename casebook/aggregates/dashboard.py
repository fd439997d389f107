"""The supervisors' dashboard: four standard tables, refreshed once a calendar month.

The refresh is a timed job (casebook.jobs): it draws from the month's first snapshot,
at the dashboard's epsilon per table, charged to the dashboard's own monthly budget and
to the lifetime budget, or reuses an export release of the same table, snapshot and
settings. Page views and edits change nothing. A chart is shown only while its release
is valid under the current settings; otherwise the page says so.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from casebook.aggregates import charts
from casebook.aggregates.releases import release_for_dashboard, valid_releases
from casebook.models import DashboardPanel, Release, Snapshot

STANDARD_TABLES: list[tuple[str, Promise]] = [
    ("category,year", _("Cases by category and year")),
    ("category,province_china", _("Cases by category and province in China")),
    ("sub_pattern", _("Sub-patterns")),
    ("current_status", _("Current status")),
]


def month_of(moment: dt.datetime) -> dt.date:
    return moment.date().replace(day=1)


def months_first_snapshot(month: dt.date) -> Snapshot | None:
    start = dt.datetime.combine(month, dt.time.min, tzinfo=dt.UTC)
    return Snapshot.objects.filter(taken_for__gte=start).order_by("taken_for").first()


def dashboard_refresh(*, month: dt.date, snapshot: Snapshot) -> str:
    """Make (or reuse) the month's release of each standard table from `snapshot`.

    Returns what was done as a short code for the access log: charts drawn of charts
    wanted, and the month (never a count of cases)."""
    shown = 0
    with transaction.atomic():
        for dimensions, _title in STANDARD_TABLES:
            release = release_for_dashboard(dimensions=dimensions, snapshot=snapshot)
            if release is not None:
                DashboardPanel.objects.get_or_create(
                    month=month, dimensions=dimensions, defaults={"release": release}
                )
                shown += 1
    return f"charts_{shown}_of_{len(STANDARD_TABLES)}_{month:%Y-%m}"


@dataclass(frozen=True)
class Panel:
    title: str
    release: Release | None
    charts: list[charts.Chart]


def dashboard_panels() -> list[Panel]:
    """The latest month's chart of each standard table, where its release is valid under
    the current settings; a panel without a release otherwise."""
    latest = DashboardPanel.objects.order_by("-month").values_list("month", flat=True).first()
    month_panels = (
        DashboardPanel.objects.filter(month=latest).select_related("release") if latest else []
    )
    chosen = {panel.dimensions: panel.release for panel in month_panels}
    panels = []
    for dimensions, title in STANDARD_TABLES:
        release = chosen.get(dimensions)
        if release is not None and not _still_valid(release):
            release = None
        drawn = (
            charts.charts_for(release.dimensions.split(","), release.published["cells"], str(title))
            if release is not None
            else []
        )
        panels.append(Panel(str(title), release, drawn))
    return panels


def _still_valid(release: Release) -> bool:
    return valid_releases(release.purpose, release.dimensions).filter(pk=release.pk).exists()
