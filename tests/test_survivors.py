"""Linking cases of one survivor: chosen among the cases the caseworker can open, never
shown to anyone who cannot open both, never exported."""

from django.urls import reverse

from casebook.cases import services
from casebook.cases.records import SurvivorLink
from casebook.cases.sharing import case_share
from casebook.models import AccessEvent, CasePattern
from tests import factories
from tests.cast import CastTestCase

CREATE = reverse("casebook:case_create")


def group_of(case: CasePattern):
    return CasePattern.objects.get(pk=case.pk).survivor_group


class SurvivorLinkTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.outsiders_case = factories.case(cls.outsider)

    def setUp(self):
        factories.sign_in(self.client, self.author)

    def test_the_picker_lists_only_cases_the_caseworker_can_open(self):
        choices = dict(self.client.get(CREATE).context["form"].fields["same_survivor_as"].choices)
        assert self.case.reference in choices
        assert self.outsiders_case.reference not in choices

    def test_linking_through_the_form_joins_the_survivor_and_shows_on_the_case(self):
        response = self.client.post(
            CREATE, factories.form_data(same_survivor_as=self.case.reference)
        )
        assert response.status_code == 302
        new = CasePattern.objects.exclude(pk__in=[self.case.pk, self.outsiders_case.pk]).get()
        assert group_of(new) == group_of(self.case)
        page = self.client.get(reverse("casebook:case_detail", args=[new.reference]))
        assert f'href="/cases/{self.case.reference}/"' in page.content.decode()

    def test_a_case_the_caseworker_cannot_open_is_refused_and_nothing_is_written(self):
        before = CasePattern.objects.count()
        data = factories.form_data(same_survivor_as=self.outsiders_case.reference)
        assert self.client.post(CREATE, data).status_code == 400
        assert CasePattern.objects.count() == before
        with self.assertRaises(services.LinkUnavailable):
            services.case_create(
                author=self.author,
                team=self.alpha,
                pattern=factories.pattern(),
                testimony=factories.FICTIONAL_TESTIMONY,
                survivor=SurvivorLink(reference=self.outsiders_case.reference),
            )
        assert CasePattern.objects.count() == before

    def test_an_edit_keeps_the_link_unless_told_and_separating_gives_a_new_survivor(self):
        other = factories.case(self.author)
        services.case_update(
            case=other,
            editor=self.author,
            expected_version=1,
            pattern=factories.pattern(),
            testimony=factories.FICTIONAL_TESTIMONY,
            survivor=SurvivorLink(reference=self.case.reference),
        )
        assert group_of(other) == group_of(self.case)
        event = AccessEvent.objects.filter(action="case.update").order_by("-id").first()
        assert "same_survivor" in event.details["changed"]
        url = reverse("casebook:case_edit", args=[other.reference])
        assert self.client.get(url).context["form"].initial["same_survivor_as"] == (
            self.case.reference
        )
        assert self.client.post(url, factories.form_data(version="2")).status_code == 302
        assert group_of(other) == group_of(self.case)
        data = factories.form_data(version="3", same_survivor_as="separate")
        assert self.client.post(url, data).status_code == 302
        assert group_of(other) != group_of(self.case)

    def test_links_to_cases_a_reader_cannot_open_leave_no_trace(self):
        linked = services.case_create(
            author=self.author,
            team=self.alpha,
            pattern=factories.pattern(),
            testimony=factories.FICTIONAL_TESTIMONY,
            survivor=SurvivorLink(reference=self.case.reference),
        )
        case_share(supervisor=self.supervisor, case=linked, user=self.colleague)
        factories.sign_in(self.client, self.colleague)
        detail = self.client.get(reverse("casebook:case_detail", args=[linked.reference]))
        page = detail.content.decode()
        assert detail.status_code == 200
        assert "Same survivor as" not in page and self.case.reference not in page
        edit = self.client.get(reverse("casebook:case_edit", args=[linked.reference]))
        assert edit.context["form"].initial["same_survivor_as"] == ""
        assert str(group_of(linked)) not in page

    def test_the_survivor_group_is_never_exported(self):
        factories.snapshot()
        factories.sign_in(self.client, self.supervisor)
        body = self.client.get(
            reverse("casebook:aggregate_export"), {"dimensions": "category", "format": "json"}
        ).content.decode()
        assert str(group_of(self.case)) not in body and "survivor" not in body

    def test_linking_moves_only_the_edited_case_never_cases_the_editor_cannot_see(self):
        """A caseworker who can change one shared case cannot drag its survivor's other,
        hidden cases into their own group (and out of the counts)."""
        hidden = factories.case(self.author)
        shared = services.case_create(
            author=self.author,
            team=self.alpha,
            pattern=factories.pattern(),
            testimony=factories.FICTIONAL_TESTIMONY,
            survivor=SurvivorLink(reference=hidden.reference),
        )
        case_share(supervisor=self.supervisor, case=shared, user=self.colleague)
        own = factories.case(self.colleague)
        hidden_group = group_of(hidden)
        services.case_update(
            case=shared,
            editor=self.colleague,
            expected_version=1,
            pattern=factories.pattern(),
            testimony=factories.FICTIONAL_TESTIMONY,
            survivor=SurvivorLink(reference=own.reference),
        )
        assert group_of(shared) == group_of(own)
        assert group_of(hidden) == hidden_group  # untouched
        event = AccessEvent.objects.filter(action="case.update").order_by("-id").first()
        assert event.details["linked"] == own.reference  # auditors see who linked what
