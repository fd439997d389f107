"""Making coalition bundles on one installation: a supervisor downloads ciphertext only,
signed with the release key (never the log's), charged once to the coalition's own
budget and reused for the same year and snapshot; refusals clear and recorded."""

import html
import importlib
import json
import os
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.test import TestCase, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from casebook import taxonomy
from casebook.aggregates import ledger, releases
from casebook.coalition import documents, membership
from casebook.coalition.bundles import bundle_make
from casebook.coalition.members import MembersFileInvalid, parse_members
from casebook.coalition.membership import BundleRefused
from casebook.crypto import coalition as keys
from casebook.crypto.envelope import CryptoError, random_key_text
from casebook.models import AccessEvent, CoalitionCharge, CoalitionTable, PrivacyCharge
from casebook.roles import Role
from tests import factories
from tests.cast import CastTestCase, WithCast
from tests.test_coalition_combine import NORTH, SOUTH, members_document
from tests.test_korean import english_left

PAGE = reverse("casebook:coalition_bundles")
YEAR = 2019
COALITION_POLICY = {
    "EPSILON_PER_TABLE": 0.5,
    "YEARLY_BUDGET": 4.0,
    "TOTAL_BUDGET": 20.0,
    "YEARS": 5,
}


class AsMember:
    """The cast's installation as the coalition member NORTH, with its own release key,
    and a members file naming it, SOUTH and a combiner (keys made for the test), which
    pools the years `years` (none listed: the last complete years are offered)."""

    years: list[int] | None = [2019, 2020]

    @pytest.fixture(autouse=True)
    def _membership(self, tmp_path):
        self.release_key = random_key_text()
        self.combiner = random_key_text()
        publics = {
            NORTH: keys.signing_public_key_of(self.release_key),
            SOUTH: keys.signing_public_key_of(random_key_text()),
        }
        members = tmp_path / "members.json"
        self.members_file = members
        combiner_public = keys.combiner_public_key_of(self.combiner)
        extra = {} if self.years is None else {"years": self.years}
        members.write_text(json.dumps(members_document(combiner_public, publics, **extra)))
        environment = {"CASEBOOK_RELEASE_SIGNING_KEY": self.release_key}
        with (
            mock.patch.dict(os.environ, environment),
            override_settings(
                CASEBOOK_ORGANISATION_NAME=NORTH,
                CASEBOOK_COALITION_MEMBERS_FILE=str(members),
                CASEBOOK_COALITION=COALITION_POLICY,
            ),
            factories.policy(),
        ):
            os.environ.pop("CASEBOOK_AUDIT_SIGNING_KEY_FILE", None)
            os.environ.pop("CASEBOOK_RELEASE_SIGNING_KEY_FILE", None)
            yield

    def opened(self, content: bytes) -> dict:
        """What the combiner reads: the signed bundle inside the sealed download."""
        plaintext = keys.open_sealed(keys.load_combiner_key(self.combiner), json.loads(content))
        return json.loads(plaintext)


class InstallationTestCase(AsMember, CastTestCase):
    pass


