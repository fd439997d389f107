"""The supervisor's coalition page in a real browser: it passes the checks every page
passes (axe-core, 360 px, page weight, nothing from another origin) in English and
Korean, set up or not, and its button downloads a file that is ciphertext."""

import json
import os
import shutil
import tempfile
from pathlib import Path
from unittest import mock

from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.test import Client, override_settings

from casebook.crypto import coalition as keys
from casebook.crypto.envelope import random_key_text
from casebook.models import CoalitionCharge
from casebook.roles import Role
from tests import factories
from tests.browser import InBrowser, PageChecks, skip_without_chromium
from tests.test_coalition_combine import NORTH, members_document
from tests.transactional import LoggedTransactionTestCase

skip_without_chromium()


@override_settings(SESSION_COOKIE_SECURE=False, CSRF_COOKIE_SECURE=False)
class CoalitionPageInBrowserTests(InBrowser, LoggedTransactionTestCase, StaticLiveServerTestCase):
    def page_for(self, user, language: str) -> PageChecks:
        """A page signed in as `user`, in `language`, watched by the checks."""
        client = Client()
        factories.sign_in(client, user)
        context = self.browser.new_context(accept_downloads=True)
        context.add_cookies(
            [
                {"name": name, "value": value, "url": self.live_server_url}
                for name, value in (
                    ("sessionid", client.cookies["sessionid"].value),
                    ("django_language", language),
                )
            ]
        )
        return PageChecks(context, self.live_server_url)

    def test_the_page_passes_every_pages_checks_and_downloads_ciphertext(self):
        factories.team("Test Team Alpha")
        supervisor = factories.user("sup-coalition", Role.SUPERVISOR, "Test Team Alpha")
        author = factories.user("cw-coalition", Role.CASEWORKER, "Test Team Alpha")
        factories.case(author)
        factories.snapshot()
        problems = []
        for language in ("en", "ko"):  # not set up: the page says what is missing
            checks = self.page_for(supervisor, language)
            checks.page.goto(f"{self.live_server_url}/coalition/")
            checks.check()
            problems += checks.problems
            checks.page.context.close()
        release_key, combiner = random_key_text(), random_key_text()
        members = self.folder / "members.json"
        members.write_text(
            json.dumps(
                members_document(
                    keys.combiner_public_key_of(combiner),
                    {NORTH: keys.signing_public_key_of(release_key)},
                    years=[2019],
                )
            )
        )
        with (
            mock.patch.dict(os.environ, {"CASEBOOK_RELEASE_SIGNING_KEY": release_key}),
            override_settings(
                CASEBOOK_ORGANISATION_NAME=NORTH, CASEBOOK_COALITION_MEMBERS_FILE=str(members)
            ),
        ):
            for language in ("en", "ko"):
                checks = self.page_for(supervisor, language)
                checks.page.goto(f"{self.live_server_url}/coalition/")
                checks.check()
                problems += checks.problems
                if language == "en":
                    checks.page.get_by_label("Year of the cases").select_option("2019")
                    with checks.page.expect_download() as download:
                        checks.page.get_by_role(
                            "button", name="Make and download the sealed bundle"
                        ).click()
                    content = Path(download.value.path()).read_bytes()
                checks.page.context.close()
        assert problems == []
        envelope = json.loads(content)
        assert envelope["format"] == "casebook-coalition-sealed/1"
        assert NORTH.encode() not in content
        opened = keys.open_sealed(keys.load_combiner_key(combiner), envelope)
        assert json.loads(opened)["body"]["year"] == 2019
        assert CoalitionCharge.objects.count() == 4

    def setUp(self):
        super().setUp()
        self.folder = Path(tempfile.mkdtemp(prefix="casebook-coalition-browser-"))
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)
