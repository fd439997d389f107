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
