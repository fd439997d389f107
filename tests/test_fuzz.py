"""Arbitrary input to every form and to the export endpoint: never a 500, and nothing
is saved from input that was refused."""

from django.contrib.auth.models import User
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from casebook.models import CaseGroupGrant, CasePattern, CaseTestimony, CaseUserGrant, PrivacyCharge
from casebook.web.forms.cases import CaseEditForm
from tests import factories
from tests.cast import WithCast

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
VALUE = st.one_of(TEXT, st.lists(TEXT, max_size=3), st.integers().map(str))
CASE_FIELDS = [*CaseEditForm.base_fields, "team"]
OTHER_FIELDS = [
    "holder",
    "reference",
    "reason",
    "token",
    "next",
    "username",
    "password",
    "old_password",
    "new_password1",
    "new_password2",
    "dimensions",
    "format",
    "category",
    "year",
    "status",
    "page",
    "actor",
    "action",
    "target",
    "outcome",
    "date_from",
    "date_to",
    "before",
    "after",
]


def payload(fields):
    keys = st.one_of(st.sampled_from(fields), TEXT)
    return st.dictionaries(keys, VALUE, max_size=8)


# Always tried, whatever Hypothesis draws: NUL characters, which PostgreSQL refuses.
WITH_NUL = {
    "dimensions": "a\x00b",
    "x\x00": "1",
    "holder": "user:\x00",
    "actor": "\x00",
    "username": "a\x00",
    "narrative": "\x00",
    "reason": "\x00" * 30,
    "year": "\x00",
}
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REFUSED = {400, 403, 404, 405, 409, 429}


class FuzzTests(WithCast, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.caseworker = cls.author

    def state(self):
        return (
            CasePattern.objects.count(),
            CaseTestimony.objects.count(),
            CaseUserGrant.objects.count(),
            CaseGroupGrant.objects.count(),
            PrivacyCharge.objects.count(),
            User.objects.get(pk=self.caseworker.pk).password,
            CasePattern.objects.get(pk=self.case.pk).version,
        )

    def send(self, user, method, url, data):
        self.client.logout()
        if user is not None:
            factories.sign_in(self.client, user)
        before = self.state()
        response = getattr(self.client, method)(url, data)
        assert response.status_code < 500, (url, data)
        if response.status_code in REFUSED:
            assert self.state() == before, (url, data, response.status_code)
        return response

    @FUZZ
    @given(payload(CASE_FIELDS))
    @example(WITH_NUL)
    def test_case_forms(self, data):
        self.send(self.caseworker, "post", reverse("casebook:case_create"), data)
        self.send(
            self.caseworker, "post", reverse("casebook:case_edit", args=[self.case.reference]), data
        )

    @FUZZ
    @given(payload(OTHER_FIELDS))
    @example(WITH_NUL)
    def test_sharing_deletion_and_break_glass_forms(self, data):
        ref = self.case.reference
        for name in ("case_sharing", "case_revoke", "case_break_glass", "case_delete"):
            self.send(self.supervisor, "post", reverse(f"casebook:{name}", args=[ref]), data)
        self.send(self.caseworker, "post", reverse("casebook:case_delete", args=[ref]), data)

    @FUZZ
    @given(payload(OTHER_FIELDS))
    @example(WITH_NUL)
    def test_lists_filters_and_exports(self, data):
        self.send(self.caseworker, "get", reverse("casebook:case_list"), data)
        self.send(self.auditor, "get", reverse("casebook:access_log"), data)
        self.send(self.auditor, "get", reverse("casebook:access_log_csv"), data)
        self.send(self.supervisor, "get", reverse("casebook:aggregate_export"), data)

    @FUZZ
    @given(payload(OTHER_FIELDS))
    @example(WITH_NUL)
    def test_sign_in_mfa_and_password_forms(self, data):
        self.send(None, "post", reverse("login"), data)
        self.send(self.caseworker, "post", reverse("password_change"), data)
        self.client.logout()
        self.client.force_login(self.supervisor)  # password only: owes the second factor
        response = self.client.post(reverse("mfa_verify"), data)
        assert response.status_code < 500
        self.client.logout()
        response = self.client.post(reverse("invitation_accept"), data)
        assert response.status_code < 500