class BundleTests(InstallationTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for category, year in (
            ("trafficking", 2019),
            ("trafficking", 2019),
            ("detention", 2019),
            ("forced_marriage", 2020),
        ):
            factories.case(cls.author, primary_category=category, year=year)
        factories.snapshot()

    def setUp(self):
        factories.sign_in(self.client, self.supervisor)

    def test_the_page_shows_the_coalition_and_the_cost_never_a_count(self):
        page = self.client.get(PAGE).content.decode()
        assert "Fictional Coalition for Tests" in page and NORTH in page and SOUTH in page
        assert keys.signing_public_key_of(self.release_key) in page
        assert "4 tables at epsilon 0.5 each (2 in all)" in page
        assert CoalitionCharge.objects.count() == 0

    def test_the_page_and_its_refusals_read_in_korean(self):
        names = {"Fictional", "Coalition", "for", "Tests", "NGO", "North", "South", "Combiner"}
        names |= {"Office", "sup-alpha", "sup", "alpha"}  # data: names in the file, the user
        self.client.cookies["django_language"] = "ko"
        page = self.client.get(PAGE).content.decode()
        assert "연합 통계" in page
        assert english_left(page, names) == set()
        refused = self.client.post(PAGE, {"year": 1800}).content.decode()
        assert english_left(refused, names) == set()
        with mock.patch.dict(os.environ, {"CASEBOOK_RELEASE_SIGNING_KEY": random_key_text()}):
            mismatch = self.client.post(PAGE, {"year": YEAR}).content.decode()
        assert "공개본 서명 키" in mismatch and english_left(mismatch, names) == set()

    def test_a_supervisor_downloads_only_ciphertext_that_the_combiner_alone_can_open(self):
        response = self.client.post(PAGE, {"year": YEAR})
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith(
            'attachment; filename="casebook-coalition-2019-'
        )
        envelope = json.loads(response.content)
        assert sorted(envelope) == ["ciphertext", "ephemeral_key", "format", "nonce", "to"]
        assert NORTH.encode() not in response.content and b'"cells"' not in response.content
        # Without the combiner's private key it does not open: not with the release key,
        # nor with any other key.
        for wrong in (self.release_key, random_key_text()):
            with pytest.raises(CryptoError):
                keys.open_sealed(keys.load_combiner_key(wrong), envelope)
        signed = self.opened(response.content)
        body = signed["body"]
        assert (body["organisation"], body["year"], body["coalition"]) == (
            NORTH,
            YEAR,
            "Fictional Coalition for Tests",
        )
        message = documents.signed_message(body)
        public = keys.signing_public_key_of(self.release_key)
        assert keys.signature_valid(public, message, signed["signature"])

    def test_the_bundle_holds_each_standard_tables_noisy_cells_and_their_parameters(self):
        body = self.opened(bundle_make(requester=self.supervisor, year=YEAR).content)["body"]
        assert body["taxonomy_version"] == documents.taxonomy_version()
        assert (
            body["snapshot"] == CoalitionTable.objects.first().snapshot_taken_for.date().isoformat()
        )
        assert [t["dimensions"] for t in body["tables"]] == [
            ["category", "year"],
            ["category", "province_china"],
            ["sub_pattern", "year"],
            ["category", "gender", "age_band"],
        ]
        stored = {t.dimensions: t for t in CoalitionTable.objects.all()}
        for table in body["tables"]:
            names = ",".join(table["dimensions"])
            assert table["codes"] == documents.codes_for(names, YEAR)
            assert table["cells"] == stored[names].noisy_cells  # noisy, not thresholded
            assert (table["epsilon"], table["sensitivity"]) == (
                "0.5",
                6 if "sub_pattern" in names else 2,
            )
            assert float(table["noise_scale"]) == table["sensitivity"] / 0.5
        assert body["tables"][0]["codes"]["year"] == [2019]

    @override_settings(
        CASEBOOK_COALITION={
            **COALITION_POLICY,
            "EPSILON_PER_TABLE": 5000,
            "YEARLY_BUDGET": 90000,
            "TOTAL_BUDGET": 90000,
        }
    )
    @mock.patch.object(documents, "MAX_EPSILON_PER_TABLE", Decimal(5000))
    @mock.patch.object(membership, "MAX_BUDGET", Decimal(90000))
    @factories.policy(GLOBAL_LIFETIME_BUDGET=900_000)
    def test_only_the_years_cases_are_counted(self):
        # Noise of scale 0.0004 (tests only, above the caps): the noisy cells are the
        # true counts.
        body = self.opened(bundle_make(requester=self.supervisor, year=YEAR).content)["body"]
        by_category = dict(
            zip(body["tables"][0]["codes"]["category"], body["tables"][0]["cells"], strict=True)
        )
        # The cast's own case (trafficking, 2019) and the three of 2019 above.
        assert by_category == {
            "trafficking": 3,
            "forced_marriage": 0,
            "detention": 1,
            "forcible_repatriation": 0,
        }
        body_2020 = self.opened(bundle_make(requester=self.supervisor, year=2020).content)["body"]
        assert body_2020["tables"][0]["cells"] == [0, 1, 0, 0]

    def test_charged_once_to_the_coalition_budget_and_reused_for_the_same_snapshot(self):
        lifetime_before = ledger.budget(self.supervisor).lifetime_left
        first = bundle_make(requester=self.supervisor, year=YEAR)
        second = bundle_make(requester=self.colleague_supervisor(), year=YEAR)
        assert (first.charged, second.charged) == (True, False)
        assert CoalitionCharge.objects.count() == 4
        assert sum(c.epsilon for c in CoalitionCharge.objects.all()) == Decimal("2.0")
        assert {c.year for c in CoalitionCharge.objects.all()} == {YEAR}
        assert self.opened(first.content)["body"] == self.opened(second.content)["body"]
        # Never the supervisor's own budget, nor the exports' ledger; the lifetime one, yes.
        budget = ledger.budget(self.supervisor)
        assert budget.supervisor_left == budget.supervisor_limit
        assert PrivacyCharge.objects.count() == 0
        assert budget.lifetime_left == lifetime_before - Decimal("2.0")
        # The next scheduled snapshot draws (and charges) afresh.
        factories.snapshot(weeks_later=1)
        third = bundle_make(requester=self.supervisor, year=YEAR)
        assert third.charged and CoalitionCharge.objects.count() == 8
        made = AccessEvent.objects.filter(action="coalition.bundle").order_by("id")
        assert [e.details["result"] for e in made] == ["new_bundle", "reused_bundle", "new_bundle"]
        assert [e.details["epsilon"] for e in made] == ["2.0000", "0", "2.0000"]
        assert made[0].details["dimensions"] == ";".join(documents.STANDARD_TABLES)
        downloads = AccessEvent.objects.filter(action="coalition.download")
        assert downloads.count() == 3 and {e.target for e in downloads} == {"coalition:2019"}

    def colleague_supervisor(self):
        return factories.user("sup-alpha-2", Role.SUPERVISOR, "Test Team Alpha")

    @override_settings(CASEBOOK_COALITION={**COALITION_POLICY, "YEARLY_BUDGET": 2.0})
    def test_a_spent_coalition_budget_refuses_and_spends_nothing(self):
        bundle_make(requester=self.supervisor, year=YEAR)
        factories.snapshot(weeks_later=1)
        response = self.client.post(PAGE, {"year": YEAR})
        assert response.status_code == 429
        assert "The coalition budget for 2019 is spent" in response.content.decode()
        assert CoalitionCharge.objects.count() == 4
        # Another year has a budget of its own.
        assert self.client.post(PAGE, {"year": 2020}).status_code == 200
        denial = AccessEvent.objects.get(action="coalition.bundle", outcome="denied")
        assert denial.details == {"result": "budget_spent"}

    @factories.policy(GLOBAL_LIFETIME_BUDGET=2.5)
    def test_the_lifetime_budget_holds_exports_and_bundles_together(self):
        releases.release_table(requester=self.supervisor, dimensions="category")  # 1.0
        with pytest.raises(BundleRefused, match="lifetime privacy budget is spent"):
            bundle_make(requester=self.supervisor, year=YEAR)  # 2.0 more: 3.0 > 2.5
        assert CoalitionCharge.objects.count() == 0

    @factories.policy(GLOBAL_LIFETIME_BUDGET=2.5)
    def test_a_bundle_leaves_less_of_the_lifetime_budget_for_exports(self):
        bundle_make(requester=self.supervisor, year=YEAR)  # 2.0 of 2.5
        with pytest.raises(releases.BudgetExhausted, match="lifetime privacy budget is spent"):
            releases.release_table(requester=self.supervisor, dimensions="category")
        assert PrivacyCharge.objects.count() == 0

    def test_bad_input_is_refused_clearly_recorded_and_spends_nothing(self):
        for data in ({"year": "abc"}, {"year": 1800}, {}, {"year": "2019\x00"}):
            response = self.client.post(PAGE, data)
            assert response.status_code == 400, data
            assert "Select a valid choice" in response.content.decode() or "required" in (
                response.content.decode()
            )
        assert CoalitionCharge.objects.count() == 0
        denials = AccessEvent.objects.filter(action="coalition.bundle", outcome="denied")
        assert [e.details for e in denials] == [{"result": "bad_year"}] * 4
        with pytest.raises(BundleRefused, match="Choose one of the coalition's years: 2020, 2019"):
            bundle_make(requester=self.supervisor, year=2018)

    def test_a_request_started_by_another_site_is_refused(self):
        response = self.client.post(PAGE, {"year": YEAR}, headers={"Sec-Fetch-Site": "cross-site"})
        assert response.status_code == 403
        assert CoalitionCharge.objects.count() == 0
        denial = AccessEvent.objects.get(action="coalition.bundle", outcome="denied")
        assert denial.details == {"result": "cross_site"}

    def test_other_roles_are_refused_and_recorded(self):
        for user in (self.author, self.auditor, self.administrator):
            self.client.logout()
            factories.sign_in(self.client, user)
            assert self.client.post(PAGE, {"year": YEAR}).status_code == 403
        assert CoalitionCharge.objects.count() == 0
        assert AccessEvent.objects.filter(action="page.denied").count() == 3

    def test_the_log_key_is_never_the_release_key(self):
        with mock.patch.dict(os.environ, {"CASEBOOK_AUDIT_SIGNING_KEY": self.release_key}):
            response = self.client.post(PAGE, {"year": YEAR})
        assert response.status_code == 409
        assert "is the access log's signing key" in html.unescape(response.content.decode())
        assert CoalitionCharge.objects.count() == 0
        # A different log key is fine, and does not sign bundles.
        log_key = random_key_text()
        with mock.patch.dict(os.environ, {"CASEBOOK_AUDIT_SIGNING_KEY": log_key}):
            signed = self.opened(self.client.post(PAGE, {"year": YEAR}).content)
        message = documents.signed_message(signed["body"])
        log_public = keys.signing_public_key_of(log_key)
        assert not keys.signature_valid(log_public, message, signed["signature"])

    def test_a_key_the_members_file_does_not_give_for_this_organisation_is_refused(self):
        with mock.patch.dict(os.environ, {"CASEBOOK_RELEASE_SIGNING_KEY": random_key_text()}):
            response = self.client.post(PAGE, {"year": YEAR})
        assert response.status_code == 409
        assert "another public key for this organisation" in response.content.decode()
        with override_settings(CASEBOOK_ORGANISATION_NAME="Fictional NGO Nowhere"):
            response = self.client.post(PAGE, {"year": YEAR})
        assert response.status_code == 409
        assert CoalitionCharge.objects.count() == 0

    def test_the_ledger_and_the_drawn_tables_are_append_only(self):
        bundle_make(requester=self.supervisor, year=YEAR)
        for rows in (CoalitionCharge.objects.all(), CoalitionTable.objects.all()):
            with pytest.raises(DatabaseError), transaction.atomic():
                rows.update(year=2000)
            with pytest.raises(DatabaseError), transaction.atomic():
                rows.delete()
        assert CoalitionCharge.objects.count() == 4


class NotSetUpTests(TestCase):
    """Without a members file the page says what is missing, and nothing is made."""

    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha")

    def setUp(self):
        factories.sign_in(self.client, self.supervisor)

    @override_settings(CASEBOOK_COALITION_MEMBERS_FILE="")
    def test_without_a_members_file_the_page_says_so_and_nothing_is_made(self):
        page = self.client.get(PAGE)
        assert page.status_code == 200
        assert "No coalition members file is configured" in page.content.decode()
        response = self.client.post(PAGE, {"year": taxonomy.last_year() - 1})
        assert response.status_code == 409
        assert CoalitionTable.objects.count() == 0
        denial = AccessEvent.objects.get(action="coalition.bundle", outcome="denied")
        assert denial.details == {"result": "not_configured"}


class BeforeTheFirstSnapshotTests(InstallationTestCase):
    def test_no_bundle_before_the_first_snapshot(self):
        factories.sign_in(self.client, self.supervisor)
        response = self.client.post(PAGE, {"year": YEAR})
        assert response.status_code == 503 and response["Retry-After"] == "60"
        assert CoalitionTable.objects.count() == 0


def test_generate_key_makes_a_release_key_and_says_its_public_key(capsys):
    call_command("generate_key", "--release-signing")
    printed = capsys.readouterr()
    private = printed.out.strip()
    public = keys.signing_public_key_of(private)
    assert printed.err.strip() == f"Public key, for the coalition's members file: {public}"
    loaded = keys.load_release_signing_key({"CASEBOOK_RELEASE_SIGNING_KEY": private})
    assert keys.signing_public_key(loaded) == public


def test_generate_key_makes_a_combiner_key_that_opens_what_is_sealed_to_its_public_key(capsys):
    call_command("generate_key", "--coalition")
    printed = capsys.readouterr()
    private, public = printed.out.strip(), printed.err.strip().rsplit(" ", 1)[-1]
    assert public == keys.combiner_public_key_of(private)
    sealed = keys.seal_to(public, b"fictional plaintext")
    assert keys.open_sealed(keys.load_combiner_key(private), sealed) == b"fictional plaintext"
    with pytest.raises(CommandError):
        call_command("generate_key", "--coalition", "--signing")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"members": []}, "lists no members"),
        ({"format": "something else"}, "does not say 'format'"),
        ({"combiner": {"name": "Fictional Combiner"}}, "no usable public key for the combiner"),
        ({"publication": {"threshold": 3}}, "may not be below 5"),
        ({"publication": {"threshold": 10, "filters": 1}}, "takes only 'threshold'"),
        ({"coalition": ""}, "has 1 to 120 characters"),
    ],
)
def test_a_members_file_that_cannot_be_used_says_why(change, reason):
    public = keys.signing_public_key_of(random_key_text())
    document = members_document(keys.combiner_public_key_of(random_key_text()), {NORTH: public})
    assert parse_members(json.dumps(document)).member(NORTH).signing_key == public
    with pytest.raises(MembersFileInvalid, match=reason):
        parse_members(json.dumps({**document, **change}))


