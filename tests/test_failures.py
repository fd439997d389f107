"""Failures told truthfully (issue: no "nothing was changed" after a commit, 503 with
Retry-After when the database is away, 4xx for every malformed request)."""

import logging
import time
import uuid
from unittest import mock

import psycopg
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from casebook.audit.actions import Action
from casebook.models import AccessEvent, CasePattern
from casebook.roles import Role
from tests import factories
from tests.cast import CastTestCase
from tests.transactional import LoggedTransactionTestCase

CREATE = reverse("casebook:case_create")
LOGIN = reverse("login")


class MalformedBodyTests(CastTestCase):
    BODIES = [
        {
            "data": b"username=x&password=y",
            "content_type": "application/x-www-form-urlencoded; charset=iso-8859-1",
        },
        {
            "data": "username=x".encode("utf-16"),
            "content_type": "application/x-www-form-urlencoded; charset=utf-16",
        },
        {"data": b"", "content_type": "application/x-www-form-urlencoded"},
        {"data": b"username=\xff\xfe", "content_type": "application/x-www-form-urlencoded"},
        {
            "data": b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\ncut sh',
            "content_type": "multipart/form-data; boundary=b",
        },
        {"data": b'{"a": 1}', "content_type": "application/json"},
        {"data": b"a=1", "content_type": "text/plain"},
    ]

    def test_the_sign_in_page_refuses_them_with_a_clear_400_while_signed_out(self):
        client = Client(enforce_csrf_checks=True)  # the CSRF check would read the body
        for body in self.BODIES:
            response = client.generic("POST", LOGIN, **body)
            assert response.status_code == 400, body
            assert "Nothing was changed" in response.content.decode()

    def test_the_case_form_refuses_them_and_records_nothing(self):
        factories.sign_in(self.client, self.author)
        before = CasePattern.objects.count()
        for body in self.BODIES:
            assert self.client.generic("POST", CREATE, **body).status_code == 400, body
        assert CasePattern.objects.count() == before


class MethodTests(CastTestCase):
    def test_other_methods_are_405_recorded_and_the_same_for_real_and_missing_cases(self):
        factories.sign_in(self.client, self.author)
        answers = set()
        for reference in (self.case.reference, "CB-0000-0000"):
            url = reverse("casebook:case_detail", args=[reference])
            response = self.client.delete(url)
            assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
            answers.add(response.content)
            event = AccessEvent.objects.order_by("-id").first()
            assert (event.action, event.outcome, event.target) == (
                "case.access",
                "denied",
                reference,
            )
            assert event.details == {"method": "DELETE case_detail"}
        assert len(answers) == 1
        assert CasePattern.objects.filter(pk=self.case.pk).exists()
        url = reverse("casebook:case_detail", args=[self.case.reference])
        for _ in range(3):  # repeats inside the minute are counted, not written
            assert self.client.put(url).status_code == 405
        assert (
            AccessEvent.objects.filter(action="case.access", target=self.case.reference).count()
            == 1
        )


class DuplicateSubmitTests(CastTestCase):
    def test_a_form_submitted_twice_records_one_case_and_shows_it(self):
        factories.sign_in(self.client, self.author)
        token = self.client.get(CREATE).context["form"].initial["submission"]
        data = factories.form_data(narrative="FICTIONAL double click", submission=str(token))
        first = self.client.post(CREATE, data)
        second = self.client.post(CREATE, data)
        assert first.status_code == second.status_code == 302
        assert first["Location"] == second["Location"]
        assert CasePattern.objects.filter(submission=token).count() == 1
        # The second, refused by the value it spent, wrote nothing: one recording logged.
        reference = CasePattern.objects.get(submission=token).reference
        created = AccessEvent.objects.filter(action=Action.CASE_CREATE, target=reference)
        assert created.count() == 1
        page = self.client.get(second["Location"]).content.decode()
        assert "had already recorded this case" in page


