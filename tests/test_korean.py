"""Korean, complete: the catalogue has every string the code shows, and every page of
every role reads in Korean; English stays one click away."""

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.urls import reverse

from casebook.jobs.runner import run_due_jobs
from casebook.models import LanguagePreference
from tests import factories
from tests.cast import CastTestCase
from tests.urls import concrete, routes

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]")
# Latin words allowed on a Korean page: the product's name, the other language's own
# name on the switch, units and formats, and codes that are the same in every language.
ALLOWED = {
    "Casebook",
    "English",
    "CSV",
    "JSON",
    "HXL",
    "UTC",
    "TOTP",
    "QR",
    "ID",
    "OpenDP",
    "QQ",
    "CB",
    "YYYY-MM-DD",
    "ε",
}
CODE = re.compile(r"^(?:[a-z]+(?:[._][a-z]+)+|CB-[0-9A-Z]{4}-[0-9A-Z]{4})$")  # case.view, …
SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}


def makemessages_command() -> list[str]:
    """What `make messages` runs, for the copy of the sources it runs in."""
    return [sys.executable, "manage.py", "makemessages", "-l", "ko", "--no-location"]


def test_the_catalogue_has_no_empty_or_fuzzy_entry():
    catalogue = polib.pofile(str(CATALOGUE))
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_every_translation_keeps_its_placeholders():
    changed = []
    for entry in polib.pofile(str(CATALOGUE)):
        # Korean has one plural form: msgstr[0] stands for every count.
        translation = entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr
        wanted = PLACEHOLDER.findall(entry.msgid_plural or entry.msgid)
        if sorted(wanted) != sorted(PLACEHOLDER.findall(translation)):
            changed.append(entry.msgid)
    assert changed == []


XGETTEXT = shutil.which("xgettext")


