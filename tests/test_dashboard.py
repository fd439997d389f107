"""The supervisor dashboard: drawn once a month from the month's first snapshot, on a
budget of its own, and never from a release made under other settings."""

import datetime as dt
from decimal import Decimal
from unittest import mock

from django.urls import reverse
from django.utils import timezone

from casebook.aggregates import ledger
from casebook.jobs.runner import run_due_jobs
from casebook.models import DashboardPanel, PrivacyCharge, Release
from tests import factories
from tests.cast import CastTestCase
from tests.factories import policy

DASHBOARD = reverse("casebook:dashboard")
EXPORT = reverse("casebook:aggregate_export")
# A moment whose month has had its first snapshot: in a month's first days, before its
# first scheduled snapshot, the refresh has nothing to draw from (and waits for it).
MID_MONTH = dt.datetime(2027, 3, 17, 10, tzinfo=dt.UTC)


@policy()
class DashboardTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for _ in range(30):
            factories.case(cls.author, primary_category="detention", year=2020)

    def setUp(self):
        clock = mock.patch.object(timezone, "now", return_value=MID_MONTH)
        clock.start()
        self.addCleanup(clock.stop)
        factories.sign_in(self.client, self.supervisor)

    def test_the_monthly_refresh_draws_svg_charts_from_the_months_first_snapshot(self):
        run_due_jobs()
        response = self.client.get(DASHBOARD)
        page = response.content.decode()
        assert response.status_code == 200
        assert page.count("<svg") >= 4 and "<script" not in page
        snapshot = factories.snapshot()
        assert f"From the snapshot of {snapshot.taken_for:%Y-%m-%d}" in page
        assert Release.objects.filter(purpose="dashboard").count() == 4
        assert "FICTIONAL" not in page

    def test_page_views_and_edits_release_nothing(self):
        assert self.client.get(DASHBOARD).content.decode().count("<svg") == 0
        assert not Release.objects.exists()  # no refresh on a page view
        run_due_jobs()
        for _ in range(5):
            self.client.get(DASHBOARD)
            factories.case(self.author)
            run_due_jobs()
        assert PrivacyCharge.objects.count() == 4
        assert all(c.supervisor_id is None for c in PrivacyCharge.objects.all())

    def test_an_export_release_of_the_same_snapshot_and_settings_is_reused(self):
        factories.snapshot()
        assert self.client.get(EXPORT, {"dimensions": "year,category"}).status_code == 200
        run_due_jobs()
        panel = DashboardPanel.objects.get(dimensions="category,year")
        assert panel.release.purpose == "export"
        assert sorted(c.release.purpose for c in PrivacyCharge.objects.all()) == [
            "dashboard",
            "dashboard",
            "dashboard",
            "export",
        ]

    def test_every_chart_names_its_category_and_shows_its_numbers_as_a_table(self):
        # What is drawn, not the noise: without it, 30 cases in 2020 always show (with
        # it, at the dashboard's scale, about one run in six would hide the row).
        exact = mock.Mock(side_effect=lambda counts: counts, **{"map.return_value": 0.0})
        with mock.patch("casebook.aggregates.disclosure.noise_measurement", return_value=exact):
            run_due_jobs()
        page = self.client.get(DASHBOARD).content.decode()
        assert "<figcaption>Detention</figcaption>" in page  # small multiples, each named
        assert page.count("<details><summary>The numbers</summary>") == page.count("<svg")
        assert '<tr><th scope="row">2020</th><td>' in page

    def test_only_the_supervisors_own_budget_is_shown(self):
        run_due_jobs()
        page = self.client.get(DASHBOARD).content.decode()
        assert "4 of 4 left for your exports" in page
        assert "monthly limit" not in page and "Whole dataset" not in page

    def test_a_settings_change_stops_old_charts_and_says_so(self):
        run_due_jobs()
        with policy(THRESHOLD=20):
            page = self.client.get(DASHBOARD).content.decode()
        assert page.count("<svg") == 0
        assert page.count("No chart of this table is valid under the current settings") == 4
        assert self.client.get(DASHBOARD).content.decode().count("<svg") >= 4

    def test_before_a_months_first_snapshot_last_months_charts_stay(self):
        run_due_jobs()  # March's charts, from the snapshot of Monday 15 March
        # 1-4 April 2027: Thursday to Sunday, before April's first snapshot (Monday 5th).
        for day in (1, 4):
            early = dt.datetime(2027, 4, day, 12, tzinfo=dt.UTC)
            with mock.patch.object(timezone, "now", return_value=early):
                run_due_jobs()
                factories.sign_in(self.client, self.supervisor)  # days idle: signed out
                page = self.client.get(DASHBOARD).content.decode()
            assert page.count("<svg") >= 4
            assert set(DashboardPanel.objects.values_list("month", flat=True)) == {
                dt.date(2027, 3, 1)
            }
        april_5 = dt.datetime(2027, 4, 5, tzinfo=dt.UTC)
        with mock.patch.object(timezone, "now", return_value=april_5):
            run_due_jobs()
        assert dt.date(2027, 4, 1) in set(DashboardPanel.objects.values_list("month", flat=True))

    def test_only_supervisors_see_the_dashboard(self):
        for user in (self.author, self.auditor, self.administrator):
            factories.sign_in(self.client, user)
            assert self.client.get(DASHBOARD).status_code == 403
        assert not Release.objects.exists()


@policy()
class DashboardYearTests(CastTestCase):
    def test_a_year_of_daily_edits_and_views_spends_only_the_dashboards_budget(self):
        start = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)
        for day in range(365):
            moment = start + dt.timedelta(days=day)
            with mock.patch.object(timezone, "now", return_value=moment):
                factories.case(self.author, year=2020 + day % 5)
                factories.sign_in(self.client, self.supervisor)
                assert self.client.get(DASHBOARD).status_code == 200
                run_due_jobs()
        charges = list(PrivacyCharge.objects.select_related("release"))
        assert {c.release.purpose for c in charges} == {"dashboard"}
        months = {c.period for c in charges}
        assert months == {f"2027-{month:02}" for month in range(1, 13)}
        for month in months:  # 4 tables at 0.1: the dashboard's monthly 0.4, never more
            spent = sum(c.epsilon for c in charges if c.period == month)
            assert spent == Decimal("0.4")
        left = ledger.budget(self.supervisor)
        assert left.supervisor_left == Decimal(4) and left.exports_left == Decimal(20)
        factories.sign_in(self.client, self.supervisor)
        assert self.client.get(EXPORT, {"dimensions": "gender"}).status_code == 200


def test_runs_of_years_below_the_threshold_are_grouped_and_figures_keep_their_rows():
    from casebook.aggregates.charts import years_grouped

    cells = [
        {"year": 2005, "count": "<10"},
        {"year": 2006, "count": "<10"},
        {"year": 2007, "count": "<10"},
        {"year": 2008, "count": 15},
        {"year": 2009, "count": "<10"},
        {"year": 2011, "count": "<10"},
        {"year": 2012, "count": "<10"},
    ]
    assert years_grouped(cells) == [
        {"year": "2005–2007", "count": "<10 each year"},
        {"year": 2008, "count": 15},
        {"year": 2009, "count": "<10"},
        {"year": "2011–2012", "count": "<10 each year"},
    ]