class AfterTheCommitTests(CastTestCase):
    def test_a_failing_session_after_the_commit_still_says_the_case_was_recorded(self):
        factories.sign_in(self.client, self.author)
        original = SessionStore.save
        saves = []

        def save_fails_after_the_first(session, must_create=False):
            saves.append(must_create)
            if CasePattern.objects.filter(author=self.author).count() > 1:
                from django.contrib.sessions.backends.base import UpdateError

                raise UpdateError  # the session's row went away after the case committed
            return original(session, must_create)

        touch = mock.patch(
            "casebook.web.views.cases.drafting.destroy_after_saving",
            side_effect=lambda request: request.session.__setitem__("touched", 1),
        )
        with mock.patch.object(SessionStore, "save", save_fails_after_the_first), touch:
            response = self.client.post(CREATE, factories.form_data(narrative="FICTIONAL x"))
        case = CasePattern.objects.filter(author=self.author).latest("created_at")
        body = response.content.decode()
        assert response.status_code == 200
        assert f"Case {case.reference} was recorded" in body and "Do not enter it again" in body
        assert "Nothing was" not in body
        assert "default-src" in response["Content-Security-Policy"]
        assert response["X-Frame-Options"] == "DENY"

    def test_an_ordinary_save_writes_the_session_before_the_view_not_after(self):
        factories.sign_in(self.client, self.author)
        order = []
        original = SessionStore.save

        def tracked(session, must_create=False):
            order.append(("session", CasePattern.objects.count()))
            return original(session, must_create)

        before = CasePattern.objects.count()
        session = self.client.session
        session["casebook_last_seen"] = time.time() - 120  # renewed by this request
        session.save()
        with mock.patch.object(SessionStore, "save", tracked):
            self.client.post(CREATE, factories.form_data(narrative="FICTIONAL y"))
        assert CasePattern.objects.count() == before + 1
        assert order and all(count == before for _name, count in order)


class DatabaseAwayTests(CastTestCase):
    def test_an_unreachable_database_is_a_503_with_retry_after_and_a_log_without_paths(self):
        factories.sign_in(self.client, self.author)
        url = reverse("casebook:case_detail", args=[self.case.reference])
        self.client.raise_request_exception = False
        with (
            mock.patch.object(SessionStore, "load", side_effect=OperationalError("gone")),
            self.assertLogs("django.request", level=logging.ERROR) as logs,
        ):
            response = self.client.get(url)
        assert response.status_code == 503 and response["Retry-After"] == "60"
        assert "cannot reach its database" in response.content.decode()
        assert "Nothing you sent was saved" in response.content.decode()
        text = "\n".join(logs.output)
        assert self.case.reference not in text and "/cases/" not in text
        assert "OperationalError" in text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's lock timeout")
class LockTimeoutTests(LoggedTransactionTestCase):
    """Without a test-wide transaction: the holder's lock must meet committed work."""

    def test_an_append_that_waits_too_long_for_the_log_refuses_the_action_cleanly(self):
        factories.team("Test Team Alpha")
        author = factories.user("cw-lock", Role.CASEWORKER, "Test Team Alpha")
        factories.sign_in(self.client, author)
        self.client.get(CREATE)
        events = AccessEvent.objects.count()
        settings = connection.settings_dict
        holder = psycopg.connect(
            f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        )
        try:
            # Held, as a long migration of the log would hold it: no insert gets through.
            holder.execute("LOCK TABLE casebook_accessevent IN SHARE MODE")
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '200ms'")
            self.client.raise_request_exception = False
            response = self.client.post(CREATE, factories.form_data(narrative="FICTIONAL z"))
        finally:
            holder.rollback()
            holder.close()
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        assert response.status_code == 503 and "Nothing you sent was saved" in response.text
        assert not CasePattern.objects.exists()
        assert AccessEvent.objects.count() == events