@pytest.mark.skipif(
    XGETTEXT is None and os.environ.get("CASEBOOK_REQUIRE_GETTEXT") != "1",
    reason="GNU gettext is not installed (CI installs it and requires it)",
)
def test_the_catalogue_holds_exactly_what_the_code_yields(tmp_path):
    for name in ("casebook", "config", "templates", "locale", "manage.py"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("*.mo"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        makemessages_command(),
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        check=True,
        capture_output=True,
    )
    extracted = {e.msgid for e in polib.pofile(str(tmp_path / CATALOGUE.relative_to(ROOT)))}
    committed = {e.msgid for e in polib.pofile(str(CATALOGUE))}
    assert sorted(extracted - committed) == [], "new strings: run makemessages, translate"
    assert sorted(committed - extracted) == [], "strings the code no longer has"


class VisibleText(HTMLParser):
    """The words of the interface a person sees or hears: text nodes and the attributes
    read aloud. Left out: scripts and styles, and what is not the interface's to
    translate: codes and commands (<code>), and what people typed (testimony, text
    areas)."""

    SKIPPED = ("script", "style", "code", "textarea")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping: list[str] = []  # the open elements whose content is skipped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self.skipping or tag in self.SKIPPED or "testimony" in classes:
            self.skipping.append(tag)
            return
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skipping:
            for name, value in attrs:
                if name in SHOWN_ATTRIBUTES and value:
                    self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def english_left(html: str, data_words: set[str]) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    words = set()
    for part in parser.parts:
        for token in part.split():
            token = token.strip(".,:;()[]{}<>\"'·…!?/")
            if not token or token in data_words or CODE.match(token):
                continue
            words |= {
                w for w in LATIN_WORD.findall(token) if w not in ALLOWED and w not in data_words
            }
    return words


class KoreanPagesTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        run_due_jobs()  # a snapshot, and the dashboard's charts

    def data_words(self) -> set[str]:
        """What users typed or the system named: usernames, team names, references."""
        words = {self.case.reference}
        for user in (
            self.author,
            self.colleague,
            self.outsider,
            self.supervisor,
            self.auditor,
            self.administrator,
        ):
            words |= {user.username, *user.username.split("-")}
        words |= {"Test", "Team", "Alpha", "Beta", "test", "device"}  # teams', devices' names
        return words

    def test_every_page_of_every_role_reads_in_korean(self):
        data_words = self.data_words()
        left: dict[str, set[str]] = {}
        for user in (
            None,
            self.author,
            self.supervisor,
            self.auditor,
            self.administrator,
        ):
            self.client.logout()
            if user is not None:
                factories.sign_in(self.client, user)
            self.client.cookies["django_language"] = "ko"
            for route in routes():
                path = concrete(route, self.case.reference)
                if route == "exports/aggregate":
                    continue  # not a page: its labels are tested in test_exports_in_korean
                response = self.client.get(path, follow=True)
                if "text/html" not in response.get("Content-Type", ""):
                    continue
                words = english_left(response.content.decode(), data_words)
                if words:
                    left[f"{user} {path}"] = words
        assert left == {}

    def test_the_switch_remembers_the_choice_and_english_comes_back(self):
        factories.sign_in(self.client, self.author)
        cases = reverse("casebook:case_list")
        response = self.client.post(reverse("language_set"), {"language": "ko", "next": cases})
        assert response.status_code == 302 and response["Location"] == cases
        assert LanguagePreference.objects.get(user=self.author).language == "ko"
        page = self.client.get(cases)
        assert page["Content-Language"] == "ko" and '<html lang="ko">' in page.content.decode()
        other_browser = self.client_class(headers={"accept-language": "en"})
        factories.sign_in(other_browser, self.author)
        assert other_browser.get(cases)["Content-Language"] == "ko"  # remembered per person
        self.client.post(reverse("language_set"), {"language": "en", "next": cases})
        english = self.client.get(cases)
        assert english["Content-Language"] == "en" and "Record a case" in english.content.decode()

    def test_without_a_choice_the_browsers_language_decides(self):
        browser = self.client_class(headers={"accept-language": "ko-KR,ko;q=0.9,en;q=0.5"})
        page = browser.get(reverse("login"))
        assert page["Content-Language"] == "ko" and "로그인" in page.content.decode()
        assert self.client.get(reverse("login"))["Content-Language"] == "en"

    def test_a_bad_choice_or_a_foreign_next_changes_nothing(self):
        response = self.client.post(reverse("language_set"), {"language": "xx"})
        assert response.status_code == 400
        response = self.client.post(
            reverse("language_set"), {"language": "ko", "next": "https://elsewhere.example/"}
        )
        assert response.status_code == 302 and response["Location"] == "/"


class KoreanExportTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        factories.snapshot()

    def setUp(self):
        factories.sign_in(self.client, self.supervisor)

    def export(self, **params):
        return self.client.get(reverse("casebook:aggregate_export"), params)

    def test_labels_come_in_the_language_asked_and_codes_and_values_never_change(self):
        ko = self.export(dimensions="category,year", format="json", lang="ko").json()
        en = self.export(dimensions="category,year", format="json", lang="en").json()
        assert ko["cells"][0]["category"] == en["cells"][0]["category"] == "trafficking"
        assert ko["cells"][0]["category_name"] == "인신매매"
        assert en["cells"][0]["category_name"] == "Trafficking"
        assert [c["count"] for c in ko["cells"]] == [c["count"] for c in en["cells"]]
        assert all(c["count"] == "<10" or isinstance(c["count"], int) for c in ko["cells"])
        assert "year_name" not in ko["cells"][0]
        assert "잡음" in ko["method"] and "noise" in en["method"]

    def test_csv_adds_label_columns_with_their_own_hxl_tags(self):
        rows = self.export(dimensions="category", lang="ko").content.decode().splitlines()
        assert rows[0] == "category,category_name,count,method_note"
        assert rows[1] == (
            "#indicator+category+code,#indicator+category+name,#affected+num,#meta+method"
        )
        assert rows[2].startswith("trafficking,인신매매,") and "잡음" in rows[2]

    def test_the_page_language_is_the_default_and_an_unknown_one_is_refused(self):
        self.client.cookies["django_language"] = "ko"
        body = self.export(dimensions="gender", format="json").json()
        assert body["cells"][0]["gender_name"] == "여성"
        assert self.export(dimensions="gender", lang="fr").status_code == 400


@pytest.mark.django_db
def test_operators_commands_speak_the_shells_language():
    from io import StringIO
    from unittest import mock

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from casebook.management.operator import operator_language

    assert operator_language({"LANG": "ko_KR.UTF-8"}) == "ko"
    assert operator_language({"LC_ALL": "C.UTF-8", "LANG": "ko_KR.UTF-8"}) == "en"
    assert operator_language({}) == "en"
    with (
        mock.patch.dict(os.environ, {"LC_ALL": "ko_KR.UTF-8"}),
        pytest.raises(CommandError, match="--batch-size는 1 이상이어야 합니다"),
    ):
        call_command("rotate_keys", "--batch-size", "0", stdout=StringIO())
