"""Behaviour added after the security reviews: each test names the gap it closes."""

import importlib

from django.test import TestCase, override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.models import AccessEvent, PrivacyCharge
from casebook.roles import Role
from tests import factories
from tests.test_disclosure import BASE_POLICY

EXPORT = reverse("casebook:aggregate_export")


def last_event() -> AccessEvent:
    return AccessEvent.objects.order_by("-seq").first()


class ReviewFixTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.caseworker = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha")
        cls.auditor = factories.user("aud-1", Role.AUDITOR)
        cls.administrator = factories.user("adm-1", Role.ADMINISTRATOR)
        cls.case = factories.case(cls.caseworker)

    def test_auditor_pages_refuse_odd_digits_and_far_dates_without_a_500(self):
        factories.sign_in(self.client, self.auditor)
        for params in (
            {"before": "²"},
            {"after": "١٢"},
            {"date_to": "9999-12-31"},
            {"date_from": "0001-01-01"},
        ):
            for name in ("casebook:access_log", "casebook:access_log_csv"):
                assert self.client.get(reverse(name), params).status_code in (200, 400), params

    def test_failed_sign_in_with_an_unknown_name_is_logged_as_unknown(self):
        self.client.post(reverse("login"), {"username": "my-secret-password", "password": "x"})
        event = last_event()
        assert (event.action, event.actor_username) == ("auth.login_failed", "unknown")
        self.client.post(reverse("login"), {"username": "cw-author", "password": "wrong"})
        assert last_event().actor_username == "cw-author"

    def test_mfa_setup_shows_a_new_key_each_visit_bound_to_the_session(self):
        self.client.force_login(self.supervisor)
        first = self.client.get(reverse("mfa_setup")).context["secret"]
        second = self.client.get(reverse("mfa_setup")).context["secret"]
        assert first != second
        assert TOTPDevice.objects.filter(user=self.supervisor, confirmed=False).count() == 1
        other = self.client_class()
        other.force_login(self.supervisor)
        response = other.post(reverse("mfa_setup"), {"token": "123456"})
        assert response.status_code == 302  # no set-up started in this session

    def test_exports_started_by_another_site_are_refused_logged_and_free(self):
        factories.sign_in(self.client, self.supervisor)
        response = self.client.get(
            EXPORT, {"dimensions": "category"}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert response.status_code == 403 and PrivacyCharge.objects.count() == 0
        event = last_event()
        assert (event.action, event.outcome) == ("export.create", "denied")
        assert (
            self.client.get(
                EXPORT, {"dimensions": "category"}, headers={"Sec-Fetch-Site": "same-origin"}
            ).status_code
            == 200
        )

    def test_refused_exports_are_recorded_as_denials(self):
        factories.sign_in(self.client, self.supervisor)
        self.client.get(EXPORT, {"dimensions": "name"})
        event = last_event()
        assert (event.action, event.outcome, event.details["dimensions"]) == (
            "export.create",
            "denied",
            "name",
        )

    @override_settings(CASEBOOK_DISCLOSURE={**BASE_POLICY, "GLOBAL_LIFETIME_BUDGET": 1.5})
    def test_the_dataset_has_a_lifetime_budget_as_well_as_a_monthly_one(self):
        factories.sign_in(self.client, self.supervisor)
        assert self.client.get(EXPORT, {"dimensions": "category"}).status_code == 200
        assert self.client.get(EXPORT, {"dimensions": "year"}).status_code == 429

    def test_a_policy_change_is_not_answered_with_an_old_release(self):
        factories.sign_in(self.client, self.supervisor)
        self.client.get(EXPORT, {"dimensions": "category"})
        with override_settings(CASEBOOK_DISCLOSURE={**BASE_POLICY, "CASES_PER_PERSON": 3}):
            self.client.get(EXPORT, {"dimensions": "category"})
        assert PrivacyCharge.objects.count() == 2

    def test_refused_share_is_recorded(self):
        factories.sign_in(self.client, self.supervisor)
        url = reverse("casebook:case_sharing", args=[self.case.reference])
        assert self.client.post(url, {"holder": "user:999999"}).status_code == 400
        event = last_event()
        assert (event.action, event.outcome, event.target) == (
            "case.access",
            "denied",
            self.case.reference,
        )

    def test_refused_revoke_is_recorded(self):
        factories.sign_in(self.client, self.supervisor)
        url = reverse("casebook:case_revoke", args=[self.case.reference])
        self.client.post(url, {"holder": "user:999999"})
        event = last_event()
        assert (event.action, event.outcome, event.details["method"]) == (
            "case.access",
            "denied",
            "POST case_revoke",
        )

    def test_protective_migrations_cannot_be_unapplied(self):
        for name in ("0005_access_log_append_only", "0008_release_ledger_rows"):
            migration = importlib.import_module(f"casebook.migrations.{name}").Migration
            assert not all(op.reversible for op in migration.operations), name

    def test_administrators_look_at_accounts_and_reset_devices_but_change_nothing(self):
        victim = TOTPDevice.objects.create(user=self.caseworker, name="lost phone", confirmed=True)
        factories.sign_in(self.client, self.administrator)
        assert self.client.get("/admin/auth/user/").status_code == 200
        change = self.client.post(
            f"/admin/auth/user/{self.caseworker.pk}/change/",
            {"username": "renamed", "is_active": "on"},
        )
        assert change.status_code in (302, 403) or "renamed" not in change.content.decode()
        self.caseworker.refresh_from_db()
        assert self.caseworker.username == "cw-author"
        assert self.client.get("/admin/auth/group/").status_code == 404
        response = self.client.post(
            f"/admin/otp_totp/totpdevice/{victim.pk}/delete/", {"post": "yes"}
        )
        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(pk=victim.pk).exists()
        event = last_event()
        assert (event.action, event.target) == ("auth.mfa_reset", "cw-author")


class FloodTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.caseworker = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        cls.case = factories.case(cls.caseworker)

    def test_an_anonymous_flood_writes_one_event_a_minute(self):
        start = AccessEvent.objects.count()
        for _ in range(20):
            self.client.get(reverse("casebook:case_detail", args=[self.case.reference]))
        assert AccessEvent.objects.count() == start + 1

    def test_attempts_on_a_locked_account_write_one_lockout_event_a_minute(self):
        for _ in range(5):
            self.client.post(reverse("login"), {"username": "cw-author", "password": "wrong"})
        start = AccessEvent.objects.count()
        for _ in range(20):
            response = self.client.post(
                reverse("login"), {"username": "cw-author", "password": "wrong"}
            )
            assert response.status_code == 429
        assert AccessEvent.objects.count() - start <= 1
        assert AccessEvent.objects.filter(action="auth.lockout").count() == 1
