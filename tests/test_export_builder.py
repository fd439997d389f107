"""The supervisor's export builder: choose, see the cost and the budget left, download;
refusals told on a page."""

import csv
import io

from django.urls import reverse

from casebook.models import AccessEvent, PrivacyCharge
from tests import factories
from tests.cast import CastTestCase
from tests.factories import policy

BUILDER = reverse("casebook:export_builder")
TABLE = {"first": "category", "second": "year", "format": "csv"}


@policy()
class ExportBuilderTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        factories.snapshot()

    def setUp(self):
        factories.sign_in(self.client, self.supervisor)

    def test_the_cost_and_the_budget_left_are_shown_before_anything_is_spent(self):
        assert self.client.get(BUILDER).status_code == 200
        quote = self.client.get(BUILDER, TABLE).content.decode()
        assert "This table costs epsilon 1 of your privacy budget." in quote
        assert "4 of 4 exports left this month." in quote
        assert PrivacyCharge.objects.count() == 0

    def test_a_confirmed_table_downloads_as_csv_with_its_hxl_row_and_labels(self):
        response = self.client.get(BUILDER, {**TABLE, "confirm": "True"})
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith('attachment; filename="casebook-category')
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == ["category", "category_name", "year", "count", "method_note"]
        assert rows[1][0] == "#indicator+category+code"
        assert "noise" in rows[2][4]  # the method note, with the table
        assert PrivacyCharge.objects.count() == 1
        again = self.client.get(BUILDER, {**TABLE, "second": "", "third": "year"}).content.decode()
        assert "costs nothing" in again and "3 of 4 exports left this month." in again

    @policy(SUPERVISOR_MONTHLY_BUDGET=1.0)
    def test_a_refusal_is_a_page_for_people_and_is_recorded(self):
        self.client.get(BUILDER, {**TABLE, "confirm": "True"})
        # What the builder's fields ask is recorded, whatever else the address holds.
        asked = {"first": "gender", "format": "csv", "confirm": "True", "dimensions": "category"}
        refused = self.client.get(BUILDER, asked)
        assert refused.status_code == 429
        assert refused["Content-Type"].startswith("text/html")
        assert "your privacy budget left this month is 0" in refused.content.decode()
        denial = AccessEvent.objects.get(action="export.create", outcome="denied")
        assert denial.details == {"dimensions": "gender", "result": "429"}
        assert PrivacyCharge.objects.count() == 1

    def test_the_same_dimension_twice_is_refused_with_a_message(self):
        response = self.client.get(BUILDER, {"first": "year", "second": "year", "format": "csv"})
        assert response.status_code == 400
        assert "Choose each dimension once." in response.content.decode()
        refused = AccessEvent.objects.get(action="export.create", outcome="denied")
        assert refused.details == {"dimensions": "year,year", "result": "400"}
