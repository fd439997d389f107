"""The limits of coalition bundles on an installation: unusable settings are a refusal
(and stop start-up), never a server error; bundles only for the coalition's years,
within a total coalition budget; the coalition's agreed epsilon; combiner keys with
which no secret can be agreed; one key in two spellings; and downloads whose length
says nothing about the cells. Every refusal is recorded and spends nothing."""

import base64
import json
import logging
import math
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from casebook import checks, taxonomy
from casebook.aggregates.snapshots import current_snapshot
from casebook.coalition import bundles, documents
from casebook.coalition.bundles import PADDED_BYTES, bundle_make
from casebook.coalition.membership import BundleRefused, membership
from casebook.crypto import coalition as keys
from casebook.models import AccessEvent, CoalitionCharge, CoalitionTable
from tests import factories
from tests.test_coalition import COALITION_POLICY, PAGE, YEAR, InstallationTestCase
from tests.test_korean import english_left

ZERO_KEY = base64.urlsafe_b64encode(bytes(32)).decode()
UNUSABLE = [
    {"EPSILON_PER_TABLE": 0.12345},  # finer than the ledger
    {"EPSILON_PER_TABLE": 0},
    {"EPSILON_PER_TABLE": -1},
    {"EPSILON_PER_TABLE": float("nan")},
    {"EPSILON_PER_TABLE": float("inf")},
    {"EPSILON_PER_TABLE": 1e30},
    {"EPSILON_PER_TABLE": 5.0},  # above the cap of 1
    {"EPSILON_PER_TABLE": "abc"},
    {"YEARLY_BUDGET": float("nan")},
    {"YEARLY_BUDGET": -1.0},
    {"TOTAL_BUDGET": 1e30},
    {"TOTAL_BUDGET": None},
    {"YEARS": 0},
    {"YEARS": "5"},
]


