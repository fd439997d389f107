"""Testimony through the interface: encrypted on save, shown only through casebook.access."""

import logging
import sys

from django.contrib import admin
from django.test import RequestFactory, TestCase
from django.urls import reverse
from django.views.debug import ExceptionReporter

from casebook.cases import services, sharing
from casebook.models import CaseKey, CasePattern, CaseTestimony
from casebook.roles import Role
from tests import factories

SECRET_WORDS = "UNIQUE-FICTIONAL-PLAINTEXT-42"


class TestimonyViewTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        cls.colleague = factories.user("cw-colleague", Role.CASEWORKER, "Test Team Alpha")
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha")

    def setUp(self):
        factories.sign_in(self.client, self.author)

    def create(self, **fields):
        data = factories.form_data(**fields)
        return self.client.post(reverse("casebook:case_create"), data)

    def test_testimony_is_stored_encrypted_and_shown_escaped_to_the_reader(self):
        response = self.create(narrative=f"{SECRET_WORDS} <script>x</script>")
        assert response.status_code == 302
        row = CaseTestimony.objects.get()
        assert SECRET_WORDS.encode() not in bytes(row.narrative)
        detail = self.client.get(response["Location"])
        page = detail.content.decode()
        assert SECRET_WORDS in page
        assert "<script>x</script>" not in page and "&lt;script&gt;" in page

    def test_likely_identifiers_must_be_confirmed_or_removed(self):
        response = self.create(narrative="Reached by phone 138 1234 5678 and wechat: fictional_9")
        assert response.status_code == 400
        page = response.content.decode()
        assert "Possible identifiers" in page and "138 1234 5678" in page
        assert "WeChat" in page
        assert not CasePattern.objects.exists() and not CaseTestimony.objects.exists()
        confirmed = self.create(
            narrative="Reached by phone 138 1234 5678 and wechat: fictional_9",
            confirm_identifiers="on",
        )
        assert confirmed.status_code == 302
        assert CasePattern.objects.count() == 1

    def test_a_confirmed_finding_is_not_asked_about_again_and_is_kept_only_encrypted(self):
        text = "Reached by phone 138 1234 5678."
        self.create(narrative=text, confirm_identifiers="on")
        case = CasePattern.objects.get()
        row = CaseTestimony.objects.get(case=case)
        assert b"138 1234 5678" not in bytes(row.confirmed_identifiers)
        url = reverse("casebook:case_edit", args=[case.reference])
        same = self.client.post(url, factories.form_data(version="1", narrative=text + " Again."))
        assert same.status_code == 302  # the confirmed phone number is not asked about again
        added = factories.form_data(version="2", narrative=text + " Also kakao: fictional_k")
        asked = self.client.post(url, added)
        assert asked.status_code == 400
        page = asked.content.decode()
        assert "fictional_k" in page and "<code>138 1234 5678</code>" not in page
        assert "Narrative summary: KakaoTalk ID" in page  # the finding names its field
        assert self.client.post(url, {**added, "confirm_identifiers": "on"}).status_code == 302
        # A confirmation is forgotten once its text is gone, and asked about if it returns.
        self.client.post(url, factories.form_data(version="3", narrative="Nothing to flag."))
        again = self.client.post(url, factories.form_data(version="4", narrative=text))
        assert again.status_code == 400

    def test_oversized_testimony_is_refused_and_saves_nothing(self):
        for field, size in (
            ("narrative", 20_001),
            ("interviewer_notes", 10_001),
            ("precise_details", 5_001),
        ):
            response = self.create(**{field: "a" * size})
            assert response.status_code == 400, field
        assert not CasePattern.objects.exists()

    def test_edit_shows_current_testimony_and_saves_new_ciphertext(self):
        case = factories.case(self.author)
        old = bytes(CaseTestimony.objects.get(case=case).narrative)
        url = reverse("casebook:case_edit", args=[case.reference])
        form = self.client.get(url)
        assert "FICTIONAL-NARRATIVE" in form.content.decode()
        response = self.client.post(url, factories.form_data(version="1", narrative=SECRET_WORDS))
        assert response.status_code == 302
        new = bytes(CaseTestimony.objects.get(case=case).narrative)
        assert new != old and SECRET_WORDS.encode() not in new
        assert SECRET_WORDS in self.client.get(response["Location"]).content.decode()

    def test_stale_edit_keeps_the_saved_testimony(self):
        case = factories.case(self.author)
        url = reverse("casebook:case_edit", args=[case.reference])
        assert (
            self.client.post(url, factories.form_data(version="1", narrative="first")).status_code
            == 302
        )
        stale = self.client.post(url, factories.form_data(version="1", narrative="second"))
        assert stale.status_code == 409
        detail = self.client.get(reverse("casebook:case_detail", args=[case.reference]))
        assert "first" in detail.content.decode() and "second" not in detail.content.decode()

    def test_deletion_needs_the_typed_reference_and_destroys_the_data_key(self):
        case = factories.case(self.author)
        url = reverse("casebook:case_delete", args=[case.reference])
        confirm_page = self.client.get(url)
        assert "FICTIONAL" not in confirm_page.content.decode()
        wrong = self.client.post(url, {"reference": "CB-0000-0000"})
        assert wrong.status_code == 400 and CaseKey.objects.filter(case=case).exists()
        done = self.client.post(url, {"reference": case.reference})
        assert done.status_code == 302
        assert not CasePattern.objects.filter(pk=case.pk).exists()
        assert not CaseKey.objects.filter(case_id=case.pk).exists()
        assert not CaseTestimony.objects.filter(case_id=case.pk).exists()
        assert self.client.get(url).status_code == 404

    def test_supervisor_may_delete_a_team_case_but_a_shared_colleague_may_not(self):
        case = factories.case(self.author)
        sharing.case_share(supervisor=self.supervisor, case=case, user=self.colleague)
        url = reverse("casebook:case_delete", args=[case.reference])
        factories.sign_in(self.client, self.colleague)
        assert self.client.post(url, {"reference": case.reference}).status_code == 404
        factories.sign_in(self.client, self.supervisor)
        assert self.client.post(url, {"reference": case.reference}).status_code == 302
        assert not CasePattern.objects.filter(pk=case.pk).exists()

    def test_no_testimony_in_logs_while_creating_reading_and_editing(self):
        with self.assertLogs(level=logging.DEBUG) as captured:
            logging.getLogger("casebook.test").debug("log capture is on")
            response = self.create(narrative=SECRET_WORDS, interviewer_notes=SECRET_WORDS)
            self.client.get(response["Location"])
            self.create(narrative=f"{SECRET_WORDS} kim@example.org")  # refused: identifier
        assert not [line for line in captured.output if SECRET_WORDS in line]


class TestimonyLeakTests(TestCase):
    def test_admin_registers_no_case_or_testimony_model(self):
        registered = {model.__name__ for model in admin.site._registry}
        assert not registered & {
            "CasePattern",
            "CaseTestimony",
            "CaseKey",
            "CaseUserGrant",
            "CaseGroupGrant",
            "CaseSubPattern",
            "CasePerpetrator",
        }

    def test_error_report_hides_posted_testimony_and_local_variables(self):
        factories.team("Test Team Alpha")
        author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        request = RequestFactory().post("/cases/new/", factories.form_data(narrative=SECRET_WORDS))
        request.user = author
        request.session = {}
        from casebook.web.views import cases

        def explode(**kwargs):
            raise RuntimeError("storage failed")

        original = services.case_create
        services.case_create = explode
        try:
            from django.contrib.messages.storage.fallback import FallbackStorage

            request._messages = FallbackStorage(request)
            try:
                cases.case_create(request)
            except RuntimeError:
                report = ExceptionReporter(request, *sys.exc_info())
                text = report.get_traceback_text() + report.get_traceback_html()
        finally:
            services.case_create = original
        assert "storage failed" in text
        assert SECRET_WORDS not in text
        assert "narrative" in text  # the parameter is named, its value is not
