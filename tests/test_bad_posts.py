"""A POST that is empty or not a form is refused with the form's errors (400) and changes
nothing; it is never answered with a blank form as if nothing had been sent."""

from django.urls import reverse

from casebook.models import AccessEvent, CasePattern
from tests import factories
from tests.cast import CastTestCase

BODIES = [
    {"data": {}},
    {"data": '{"narrative": "x"}', "content_type": "application/json"},
    {"data": "narrative=x", "content_type": "text/plain"},
]


class EmptyOrForeignPostTests(CastTestCase):
    def test_the_case_form_refuses_them_and_records_nothing(self):
        factories.sign_in(self.client, self.author)
        cases = CasePattern.objects.count()
        for body in BODIES:
            response = self.client.post(reverse("casebook:case_create"), **body)
            assert response.status_code == 400, body
            assert "Nothing was" in response.content.decode()
        assert CasePattern.objects.count() == cases

    def test_break_glass_refuses_them_and_opens_nothing(self):
        factories.sign_in(self.client, self.supervisor)
        url = reverse("casebook:case_break_glass", args=[self.case.reference])
        for body in BODIES:
            response = self.client.post(url, **body)
            assert response.status_code == 400, body
            assert "FICTIONAL" not in response.content.decode()
        assert not AccessEvent.objects.filter(action="case.break_glass").exists()


class MethodTests(CastTestCase):
    def test_a_case_page_answers_only_what_it_serves(self):
        factories.sign_in(self.client, self.author)
        url = reverse("casebook:case_detail", args=[self.case.reference])
        for method in ("delete", "put", "patch", "post"):
            assert getattr(self.client, method)(url).status_code == 405, method
        assert not AccessEvent.objects.filter(action="case.view").exists()  # nothing was read