def test_two_members_with_one_name_or_one_key_are_refused():
    public = keys.signing_public_key_of(random_key_text())
    document = members_document(
        keys.combiner_public_key_of(random_key_text()), {NORTH: public, SOUTH: public}
    )
    with pytest.raises(MembersFileInvalid, match="the same signing key"):
        parse_members(json.dumps(document))
    document["members"][1]["name"] = NORTH
    with pytest.raises(MembersFileInvalid, match="the same name"):
        parse_members(json.dumps(document))
    with pytest.raises(MembersFileInvalid, match="not JSON"):
        parse_members("{")


def test_the_coalition_ledger_migration_cannot_be_unapplied():
    migration = importlib.import_module("casebook.migrations.0014_coalition_tables_and_ledger")
    assert not all(op.reversible for op in migration.Migration.operations)


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
VALUE = st.one_of(TEXT, st.lists(TEXT, max_size=3), st.integers(1980, 2040).map(str))
PAYLOAD = st.dictionaries(st.one_of(st.just("year"), TEXT), VALUE, max_size=4)


class BundleFuzzTests(AsMember, WithCast, HypothesisTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        factories.snapshot()

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(PAYLOAD)
    @example({"year": "2019\x00"})
    @example({"year": ["2019", "2020"]})
    def test_any_input_is_answered_without_a_500_and_a_refusal_spends_nothing(self, data):
        factories.sign_in(self.client, self.supervisor)
        before = (CoalitionCharge.objects.count(), CoalitionTable.objects.count())
        response = self.client.post(PAGE, data)
        assert response.status_code in (200, 400), data
        if response.status_code == 400:
            assert (CoalitionCharge.objects.count(), CoalitionTable.objects.count()) == before
        else:
            assert response["Content-Disposition"].startswith("attachment;")
