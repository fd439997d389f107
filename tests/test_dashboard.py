"""The supervisor dashboard: charts from released tables only, at a bounded cost."""

from datetime import timedelta

from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from casebook.models import PrivacyCharge, Release
from casebook.roles import Role
from tests import factories
from tests.factories import BASE_POLICY

DASHBOARD = reverse("casebook:dashboard")


class DashboardTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha")
        for _ in range(30):
            factories.case(cls.author, primary_category="detention", year=2020)

    def setUp(self):
        factories.sign_in(self.client, self.supervisor)

    def test_dashboard_draws_svg_charts_from_releases_and_shows_the_budget(self):
        response = self.client.get(DASHBOARD)
        page = response.content.decode()
        assert response.status_code == 200
        assert page.count("<svg") >= 4 and "<script" not in page
        assert "Privacy budget this month" in page and "monthly limit 30," in page
        assert Release.objects.filter(purpose="dashboard").count() == 4
        assert "FICTIONAL" not in page

    def test_page_views_do_not_drain_the_budget(self):
        for _ in range(5):
            self.client.get(DASHBOARD)
        assert PrivacyCharge.objects.count() == 4
        assert all(c.supervisor_id is None for c in PrivacyCharge.objects.all())

    def test_changed_data_refreshes_at_most_once_a_day(self):
        self.client.get(DASHBOARD)
        factories.case(self.author)
        self.client.get(DASHBOARD)
        assert PrivacyCharge.objects.count() == 4  # same day: the old release stands
        with override_settings(CASEBOOK_DISCLOSURE={**BASE_POLICY, "DASHBOARD_REFRESH_SECONDS": 0}):
            self.client.get(DASHBOARD)
        assert PrivacyCharge.objects.count() == 8

    def test_out_of_budget_dashboard_shows_the_last_release_with_a_note(self):
        self.client.get(DASHBOARD)
        factories.case(self.author)
        exhausted = {**BASE_POLICY, "GLOBAL_MONTHLY_BUDGET": 0.4, "DASHBOARD_REFRESH_SECONDS": 0}
        with override_settings(CASEBOOK_DISCLOSURE=exhausted):
            page = self.client.get(DASHBOARD).content.decode()
        assert "Nothing was spent" in page and page.count("<svg") >= 4
        assert PrivacyCharge.objects.count() == 4

    def test_only_supervisors_see_the_dashboard(self):
        for username, role, team in (
            ("cw-2", Role.CASEWORKER, "Test Team Alpha"),
            ("aud-1", Role.AUDITOR, None),
            ("adm-1", Role.ADMINISTRATOR, None),
        ):
            factories.sign_in(self.client, factories.user(username, role, team))
            assert self.client.get(DASHBOARD).status_code == 403
        assert not Release.objects.exists()

    def test_release_age_is_shown(self):
        self.client.get(DASHBOARD)
        assert Release.objects.filter(created_at__gt=timezone.now() - timedelta(minutes=1)).exists()
        assert "Released " in self.client.get(DASHBOARD).content.decode()
