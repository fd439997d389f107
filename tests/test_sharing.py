from django.urls import reverse

from casebook.cases.holders import grant_holders
from casebook.cases.selectors import visible_cases
from casebook.cases.sharing import SharingRefused, case_share, case_unshare
from casebook.models import AccessEvent
from casebook.roles import Role
from tests import factories
from tests.cast import CastTestCase


class SharingPageTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.url = reverse("casebook:case_sharing", args=[cls.case.reference])
        cls.revoke = reverse("casebook:case_revoke", args=[cls.case.reference])

    def setUp(self):
        factories.sign_in(self.client, self.supervisor)

    def test_page_lists_holders_and_offers_own_team_only(self):
        response = self.client.get(self.url)
        page = response.content.decode()
        assert response.status_code == 200
        assert "cw-author" in page and "(author: keeps access)" in page
        choices = response.context["share_form"].fields["holder"].choices
        offered = [key for _label, group in choices[1:] for key, _ in group]  # after "Choose…"
        assert f"user:{self.colleague.pk}" in offered
        assert f"team:{self.alpha.pk}" in offered
        assert f"user:{self.outsider.pk}" not in offered
        assert f"team:{self.beta.pk}" not in offered
        assert f"user:{self.supervisor.pk}" not in offered

    def test_share_with_a_colleague_then_revoke(self):
        response = self.client.post(self.url, {"holder": f"user:{self.colleague.pk}"})
        assert response.status_code == 302
        assert visible_cases(self.colleague).filter(pk=self.case.pk).exists()
        asked = self.client.post(self.revoke, {"holder": f"user:{self.colleague.pk}"})
        assert (
            asked.status_code == 200 and "will no longer be able to open" in asked.content.decode()
        )
        assert visible_cases(self.colleague).exists()  # nothing happens before confirming
        response = self.client.post(
            self.revoke, {"holder": f"user:{self.colleague.pk}", "confirm": "yes"}
        )
        assert response.status_code == 302
        assert not visible_cases(self.colleague).exists()

    def test_share_with_the_team_then_revoke(self):
        self.client.post(self.url, {"holder": f"team:{self.alpha.pk}"})
        assert grant_holders([self.case.pk])[self.case.pk]["teams"] == [self.alpha]
        self.client.post(self.revoke, {"holder": f"team:{self.alpha.pk}", "confirm": "yes"})
        assert grant_holders([self.case.pk])[self.case.pk]["teams"] == []

    def test_sharing_outside_the_team_is_refused_and_changes_nothing(self):
        for holder in (
            f"user:{self.outsider.pk}",
            f"team:{self.beta.pk}",
            f"user:{self.supervisor.pk}",
            "user:999999",
            "team:abc",
            "",
            "x" * 10_000,
        ):
            response = self.client.post(self.url, {"holder": holder})
            assert response.status_code == 400, holder
        assert not visible_cases(self.outsider).exists()
        assert not visible_cases(self.supervisor).exists()
        holders = grant_holders([self.case.pk])[self.case.pk]
        assert [u.username for u in holders["users"]] == ["cw-author"] and holders["teams"] == []

    def test_revoking_a_non_holder_is_refused_and_changes_nothing(self):
        for holder in (f"user:{self.colleague.pk}", "user:abc", ""):
            response = self.client.post(self.revoke, {"holder": holder}, follow=True)
            assert "does not hold this case" in response.content.decode(), holder
        assert visible_cases(self.author).filter(pk=self.case.pk).exists()

    def test_service_refuses_a_supervisor_of_another_team(self):
        other = factories.user("sup-beta", Role.SUPERVISOR, "Test Team Beta")
        with self.assertRaises(SharingRefused):
            case_share(supervisor=other, case=self.case, user=self.outsider)
        assert not visible_cases(self.outsider).exists()

    def test_service_refuses_a_caseworker(self):
        with self.assertRaises(SharingRefused):
            case_share(supervisor=self.author, case=self.case, user=self.colleague)

    def test_refused_share_is_recorded(self):
        factories.sign_in(self.client, self.supervisor)
        assert self.client.post(self.url, {"holder": "user:999999"}).status_code == 400
        event = AccessEvent.objects.order_by("-id").first()
        assert (event.action, event.outcome, event.target) == (
            "case.access",
            "denied",
            self.case.reference,
        )

    def test_refused_revoke_is_recorded(self):
        factories.sign_in(self.client, self.supervisor)
        url = reverse("casebook:case_revoke", args=[self.case.reference])
        assert self.client.post(url, {"holder": "user:999999"}).status_code == 302
        event = AccessEvent.objects.order_by("-id").first()
        assert (event.action, event.outcome, event.details["method"]) == (
            "case.access",
            "denied",
            "POST case_revoke",
        )

    def test_the_author_is_never_locked_out_of_their_case(self):
        page = self.client.get(self.url).content.decode()
        assert f'value="user:{self.author.pk}"' not in page.split("<h2>")[1]  # no revoke button
        response = self.client.post(
            self.revoke, {"holder": f"user:{self.author.pk}", "confirm": "yes"}, follow=True
        )
        assert "keeps access" in response.content.decode()
        assert visible_cases(self.author).filter(pk=self.case.pk).exists()
        with self.assertRaises(SharingRefused):
            case_unshare(supervisor=self.supervisor, case=self.case, user=self.author)

    def test_the_recipient_list_starts_empty_and_a_second_share_says_so(self):
        form = self.client.get(self.url).context["share_form"]
        assert form.fields["holder"].choices[0][0] == ""
        assert self.client.post(self.url, {"holder": ""}).status_code == 400
        self.client.post(self.url, {"holder": f"user:{self.colleague.pk}"})
        again = self.client.post(self.url, {"holder": f"user:{self.colleague.pk}"}, follow=True)
        assert "can already open this case" in again.content.decode()
        assert AccessEvent.objects.filter(action="case.share").count() == 1  # no second share