class SignOutTests(CastTestCase):
    def test_sign_out_ends_the_session_even_when_the_log_cannot_be_written(self):
        from django.contrib.sessions.models import Session

        factories.sign_in(self.client, self.author)
        key = self.client.session.session_key
        with mock.patch(
            "casebook.accounts.signals.log.record", side_effect=OperationalError("log down")
        ):
            response = self.client.post(reverse("logout"))
        assert response.status_code == 302
        assert not Session.objects.filter(session_key=key).exists()
        assert self.client.get(reverse("casebook:case_list")).status_code == 302  # to sign in

    def test_a_session_gone_before_its_save_signs_the_person_out_instead_of_a_500(self):
        from django.contrib.sessions.backends.base import UpdateError

        factories.sign_in(self.client, self.author)
        session = self.client.session
        session["casebook_last_seen"] = time.time() - 120  # due to be written again
        session.save()
        with mock.patch.object(SessionStore, "save", side_effect=UpdateError):
            response = self.client.get(reverse("casebook:case_list"))
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)

    def test_sign_out_during_a_database_outage_drops_the_session_cookie(self):
        factories.sign_in(self.client, self.author)
        self.client.raise_request_exception = False
        with mock.patch.object(SessionStore, "load", side_effect=OperationalError("gone")):
            response = self.client.post(reverse("logout"))
        cookie = response.cookies["sessionid"]
        assert response.status_code == 503 and cookie.value == "" and cookie["max-age"] == 0

    def test_sign_out_without_the_database_still_drops_the_session_cookie(self):
        factories.sign_in(self.client, self.author)
        with mock.patch.object(SessionStore, "delete", side_effect=OperationalError("gone")):
            response = self.client.post(reverse("logout"))
        cookie = response.cookies["sessionid"]
        assert response.status_code == 302 and cookie.value == "" and cookie["max-age"] == 0


class MessagesCookieTests(CastTestCase):
    def test_the_messages_cookie_carries_no_case_reference(self):
        factories.sign_in(self.client, self.author)
        response = self.client.post(CREATE, factories.form_data(narrative="FICTIONAL m"))
        reference = response["Location"].split("/")[2]
        from django.contrib.messages.storage.cookie import CookieStorage

        cookie = response.cookies.get("messages")
        texts = [str(m) for m in CookieStorage(response.wsgi_request)._decode(cookie.value)]
        assert texts and not any(reference in text for text in texts)
        assert "Case recorded." in self.client.get(response["Location"]).content.decode()


class SpentSubmissionTests(CastTestCase):
    def test_a_value_used_by_another_author_records_a_case_and_shows_nothing_of_theirs(self):
        token = uuid.uuid4()
        factories.sign_in(self.client, self.colleague)
        self.client.post(CREATE, factories.form_data(narrative="FICTIONAL a", submission=token))
        self.client.logout()
        factories.sign_in(self.client, self.author)
        data = factories.form_data(narrative="FICTIONAL b", submission=token)
        second = self.client.post(CREATE, data)
        assert second.status_code == 302  # the value is single-use per author
        mine = CasePattern.objects.get(author=self.author, submission=token)
        assert second["Location"] == reverse("casebook:case_detail", args=[mine.reference])
        assert CasePattern.objects.filter(submission=token).count() == 2


class NotAllowedPageTests(CastTestCase):
    def test_a_method_the_address_does_not_take_is_told_in_words_in_the_language(self):
        factories.sign_in(self.client, self.author)
        path = reverse("casebook:case_revoke", args=[self.case.reference])
        for language, words in (
            ("en", "does not take that kind of request"),
            ("ko", "그런 종류의 요청을 받지 않습니다"),
        ):
            self.client.cookies["django_language"] = language
            response = self.client.get(path)
            assert response.status_code == 405 and response["Allow"] == "POST", language
            assert words in response.content.decode(), language
        self.client.cookies["django_language"] = "en"
        signed_out = self.client.get(reverse("logout"))
        assert signed_out.status_code == 405 and "Nothing was changed" in signed_out.text

    def test_the_405_page_keeps_the_headers_and_cookies_the_answer_had(self):
        from django.http import HttpResponseNotAllowed
        from django.test import RequestFactory

        from casebook.web.failures import NotAllowedPageMiddleware

        def refused(request):
            answer = HttpResponseNotAllowed(["GET", "HEAD"])
            answer.set_cookie("fictional_cookie", "kept")
            return answer

        page = NotAllowedPageMiddleware(refused)(RequestFactory().put("/"))
        assert page.status_code == 405 and page["Allow"] == "GET, HEAD" and page.content
        assert page.cookies["fictional_cookie"].value == "kept"
