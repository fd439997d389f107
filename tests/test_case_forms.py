"""Bad input on every case form gets a clear error and saves nothing."""

from django.test import TestCase
from django.urls import reverse

from casebook.cases.sharing import case_share
from casebook.models import CasePattern, CaseSubPattern
from casebook.roles import Role
from tests import factories

CREATE = reverse("casebook:case_create")

BAD_INPUTS = {
    "unknown category": {"primary_category": "kidnapping"},
    "unknown sub-pattern": {"sub_patterns": ["sold_by_broker", "alien_abduction"]},
    "unknown perpetrator": {"perpetrators": ["neighbour"]},
    "unknown province": {"province_china": "guangdong"},
    "unknown origin": {"province_origin": "seoul"},
    "unknown gender": {"gender": "f"},
    "unknown age band": {"age_band": "14"},
    "unknown time in China": {"time_in_china": "forever"},
    "unknown status": {"current_status": "free"},
    "unknown proximity": {"source_proximity": "rumour"},
    "unknown consent": {"consent_scope": "public"},
    "year too early": {"year": "1989"},
    "year in the future": {"year": "2999"},
    "year not a number": {"year": "last spring"},
    "exact date instead of year": {"year": "2019-03-14"},
    "oversized value": {"primary_category": "t" * 100_000},
    "missing category": {"primary_category": None},
    "missing year": {"year": None},
    "province left unchosen": {"province_china": ""},
    "consent left unchosen": {"consent_scope": ""},
    "nul byte": {"gender": "female\x00"},
}


class CaseCreateFormTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")

    def setUp(self):
        factories.sign_in(self.client, self.author)

    def test_valid_case_is_recorded_with_its_codes(self):
        data = factories.form_data(
            sub_patterns=["sold_by_broker", "detention_in_china"],
            perpetrators=["broker", "chinese_public_security"],
        )
        response = self.client.post(CREATE, data)
        case = CasePattern.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("casebook:case_detail", args=[case.reference])
        assert case.author == self.author and case.version == 1 and case.year == 2019
        assert sorted(r.code for r in case.sub_patterns.all()) == [
            "detention_in_china",
            "sold_by_broker",
        ]
        assert sorted(r.code for r in case.perpetrators.all()) == [
            "broker",
            "chinese_public_security",
        ]

    def test_bad_input_is_refused_with_a_message_and_saves_nothing(self):
        for label, override in BAD_INPUTS.items():
            response = self.client.post(CREATE, factories.form_data(**override))
            assert response.status_code == 400, label
            assert "Nothing was saved" in response.content.decode(), label
        assert CasePattern.objects.count() == 0
        assert CaseSubPattern.objects.count() == 0

    def test_team_must_be_one_of_the_authors_teams(self):
        other = factories.team("Test Team Beta")
        response = self.client.post(CREATE, factories.form_data(team=str(other.pk)))
        assert response.status_code == 400
        assert CasePattern.objects.count() == 0

    def test_an_author_on_two_teams_chooses_one_among_them_by_name(self):
        from casebook.accounts.teams import team_add_member

        zeta = factories.team("Test Team Zeta")
        team_add_member(team=zeta, user=self.author, role=Role.CASEWORKER)
        self.author.refresh_from_db()
        factories.sign_in(self.client, self.author)
        page = self.client.get(CREATE).content.decode()
        chosen = page[page.index('<select name="team"') : page.index("</select>")]
        assert chosen.index("Test Team Alpha") < chosen.index("Test Team Zeta")
        response = self.client.post(CREATE, factories.form_data(team=str(zeta.pk)))
        assert response.status_code == 302
        assert CasePattern.objects.get().team == zeta
        assert self.client.post(CREATE, factories.form_data()).status_code == 400  # none chosen

    def test_other_roles_cannot_create(self):
        for username, role, team in (
            ("sup-1", Role.SUPERVISOR, "Test Team Alpha"),
            ("aud-1", Role.AUDITOR, None),
            ("adm-1", Role.ADMINISTRATOR, None),
        ):
            factories.sign_in(self.client, factories.user(username, role, team))
            assert self.client.post(CREATE, factories.form_data()).status_code == 403
        assert CasePattern.objects.count() == 0


class CaseEditFormTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        cls.colleague = factories.user("cw-colleague", Role.CASEWORKER, "Test Team Alpha")
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha")
        cls.case = factories.case(cls.author)
        case_share(supervisor=cls.supervisor, case=cls.case, user=cls.colleague)
        cls.url = reverse("casebook:case_edit", args=[cls.case.reference])

    def test_edit_saves_and_bumps_the_version(self):
        factories.sign_in(self.client, self.author)
        form = self.client.get(self.url)
        assert form.context["form"].initial["version"] == 1
        assert form.context["form"].initial["sub_patterns"] == ["debt_bondage", "sold_by_broker"]
        response = self.client.post(self.url, factories.form_data(version="1", year="2015"))
        assert response.status_code == 302
        self.case.refresh_from_db()
        assert (self.case.version, self.case.year) == (2, 2015)
        assert [r.code for r in self.case.sub_patterns.all()] == ["sold_by_broker"]

    def test_stale_edit_is_refused_and_overwrites_nothing(self):
        factories.sign_in(self.client, self.colleague)
        first = self.client.post(self.url, factories.form_data(version="1", year="2016"))
        assert first.status_code == 302
        factories.sign_in(self.client, self.author)
        stale = self.client.post(
            self.url, factories.form_data(version="1", year="2010", sub_patterns=["resold"])
        )
        assert stale.status_code == 409
        assert "Someone else saved this case" in stale.content.decode()
        self.case.refresh_from_db()
        assert (self.case.version, self.case.year) == (2, 2016)
        assert [r.code for r in self.case.sub_patterns.all()] == ["sold_by_broker"]

    def test_bad_input_on_edit_changes_nothing(self):
        factories.sign_in(self.client, self.author)
        cases = {
            **BAD_INPUTS,
            "version missing": {"version": None},
            "version not a number": {"version": "one"},
            "version negative": {"version": "-4"},
            "version oversized": {"version": "9" * 400},
        }
        for label, override in cases.items():
            data = factories.form_data(version="1", year="2001")
            data.update({k: v for k, v in override.items() if v is not None})
            for key in [k for k, v in override.items() if v is None]:
                data.pop(key, None)
            response = self.client.post(self.url, data)
            assert response.status_code == 400, label
        self.case.refresh_from_db()
        assert (self.case.version, self.case.year) == (1, 2019)
        assert sorted(r.code for r in self.case.sub_patterns.all()) == [
            "debt_bondage",
            "sold_by_broker",
        ]

    def test_future_version_is_refused_as_stale(self):
        factories.sign_in(self.client, self.author)
        response = self.client.post(self.url, factories.form_data(version="7"))
        assert response.status_code == 409
        self.case.refresh_from_db()
        assert self.case.version == 1
