"""A submit that comes after the idle limit is kept for its author, and only for them."""

import datetime as dt
import time

from django.urls import reverse
from django.utils import timezone

from casebook.jobs.runner import run_due_jobs
from casebook.models import AccessEvent, CaseDraft, CasePattern
from casebook.web.idle import LAST_SEEN, STARTED
from tests import factories
from tests.cast import CastTestCase

CREATE = reverse("casebook:case_create")
TYPED = "FICTIONAL-LATE: thirty minutes of an invented interview."


class IdleLimitTests(CastTestCase):
    def setUp(self):
        factories.sign_in(self.client, self.author)
        assert self.client.get(CREATE).status_code == 200

    def go_idle(self, seconds=31 * 60, key=LAST_SEEN):
        session = self.client.session
        session[key] = time.time() - seconds
        session.save()

    def test_a_late_submit_is_kept_and_comes_back_after_signing_in_again(self):
        cases = CasePattern.objects.count()
        self.go_idle()
        response = self.client.post(CREATE, factories.form_data(narrative=TYPED))
        draft = CaseDraft.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next=/cases/new/%3Fdraft%3D{draft.pk}"
        assert CasePattern.objects.count() == cases  # nothing recorded while signed out
        assert draft.expires_at is not None and b"FICTIONAL" not in bytes(draft.sealed)
        assert AccessEvent.objects.filter(action="draft.save").count() == 1
        assert self.client.get(CREATE).status_code == 302  # the session is over
        factories.sign_in(self.client, self.author)
        back = self.client.get(f"{CREATE}?draft={draft.pk}")
        assert back.status_code == 200 and back.context["form"].initial["narrative"] == TYPED

    def test_the_kept_form_is_never_offered_to_someone_else(self):
        self.go_idle()
        self.client.post(CREATE, factories.form_data(narrative=TYPED))
        draft = CaseDraft.objects.get()
        factories.sign_in(self.client, self.colleague)
        assert self.client.get(f"{CREATE}?draft={draft.pk}").status_code == 404

    def test_a_kept_form_is_destroyed_after_its_hour(self):
        self.go_idle()
        self.client.post(CREATE, factories.form_data(narrative=TYPED))
        run_due_jobs(timezone.now() + dt.timedelta(minutes=30))
        assert CaseDraft.objects.exists()
        run_due_jobs(timezone.now() + dt.timedelta(minutes=76))
        assert not CaseDraft.objects.exists()

    def test_twelve_hours_end_a_session_however_busy_and_pages_are_not_kept(self):
        self.go_idle(seconds=13 * 3600, key=STARTED)
        response = self.client.get(reverse("casebook:case_list"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert not CaseDraft.objects.exists()

    def test_an_anonymous_submit_is_never_kept(self):
        self.client.logout()
        response = self.client.post(CREATE, factories.form_data(narrative=TYPED))
        assert response.status_code == 302 and not CaseDraft.objects.exists()
