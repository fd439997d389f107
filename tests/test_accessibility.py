"""What assistive technology reads: every aria reference points at something, help and
errors belong to their inputs, identifier findings name their field."""

import re

from django.urls import reverse

from tests import factories
from tests.cast import CastTestCase

REFERENCE = re.compile(r'aria-(?:describedby|labelledby)="([^"]+)"')
ID = re.compile(r'\bid="([^"]+)"')


def dangling(html: str) -> set[str]:
    ids = set(ID.findall(html))
    wanted = {name for value in REFERENCE.findall(html) for name in value.split()}
    return wanted - ids


class AriaReferenceTests(CastTestCase):
    def test_every_aria_reference_names_an_element_of_the_page(self):
        factories.snapshot()
        pages = {
            self.author: [
                reverse("casebook:case_create"),
                reverse("casebook:case_edit", args=[self.case.reference]),
                reverse("casebook:case_list"),
            ],
            self.supervisor: [
                reverse("casebook:case_sharing", args=[self.case.reference]),
                reverse("casebook:case_break_glass", args=[self.case.reference]),
                reverse("casebook:export_builder"),
                reverse("casebook:dashboard"),
            ],
            self.auditor: [reverse("casebook:access_log")],
        }
        broken = {}
        for user, paths in pages.items():
            factories.sign_in(self.client, user)
            for path in paths:
                missing = dangling(self.client.get(path).content.decode())
                if missing:
                    broken[path] = missing
        self.client.logout()
        missing = dangling(self.client.get(reverse("login")).content.decode())
        if missing:
            broken["login"] = missing
        assert broken == {}

    def test_help_text_is_read_with_its_input(self):
        factories.sign_in(self.client, self.author)
        page = self.client.get(reverse("casebook:case_create")).content.decode()
        assert 'aria-describedby="id_narrative_helptext"' in page
        assert 'id="id_narrative_helptext"' in page

    def test_identifier_findings_name_the_field_they_were_found_in(self):
        factories.sign_in(self.client, self.author)
        data = factories.form_data(interviewer_notes="Fictional note: call 138 1234 5678.")
        page = self.client.post(reverse("casebook:case_create"), data).content.decode()
        assert "Interviewer notes: Phone number" in page

    def test_the_case_form_reads_in_sections_with_required_fields_marked(self):
        factories.sign_in(self.client, self.author)
        page = self.client.get(reverse("casebook:case_create")).content.decode()
        legends = re.findall(r'<fieldset class="section">\s*<legend>([^<]+)</legend>', page)
        assert legends == [
            "What happened",
            "Where and when",
            "Who",
            "Source and consent",
            "Testimony",
        ]
        primary = page.split('for="id_primary_category"')[1][:200]
        assert "(required)" in primary
        narrative = page.split('for="id_narrative"')[1][:200]
        assert "(required)" not in narrative

    def test_a_refused_submit_puts_the_error_summary_in_focus(self):
        factories.sign_in(self.client, self.author)
        page = self.client.post(reverse("casebook:case_create"), {}).content.decode()
        assert 'class="form-errors" role="alert" tabindex="-1" autofocus' in page
