"""Snapshots: taken on schedule whatever changed, counted instead of the live cases, and
the only thing an answer depends on besides the requests and the budgets."""

import csv
import datetime as dt
import io

from django.test import override_settings
from django.urls import reverse

from casebook.aggregates.snapshots import SCHEDULE_ANCHOR, snapshot_slot
from casebook.cases import services
from casebook.cases.records import SurvivorLink
from casebook.jobs.runner import run_due_jobs
from casebook.models import JobRun, PrivacyCharge, Snapshot, SnapshotCase
from tests import factories
from tests.cast import CastTestCase
from tests.factories import NEAR_EXACT, policy

EXPORT = reverse("casebook:aggregate_export")
MONDAY = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)  # a Monday


class ScheduleTests(CastTestCase):
    def test_slots_fall_on_mondays_at_midnight_utc(self):
        assert SCHEDULE_ANCHOR.weekday() == 0
        assert snapshot_slot(MONDAY + dt.timedelta(days=3, hours=5)) == MONDAY
        assert snapshot_slot(MONDAY) == MONDAY
        assert snapshot_slot(MONDAY - dt.timedelta(seconds=1)) == MONDAY - dt.timedelta(days=7)
        with policy(SNAPSHOT_EVERY_DAYS=1):
            assert snapshot_slot(MONDAY + dt.timedelta(days=3, hours=5)) == MONDAY + dt.timedelta(
                days=3
            )

    def test_snapshots_advance_on_schedule_with_no_edits(self):
        for week in range(4):
            for hour in (1, 2, 30):  # the scheduler starts many times a week
                run_due_jobs(MONDAY + dt.timedelta(weeks=week, hours=hour))
        runs = list(JobRun.objects.filter(job="snapshot").order_by("slot"))
        assert [run.slot for run in runs] == [MONDAY + dt.timedelta(weeks=w) for w in range(4)]
        kept = list(Snapshot.objects.order_by("taken_for").values_list("taken_for", flat=True))
        assert kept == [MONDAY + dt.timedelta(weeks=2), MONDAY + dt.timedelta(weeks=3)]
        # The two kept snapshots hold the same cases; the dropped ones' rows are gone.
        assert SnapshotCase.objects.count() == 2

    def test_a_snapshot_holds_coded_columns_only(self):
        columns = {field.column for field in SnapshotCase._meta.get_fields() if field.concrete}
        assert columns == {
            "id",
            "snapshot_id",
            "primary_category",
            "year",
            "province_china",
            "province_origin",
            "gender",
            "age_band",
            "current_status",
        }


@override_settings(CASEBOOK_DISCLOSURE=NEAR_EXACT)
class SnapshotCountingTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for _ in range(6):
            factories.case(cls.author, primary_category="detention", year=2020)
        factories.snapshot()

    def setUp(self):
        factories.sign_in(self.client, self.supervisor)

    def detention_2020(self, dimensions="category,year"):
        cells = self.client.get(EXPORT, {"dimensions": dimensions, "format": "json"}).json()
        return next(
            c["count"] for c in cells["cells"] if (c["category"], c["year"]) == ("detention", 2020)
        )

    def test_after_an_edit_a_new_table_shows_the_snapshot_until_the_next_one(self):
        for _ in range(4):
            factories.case(self.author, primary_category="detention", year=2020)
        services.case_update(
            case=self.case,
            editor=self.author,
            expected_version=1,
            pattern=factories.pattern(primary_category="detention", year=2020),
            testimony=factories.FICTIONAL_TESTIMONY,
        )
        assert PrivacyCharge.objects.count() == 0  # this table was never asked for before
        assert self.detention_2020() == 6  # the snapshot's count, not the live 11
        factories.snapshot(weeks_later=1)
        assert self.detention_2020() == 11

    def test_four_linked_cases_of_one_survivor_count_at_most_cases_per_person(self):
        first = factories.case(self.author, primary_category="detention", year=2018)
        for _ in range(3):
            services.case_create(
                author=self.author,
                team=self.alpha,
                pattern=factories.pattern(primary_category="detention", year=2018),
                testimony=factories.FICTIONAL_TESTIMONY,
                survivor=SurvivorLink(reference=first.reference),
            )
        for _ in range(5):  # five other survivors, one case each
            factories.case(self.author, primary_category="detention", year=2018)
        factories.snapshot(weeks_later=1)
        body = self.client.get(EXPORT, {"dimensions": "category,year", "format": "json"}).json()
        cells = {(c["category"], c["year"]): c["count"] for c in body["cells"]}
        assert cells["detention", 2018] == 5 + 2  # CASES_PER_PERSON of the linked four


class CanonicalTableTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        factories.snapshot()

    def setUp(self):
        factories.sign_in(self.client, self.supervisor)

    def test_one_table_however_its_dimensions_are_ordered_or_spaced(self):
        first = self.client.get(EXPORT, {"dimensions": "category,year", "format": "json"})
        second = self.client.get(EXPORT, {"dimensions": " year , category ,", "format": "json"})
        assert first.status_code == second.status_code == 200
        assert PrivacyCharge.objects.count() == 1
        a, b = first.json(), second.json()
        assert a["dimensions"] == ["category", "year"] and b["dimensions"] == ["year", "category"]
        assert list(b["cells"][0]) == ["year", "category", "category_name", "count"]
        as_pairs = {(c["category"], c["year"]): c["count"] for c in b["cells"]}
        assert as_pairs == {(c["category"], c["year"]): c["count"] for c in a["cells"]}
        assert a["margins"] == b["margins"] and list(b["margins"]) == ["year", "category"]
        rows = list(
            csv.reader(
                io.StringIO(
                    self.client.get(EXPORT, {"dimensions": "year,category"}).content.decode()
                )
            )
        )
        assert rows[0] == ["year", "category", "category_name", "count", "method_note"]
        assert rows[1] == [
            "#date+year",
            "#indicator+category+code",
            "#indicator+category+name",
            "#affected+num",
            "#meta+method",
        ]

    def test_a_settings_change_stops_every_old_release_being_served(self):
        assert self.client.get(EXPORT, {"dimensions": "category"}).status_code == 200
        for change in ({"THRESHOLD": 20}, {"ROUNDING_BASE": 10}, {"CASES_PER_PERSON": 3}):
            with policy(**change):
                body = self.client.get(EXPORT, {"dimensions": "category", "format": "json"})
                assert body.status_code == 200
        assert PrivacyCharge.objects.count() == 4  # each change made a fresh release


@policy(SUPERVISOR_MONTHLY_BUDGET=1.0)
class SpentBudgetTests(CastTestCase):
    """With a spent budget, nothing an answer says depends on whether counted data changed."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        factories.snapshot()

    def setUp(self):
        factories.sign_in(self.client, self.supervisor)

    def ask(self, dimensions):
        response = self.client.get(EXPORT, {"dimensions": dimensions, "format": "json"})
        return response.status_code, response.content

    def change_counted_data(self):
        factories.case(self.author)
        case = factories.case(self.author, year=2015)
        services.case_update(
            case=case,
            editor=self.author,
            expected_version=1,
            pattern=factories.pattern(year=2016),
            testimony=factories.FICTIONAL_TESTIMONY,
        )

    def test_a_spent_budget_answers_byte_for_byte_the_same_whether_or_not_data_changed(self):
        assert self.ask("category")[0] == 200  # spends the whole budget
        refused, reused = self.ask("year"), self.ask("category")
        assert refused[0] == 429 and reused[0] == 200
        self.change_counted_data()
        assert self.ask("year") == refused
        assert self.ask("category") == reused
        # The next snapshot comes on schedule; the spent budget cannot pay for it, so the
        # latest release stands in, with a notice, however the data changed.
        factories.snapshot(weeks_later=1)
        stand_in = self.ask("category")
        assert stand_in[0] == 200
        self.change_counted_data()
        assert self.ask("category") == stand_in
        assert self.ask("year") == refused
        assert PrivacyCharge.objects.count() == 1

    def test_the_refusal_names_only_the_requesters_own_budget(self):
        self.ask("category")
        status, body = self.ask("year")
        message = body.decode()
        assert status == 429
        assert "your privacy budget left this month is 0" in message
        assert "Nothing was spent" in message and "dataset" not in message
