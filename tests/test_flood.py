"""Refusals a flood repeats without end reach the permanent log once a minute."""

from django.urls import reverse

from casebook.models import AccessEvent
from tests.cast import CastTestCase


class FloodTests(CastTestCase):
    def test_an_anonymous_flood_writes_one_event_a_minute(self):
        start = AccessEvent.objects.count()
        for _ in range(20):
            response = self.client.get(reverse("casebook:case_detail", args=[self.case.reference]))
            assert response.status_code == 302
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


class FoldedRepeatsTests(CastTestCase):
    def test_the_next_event_after_a_window_says_how_many_repeats_it_stands_for(self):
        import datetime as dt

        from casebook.models import RefusalWindow

        url = reverse("casebook:case_detail", args=[self.case.reference])
        for _ in range(7):
            self.client.get(url)
        RefusalWindow.objects.update(
            opened_at=RefusalWindow.objects.get().opened_at - dt.timedelta(minutes=2)
        )
        self.client.get(url)
        events = list(AccessEvent.objects.filter(action="case.access").order_by("id"))
        assert len(events) == 2
        assert "folded" not in events[0].details and events[1].details["folded"] == 6

    def test_windows_untouched_for_a_day_are_forgotten(self):
        import datetime as dt

        from django.utils import timezone

        from casebook.audit.flood import admitted, windows_expire
        from casebook.models import RefusalWindow

        admitted("anonymous:192.0.2.1")
        admitted("anonymous:192.0.2.1")  # folded into its window: counted, not written
        RefusalWindow.objects.update(opened_at=timezone.now() - dt.timedelta(days=2))
        admitted("anonymous:192.0.2.2")
        assert windows_expire(timezone.now()) == "expired_1"
        assert list(RefusalWindow.objects.values_list("key", flat=True)) == ["anonymous:192.0.2.2"]
        summary = AccessEvent.objects.get(action="log.refusals_folded")
        assert summary.details == {"folded": 1}


class RefusalPathTests(CastTestCase):
    def test_csrf_failures_are_recorded_once_a_minute_per_address_with_a_page_for_people(self):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        for _ in range(5):
            response = client.post(reverse("login"), {"username": "x", "password": "y"})
            assert response.status_code == 403 and "This form has expired" in response.text
        events = AccessEvent.objects.filter(action="page.denied", target="csrf")
        assert events.count() == 1 and events.get().actor_username == ""

    def test_admin_refusals_are_recorded_per_account_and_per_address(self):
        from tests import factories

        assert self.client.get("/admin/").status_code == 302
        factories.sign_in(self.client, self.author)
        for _ in range(3):
            assert self.client.get("/admin/").status_code == 302
        events = AccessEvent.objects.filter(action="page.denied", target="admin")
        assert sorted(events.values_list("actor_username", flat=True)) == ["", "cw-author"]


class SecurityLogTests(CastTestCase):
    def test_a_refused_form_on_a_case_url_leaves_no_reference_in_the_server_log(self):
        from django.test import Client

        from tests import factories

        client = Client(enforce_csrf_checks=True)
        factories.sign_in(client, self.author)
        url = reverse("casebook:case_edit", args=[self.case.reference])
        with self.assertLogs("django.security.csrf", level="WARNING") as logs:
            assert client.post(url, {"narrative": "x"}).status_code == 403
        assert self.case.reference not in "".join(logs.output)
        assert "refused by the csrf check" in logs.output[0]

    def test_the_server_log_names_the_refused_request_by_its_id(self):
        """The filter runs on the logger and again on the console handler: the second pass
        must keep what the first wrote (it had dropped the request's id)."""
        import io
        import logging

        from django.test import Client

        from casebook.web.server_log import NoPathsFilter
        from tests import factories

        [console] = [
            handler
            for handler in logging.getLogger().handlers
            if any(isinstance(f, NoPathsFilter) for f in handler.filters)
        ]
        written = io.StringIO()
        previous = console.setStream(written)
        try:
            client = Client(enforce_csrf_checks=True, headers={"x-request-id": "fictional-id-0001"})
            factories.sign_in(client, self.author)
            url = reverse("casebook:case_edit", args=[self.case.reference])
            assert client.post(url, {"narrative": "x"}).status_code == 403
        finally:
            console.setStream(previous)
        assert "request fictional-id-0001 refused by the csrf check" in written.getvalue()
        assert self.case.reference not in written.getvalue()