class SetUpTestCase(InstallationTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        factories.case(cls.author, primary_category="trafficking", year=2020)
        factories.snapshot()

    def setUp(self):
        factories.sign_in(self.client, self.supervisor)

    def rewrite_members(self, **changes) -> None:
        document = json.loads(self.members_file.read_text())
        self.members_file.write_text(json.dumps({**document, **changes}))

    def denials(self) -> list[dict]:
        events = AccessEvent.objects.filter(action="coalition.bundle", outcome="denied")
        return [e.details for e in events.order_by("id")]


class SettingsTests(SetUpTestCase):
    def test_an_unusable_coalition_setting_is_a_recorded_refusal_never_a_500(self):
        for change in [*UNUSABLE, "missing"]:
            wrong = {"EPSILON_PER_TABLE": 0.5} if change == "missing" else {**COALITION_POLICY}
            if change != "missing":
                wrong.update(change)
            with override_settings(CASEBOOK_COALITION=wrong):
                page = self.client.get(PAGE)
                assert page.status_code == 200, change
                assert "coalition settings are not valid" in page.content.decode(), change
                assert self.client.post(PAGE, {"year": YEAR}).status_code == 409, change
                with pytest.raises(BundleRefused) as refused:
                    bundle_make(requester=self.supervisor, year=YEAR)
                assert refused.value.code == "not_configured", change
        assert CoalitionCharge.objects.count() == 0 and CoalitionTable.objects.count() == 0
        assert {"result": "not_configured"} in self.denials()
        assert len(self.denials()) == 2 * (len(UNUSABLE) + 1)

    def test_an_unusable_coalition_setting_stops_start_up(self):
        assert checks.coalition_policy_valid(None) == []
        for change in UNUSABLE:
            with override_settings(CASEBOOK_COALITION={**COALITION_POLICY, **change}):
                problems = checks.coalition_policy_valid(None)
                assert [p.id for p in problems] == ["casebook.E004"], change
                assert problems[0].msg.startswith("CASEBOOK_COALITION: ")
                with pytest.raises(SystemCheckError, match="casebook.E004"):
                    call_command("check")

    def test_the_page_does_not_show_where_the_members_file_is(self):
        hidden = "/srv/fictional-hidden-place/members.json"
        with (
            override_settings(CASEBOOK_COALITION_MEMBERS_FILE=hidden),
            self.assertLogs("casebook.coalition.members", logging.WARNING) as logged,
        ):
            page = self.client.get(PAGE).content.decode()
        assert "members file cannot be read" in page
        assert "fictional-hidden-place" not in page
        assert any(hidden in line for line in logged.output)  # for the administrator

    def test_an_epsilon_other_than_the_coalitions_agreed_one_makes_no_bundle(self):
        self.rewrite_members(epsilon_per_table="0.25")
        page = self.client.get(PAGE).content.decode()
        assert "epsilon per table (0.5) is not the coalition&#x27;s agreed 0.25" in page
        assert self.client.post(PAGE, {"year": YEAR}).status_code == 409
        assert CoalitionCharge.objects.count() == 0
        assert self.denials() == [{"result": "not_configured"}]
        with override_settings(CASEBOOK_COALITION={**COALITION_POLICY, "EPSILON_PER_TABLE": 0.25}):
            body = self.opened(bundle_make(requester=self.supervisor, year=YEAR).content)["body"]
        assert {table["epsilon"] for table in body["tables"]} == {"0.25"}


class KoreanTests(SetUpTestCase):
    NAMES = {"Fictional", "Coalition", "for", "Tests", "NGO", "North", "South", "Combiner"}
    NAMES |= {"Office", "sup-alpha", "sup", "alpha"}  # data: names in the file, the user

    def test_the_new_refusals_read_in_korean(self):
        self.client.cookies["django_language"] = "ko"
        pages = []
        with override_settings(CASEBOOK_COALITION={**COALITION_POLICY, "EPSILON_PER_TABLE": 0}):
            pages.append(self.client.get(PAGE).content.decode())
        pages.append(self.client.post(PAGE, {"year": 2018}).content.decode())
        with override_settings(CASEBOOK_COALITION={**COALITION_POLICY, "TOTAL_BUDGET": 0}):
            pages.append(self.client.post(PAGE, {"year": YEAR}).content.decode())
        self.rewrite_members(epsilon_per_table="0.25")
        pages.append(self.client.get(PAGE).content.decode())
        self.rewrite_members(epsilon_per_table=None, combiner={"name": "Fictional Combiner"})
        pages.append(self.client.get(PAGE).content.decode())
        for page in pages:
            assert english_left(page, self.NAMES) == set()
        assert "연합 설정이 올바르지 않습니다" in pages[0]
        assert "모든 연도를 합한 연합 프라이버시 예산" in pages[2]
        assert (
            "epsilon_per_table" in pages[3]
            and "취합자의 공개 키로 사용할 수 있는 키가 없습니다" in pages[4]
        )


class YearsTests(SetUpTestCase):
    def test_only_the_members_files_years_are_offered_and_accepted(self):
        assert bundles.bundle_years() == [2020, 2019]
        page = self.client.get(PAGE).content.decode()
        assert 'value="2020"' in page and 'value="2018"' not in page
        for year in (2018, 2021, taxonomy.FIRST_YEAR):
            assert self.client.post(PAGE, {"year": year}).status_code == 400
            with pytest.raises(BundleRefused, match="Choose one of the coalition's years"):
                bundle_make(requester=self.supervisor, year=year)
        assert CoalitionCharge.objects.count() == 0
        assert self.denials() == [{"result": "bad_year"}] * 6

    def test_the_total_coalition_budget_caps_every_year_together(self):
        with override_settings(CASEBOOK_COALITION={**COALITION_POLICY, "TOTAL_BUDGET": 2.0}):
            assert self.client.post(PAGE, {"year": 2019}).status_code == 200
            response = self.client.post(PAGE, {"year": 2020})
        assert response.status_code == 429
        assert "coalition&#x27;s total budget on this installation is spent" in (
            response.content.decode()
        )
        assert CoalitionCharge.objects.count() == 4
        assert {c.year for c in CoalitionCharge.objects.all()} == {2019}
        assert self.denials() == [{"result": "total_budget_spent"}]


class YearsWindowTests(SetUpTestCase):
    years = None  # the members file lists no years

    def test_without_listed_years_the_last_complete_years_are_offered(self):
        last = taxonomy.last_year()
        assert bundles.bundle_years() == [last - 1, last - 2, last - 3, last - 4, last - 5]
        with override_settings(CASEBOOK_COALITION={**COALITION_POLICY, "YEARS": 2}):
            assert bundles.bundle_years() == [last - 1, last - 2]
        for year in (last, last - 6, taxonomy.FIRST_YEAR):
            assert self.client.post(PAGE, {"year": year}).status_code == 400
        assert self.client.post(PAGE, {"year": last - 1}).status_code == 200
        assert {c.year for c in CoalitionCharge.objects.all()} == {last - 1}

    @override_settings(CASEBOOK_COALITION={**COALITION_POLICY, "YEARS": 10})
    def test_one_supervisor_cannot_spend_the_lifetime_budget_year_after_year(self):
        # Every year offered, twice, each time from a fresh snapshot: the coalition's
        # total budget (20, ten bundles) stops it, whatever each year's budget says.
        results = []
        for weeks, year in enumerate(bundles.bundle_years() * 2):
            factories.snapshot(weeks_later=weeks + 1)
            results.append(self.client.post(PAGE, {"year": year}).status_code)
        assert results == [200] * 10 + [429] * 10
        assert sum(c.epsilon for c in CoalitionCharge.objects.all()) == Decimal("20.0")
        assert self.denials() == [{"result": "total_budget_spent"}] * 10


class CombinerKeyTests(SetUpTestCase):
    def test_a_combiner_key_with_which_no_secret_can_be_agreed_makes_no_bundle(self):
        document = json.loads(self.members_file.read_text())
        document["combiner"]["public_key"] = ZERO_KEY
        self.members_file.write_text(json.dumps(document))
        page = self.client.get(PAGE).content.decode()
        assert "The members file gives no usable public key for the combiner" in page
        # An unusable members file lists no years: the last complete years are offered.
        offered = bundles.bundle_years()[0]
        assert self.client.post(PAGE, {"year": offered}).status_code == 409
        # Were the members file's check ever bypassed, sealing refuses it too.
        with mock.patch(
            "casebook.coalition.members.combiner_public_key_text", side_effect=lambda text: text
        ):
            response = self.client.post(PAGE, {"year": YEAR})
        assert response.status_code == 409
        assert "not a usable key" in response.content.decode()
        assert CoalitionCharge.objects.count() == 0 and CoalitionTable.objects.count() == 0
        assert self.denials() == [{"result": "not_configured"}] * 2

    def test_a_signing_key_written_without_padding_is_this_installations_key(self):
        document = json.loads(self.members_file.read_text())
        for member in document["members"]:
            member["signing_key"] = member["signing_key"].rstrip("=")
        self.members_file.write_text(json.dumps(document))
        assert self.client.post(PAGE, {"year": YEAR}).status_code == 200


class PaddingTests(SetUpTestCase):
    def test_every_download_has_the_same_length_whatever_its_cells(self):
        first = self.client.post(PAGE, {"year": 2019}).content
        second = self.client.post(PAGE, {"year": 2020}).content
        assert len(first) == len(second)
        combiner = keys.load_combiner_key(self.combiner)
        plaintext = keys.open_sealed(combiner, json.loads(first))
        assert len(plaintext) == PADDED_BYTES
        assert json.loads(plaintext)["body"]["year"] == 2019  # the padding is JSON space
        # Cells of any width, signed and sealed: the same length.
        member, snapshot = membership(), current_snapshot()
        lengths = set()
        for fill in (0, -7, 123_456_789):
            tables = []
            for names in documents.STANDARD_TABLES:
                codes = documents.codes_for(names, YEAR)
                size = math.prod(len(values) for values in codes.values())
                tables.append(
                    CoalitionTable(
                        dimensions=names,
                        codes=codes,
                        epsilon=Decimal("0.5"),
                        sensitivity=2,
                        scale=4.0,
                        noisy_cells=[fill] * size,
                    )
                )
            lengths.add(len(bundles._sealed(member, tables, YEAR, snapshot, "sha256:x")))
        assert lengths == {len(first)}
