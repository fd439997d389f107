"""Aggregate releases: disclosure control, the privacy ledger, and the export endpoint."""

import csv
import io
import json
import math
from decimal import Decimal

import pytest
from django.test import TestCase, override_settings
from django.urls import reverse

from casebook.aggregates import disclosure, ledger
from casebook.checks import disclosure_policy_valid
from casebook.models import AccessEvent, PrivacyCharge, Release
from casebook.roles import Role
from tests import factories
from tests.cast import CastTestCase
from tests.factories import NEAR_EXACT, policy

EXPORT = reverse("casebook:aggregate_export")


class ExportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha")
        cls.supervisor_2 = factories.user("sup-alpha-2", Role.SUPERVISOR, "Test Team Alpha")
        for _ in range(7):
            factories.case(cls.author, primary_category="detention", year=2020)
        for _ in range(6):
            factories.case(
                cls.author, primary_category="detention", year=2020, consent_scope="internal"
            )
        for _ in range(3):
            factories.case(
                cls.author, primary_category="trafficking", year=2019, consent_scope="withdrawn"
            )
        for _ in range(5):
            factories.case(
                cls.author,
                primary_category="trafficking",
                year=2021,
                sub_patterns=frozenset(
                    {
                        "resold",
                        "sold_by_broker",
                        "debt_bondage",
                        "minor_at_the_time",
                        "forced_prostitution",
                    }
                ),
            )
        factories.snapshot()

    def setUp(self):
        factories.sign_in(self.client, self.supervisor)

    def export(self, dimensions="category,year", output="json", **extra):
        return self.client.get(EXPORT, {"dimensions": dimensions, "format": output, **extra})

    def test_json_has_the_documented_shape_and_every_value_is_published_form(self):
        response = self.export()
        assert response.status_code == 200
        body = response.json()
        assert body["dimensions"] == ["category", "year"]
        years = taxonomy_years()
        assert len(body["cells"]) == 4 * len(years)  # full cross product, zeros included
        assert set(body) == {
            "dimensions",
            "cells",
            "method",
            "epsilon",
            "threshold",
            "rounding_base",
            "snapshot",
            "notice",
            "margins",
            "total",
        }
        assert body["snapshot"] == factories.snapshot().taken_for.date().isoformat()
        assert body["notice"] == ""
        assert body["threshold"] == 10 and body["rounding_base"] == 5 and body["epsilon"] == 1.0
        values = [c["count"] for c in body["cells"]] + [body["total"]]
        values += [m["count"] for margin in body["margins"].values() for m in margin]
        for value in values:
            assert value == "<10" or (isinstance(value, int) and value >= 10 and value % 5 == 0)

    def test_csv_has_an_hxl_row_under_the_header(self):
        response = self.export(output="csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == ["category", "category_name", "year", "count", "method_note"]
        assert rows[1] == [
            "#indicator+category+code",
            "#indicator+category+name",
            "#date+year",
            "#affected+num",
            "#meta+method",
        ]
        assert all(row[3] == "<10" or int(row[3]) % 5 == 0 for row in rows[2:])
        assert "noise" in rows[2][4] and all(row[4] == "" for row in rows[3:])

    @override_settings(CASEBOOK_DISCLOSURE=NEAR_EXACT)
    def test_only_cases_consenting_to_aggregates_are_counted(self):
        cells = {(c["category"], c["year"]): c["count"] for c in self.export().json()["cells"]}
        assert cells[("detention", 2020)] == 7  # 6 internal-only cases left out
        assert cells[("trafficking", 2019)] == "<5"  # 3 withdrawn: counted as zero
        assert cells[("trafficking", 2021)] == 5

    @override_settings(CASEBOOK_DISCLOSURE=NEAR_EXACT)
    def test_multi_valued_dimensions_count_at_most_codes_per_case(self):
        cells = {c["sub_pattern"]: c["count"] for c in self.export("sub_pattern").json()["cells"]}
        # Seven counted cases carry debt_bondage and sold_by_broker. Five carry five codes
        # each, of which only the first three in code order count: debt_bondage,
        # forced_prostitution and minor_at_the_time; resold and sold_by_broker do not.
        assert cells["debt_bondage"] == 12
        assert cells["forced_prostitution"] == cells["minor_at_the_time"] == 5
        assert cells["sold_by_broker"] == 7
        assert cells["resold"] == "<5"
        release = Release.objects.get(dimensions="sub_pattern")
        assert release.scale == pytest.approx(2 * 3 / 5_000)

    def test_identical_request_on_unchanged_data_is_charged_once(self):
        first, second = self.export().json(), self.export().json()
        assert first == second
        assert PrivacyCharge.objects.count() == 1
        assert ledger.budget(self.supervisor).supervisor_left == Decimal("3")

    def test_a_case_added_between_exports_changes_nothing_until_the_next_snapshot(self):
        first = self.export().json()
        factories.case(self.author)
        assert self.export().json() == first
        assert PrivacyCharge.objects.count() == 1
        factories.snapshot(weeks_later=1)
        later = self.export().json()
        assert later["snapshot"] > first["snapshot"]
        assert PrivacyCharge.objects.count() == 2

    def test_internal_only_case_changes_nothing_and_costs_nothing(self):
        self.export()
        factories.case(self.author, consent_scope="internal")
        self.export()
        assert PrivacyCharge.objects.count() == 1

    @policy(SUPERVISOR_MONTHLY_BUDGET=2.0)
    def test_supervisor_budget_refusal_costs_nothing_and_survives_a_restart(self):
        assert self.export("category").status_code == 200
        assert self.export("year").status_code == 200
        refused = self.export("gender")
        assert refused.status_code == 429
        assert "Nothing was spent" in refused.json()["error"]
        assert PrivacyCharge.objects.count() == 2
        self.client.logout()  # a new session and fresh settings objects: what a restart resets
        factories.sign_in(self.client, self.supervisor)
        assert self.export("gender").status_code == 429
        assert PrivacyCharge.objects.count() == 2
        assert not Release.objects.filter(dimensions="gender").exists()

    @policy(GLOBAL_MONTHLY_BUDGET=1.5)
    def test_global_budget_refuses_other_supervisors_too(self):
        assert self.export("category").status_code == 200
        factories.sign_in(self.client, self.supervisor_2)
        assert self.export("year").status_code == 429
        assert self.export("category").status_code == 200  # the stored release costs nothing
        assert PrivacyCharge.objects.count() == 1

    def test_unknown_too_many_repeated_or_no_dimensions_and_filters_are_400(self):
        for params in (
            {"dimensions": "name"},
            {"dimensions": "category,year,gender,age_band"},
            {"dimensions": "year,year"},
            {"dimensions": ""},
            {},
            {"dimensions": "category", "year": "2020"},
            {"dimensions": "category", "format": "xlsx"},
            {"dimensions": "category", "filter": "province_china=jilin"},
            {"dimensions": "x" * 5000},
        ):
            response = self.client.get(EXPORT, params)
            assert response.status_code == 400, params
            assert response.json()["error"]
        assert PrivacyCharge.objects.count() == 0

    def test_other_roles_get_403(self):
        for username, role, team in (
            ("cw-2", Role.CASEWORKER, "Test Team Alpha"),
            ("aud-1", Role.AUDITOR, None),
            ("adm-1", Role.ADMINISTRATOR, None),
        ):
            factories.sign_in(self.client, factories.user(username, role, team))
            assert self.export().status_code == 403
        self.client.logout()
        assert self.export().status_code == 302
        assert PrivacyCharge.objects.count() == 0

    def test_every_release_is_logged_with_dimensions_and_epsilon_never_counts(self):
        body = self.export().json()
        event = AccessEvent.objects.filter(action="export.create").get()
        assert event.details == {
            "dimensions": "category,year",
            "epsilon": "1.0",
            "result": "new_export",
        }
        self.export()
        reused = AccessEvent.objects.filter(action="export.create").order_by("-id").first()
        assert reused.details["epsilon"] == "0"
        assert "count" not in json.dumps(event.details) and str(body["total"]) not in event.target


def taxonomy_years():
    return disclosure.dimensions()["year"].codes


class PolicyTests(TestCase):
    @policy(THRESHOLD=4)
    def test_threshold_below_five_is_refused_and_stops_start_up(self):
        with pytest.raises(ValueError, match="below 5"):
            disclosure.policy()
        assert [e.id for e in disclosure_policy_valid(None)] == ["casebook.E003"]

    def test_sensitivity_accounts_for_multi_valued_dimensions(self):
        dims = disclosure.parse_dimensions("sub_pattern,perpetrator,year")
        bounds = disclosure.Bounds(cases_per_person=2, codes_per_case=3)
        assert disclosure.sensitivity(dims, bounds) == 2 * 3 * 3
        assert disclosure.sensitivity(disclosure.parse_dimensions("category"), bounds) == 2

    def test_publication_rule(self):
        chosen = disclosure.policy()
        assert [disclosure.publish(v, chosen) for v in (-3, 0, 9, 10, 12, 13, 101)] == [
            "<10",
            "<10",
            "<10",
            10,
            10,
            15,
            100,
        ]


def test_noise_follows_the_configured_scale():
    """Many draws from the real OpenDP mechanism: mean 0, variance of discrete Laplace."""
    scale = 3.0
    draws = disclosure.noise_measurement(scale)([0] * 40_000)
    n = len(draws)
    mean = sum(draws) / n
    variance = sum((d - mean) ** 2 for d in draws) / (n - 1)
    alpha = math.exp(-1 / scale)
    expected = 2 * alpha / (1 - alpha) ** 2  # variance of the discrete Laplace
    assert abs(mean) < 0.1
    assert abs(variance / expected - 1) < 0.06
    assert all(isinstance(d, int) for d in draws)
    assert len(set(draws)) > 15  # a real spread, not a constant


def test_privacy_map_matches_epsilon():
    dims = disclosure.parse_dimensions("sub_pattern")
    d_in = disclosure.sensitivity(dims, disclosure.Bounds(cases_per_person=2, codes_per_case=3))
    measurement = disclosure.noise_measurement(d_in / 0.5)
    assert measurement.map(d_in) == pytest.approx(0.5)


class ExportRefusalTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        factories.snapshot()

    def test_exports_started_by_another_site_are_refused_logged_and_free(self):
        factories.sign_in(self.client, self.supervisor)
        response = self.client.get(
            EXPORT, {"dimensions": "category"}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert response.status_code == 403 and PrivacyCharge.objects.count() == 0
        event = AccessEvent.objects.order_by("-id").first()
        assert (event.action, event.outcome) == ("export.create", "denied")
        same_origin = self.client.get(
            EXPORT, {"dimensions": "category"}, headers={"Sec-Fetch-Site": "same-origin"}
        )
        assert same_origin.status_code == 200

    def test_refused_exports_are_recorded_as_denials(self):
        factories.sign_in(self.client, self.supervisor)
        assert self.client.get(EXPORT, {"dimensions": "name"}).status_code == 400
        event = AccessEvent.objects.order_by("-id").first()
        assert (event.action, event.outcome, event.details["dimensions"]) == (
            "export.create",
            "denied",
            "?",
        )

    def test_what_was_typed_for_a_dimension_is_never_written_to_the_log(self):
        factories.sign_in(self.client, self.supervisor)
        typed = "[FICTIONAL] typed into the address"
        asked = {"dimensions": f"category, {typed},year,gender"}
        assert self.client.get(EXPORT, asked).status_code == 400
        event = AccessEvent.objects.order_by("-id").first()
        assert event.details == {"dimensions": "category,?,year,gender", "result": "400"}
        assert not AccessEvent.objects.filter(details__icontains="FICTIONAL").exists()

    @policy(GLOBAL_LIFETIME_BUDGET=1.5)
    def test_the_dataset_has_a_lifetime_budget_as_well_as_a_monthly_one(self):
        factories.sign_in(self.client, self.supervisor)
        assert self.client.get(EXPORT, {"dimensions": "category"}).status_code == 200
        assert self.client.get(EXPORT, {"dimensions": "year"}).status_code == 429

    def test_a_policy_change_is_not_answered_with_an_old_release(self):
        factories.sign_in(self.client, self.supervisor)
        assert self.client.get(EXPORT, {"dimensions": "category"}).status_code == 200
        with policy(CASES_PER_PERSON=3):
            assert self.client.get(EXPORT, {"dimensions": "category"}).status_code == 200
        assert PrivacyCharge.objects.count() == 2


class BeforeTheFirstSnapshotTests(CastTestCase):
    def test_exports_wait_for_the_first_snapshot_and_say_when_to_retry(self):
        factories.sign_in(self.client, self.supervisor)
        response = self.client.get(EXPORT, {"dimensions": "category"})
        assert response.status_code == 503
        assert response["Retry-After"] == "60"
        assert "first snapshot" in response.json()["error"]
        assert PrivacyCharge.objects.count() == 0


class BudgetSumsTests(TestCase):
    """The budget's figures from a ledger of every kind of charge (in one statement on
    PostgreSQL, through the ORM elsewhere)."""

    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha")
        other = factories.user("sup-alpha-2", Role.SUPERVISOR, "Test Team Alpha")
        month = ledger.current_period()
        for purpose, period, who, epsilon in (
            (Release.Purpose.EXPORT, month, cls.supervisor, "1.25"),
            (Release.Purpose.EXPORT, month, cls.supervisor, "0.5"),
            (Release.Purpose.EXPORT, month, other, "2"),
            (Release.Purpose.EXPORT, "2000-01", cls.supervisor, "3"),
            (Release.Purpose.DASHBOARD, month, None, "0.25"),
            (Release.Purpose.DASHBOARD, "2000-01", None, "0.5"),
        ):
            release = Release.objects.create(
                purpose=purpose,
                dimensions="year",
                snapshot_number=1,
                epsilon=Decimal(epsilon),
                scale=1.0,
                threshold=10,
                rounding_base=5,
                method="fictional",
                published={},
            )
            PrivacyCharge.objects.create(
                period=period, supervisor=who, epsilon=Decimal(epsilon), release=release
            )

    def test_each_budget_counts_only_its_own_charges(self):
        from django.db import connection

        with self.assertNumQueries(1 if connection.vendor == "postgresql" else 2):
            budget = ledger.budget(self.supervisor)
        assert budget.supervisor_left == Decimal("4.0") - Decimal("1.75")
        assert budget.exports_left == Decimal("30.0") - Decimal("3.75")
        assert budget.dashboard_left == Decimal("1.0") - Decimal("0.25")
        assert budget.lifetime_left == Decimal("200.0") - Decimal("7.5")
        nobody = ledger.budget(None)
        assert nobody.supervisor_left == nobody.supervisor_limit == Decimal("4.0")
        assert nobody.exports_left == budget.exports_left
        # The dashboard's charges are nobody's: as the ORM's "IS NULL" counts them.
        month = ledger.current_period()
        assert ledger._spent_sums(None, month)["own"] == Decimal("0.25")
