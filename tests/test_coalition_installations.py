"""Three separate installations make bundles; a fourth party, the combiner, combines them.

Each installation is its own process (the production settings, config.settings) with
its own PostgreSQL database (created empty and migrated for the test, dropped
after), its own key-encryption key, secret key, access-log key and release-signing
key, and its own fictional cases. They share only the members file, which holds
public keys. Each supervisor downloads the bundle through the web page, as a person
would; the combiner (this test's own database and the combiner's private key) runs
`coalition_combine` on the three downloads.
"""

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TestCase

from casebook.aggregates import disclosure
from casebook.coalition import combining, documents
from casebook.coalition.members import load_members
from casebook.crypto import coalition as keys
from casebook.crypto.envelope import CryptoError, random_key_text
from casebook.models import AccessEvent
from tests.test_coalition_combine import EAST, NORTH, SOUTH, members_document

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2019
# Each installation's fictional cases: (primary category, year, how many).
CASES = {
    NORTH: [("trafficking", 2019, 9), ("detention", 2019, 4), ("trafficking", 2020, 3)],
    SOUTH: [("trafficking", 2019, 6), ("forced_marriage", 2019, 7)],
    EAST: [("forcible_repatriation", 2019, 8), ("trafficking", 2019, 2)],
}


def run_member(spec_text: str) -> None:
    """One installation's part, run in its own process once Django is set up: fictional
    cases, a snapshot, and the supervisor's downloads through the page."""
    from django.test import Client

    from casebook.aggregates import ledger
    from casebook.models import AccessEvent, CoalitionCharge, PrivacyCharge
    from casebook.roles import Role
    from tests import factories

    spec = json.loads(spec_text)
    factories.team("Fictional Team")
    author = factories.user("cw-member", Role.CASEWORKER, "Fictional Team")
    supervisor = factories.user("sup-member", Role.SUPERVISOR, "Fictional Team")
    for category, year, count in spec["cases"]:
        for _ in range(count):
            factories.case(author, primary_category=category, year=year)
    factories.snapshot()
    client = Client()
    factories.sign_in(client, supervisor)
    for year, path in spec["downloads"]:
        response = client.post("/coalition/", {"year": year})
        assert response.status_code == 200, response.content[:500]
        Path(path).write_bytes(response.content)
    budget = ledger.budget(supervisor)
    events = AccessEvent.objects.filter(action__startswith="coalition.")
    report = {
        "charges": CoalitionCharge.objects.count(),
        "charged_years": sorted({c.year for c in CoalitionCharge.objects.all()}),
        "coalition_epsilon": str(sum(c.epsilon for c in CoalitionCharge.objects.all())),
        "supervisor_budget_untouched": budget.supervisor_left == budget.supervisor_limit,
        "privacy_charges": PrivacyCharge.objects.count(),
        "results": [e.details.get("result") for e in events.order_by("id")],
    }
    sys.stdout.write(json.dumps(report))


def key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@unittest.skipIf(connection.vendor != "postgresql", "separate PostgreSQL databases")
class SeparateInstallationsTests(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.folder = Path(tempfile.mkdtemp(prefix="casebook-coalition-"))
        cls.combiner = random_key_text()
        cls.release_keys = {name: random_key_text() for name in CASES}
        publics = {name: keys.signing_public_key_of(k) for name, k in cls.release_keys.items()}
        combiner_public = keys.combiner_public_key_of(cls.combiner)
        cls.members = cls.folder / "members.json"
        # The coalition pools 2019 and 2020 (without `years`: the last complete years).
        document = members_document(combiner_public, publics, years=[2019, 2020])
        cls.members.write_text(json.dumps(document))
        cls.key = cls.folder / "combiner.key"
        cls.key.write_text(cls.combiner)
        settings = connection.settings_dict
        cls.server = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
        cls.databases_made = {name: f"casebook_member_{secrets.token_hex(4)}" for name in CASES}
        cls.reports, cls.bundles = {}, {}
        try:
            with psycopg.connect(f"{cls.server}/postgres", autocommit=True) as admin:
                for database in cls.databases_made.values():
                    admin.execute(f'CREATE DATABASE "{database}"')
            for name, database in cls.databases_made.items():
                cls.reports[name] = cls.run_installation(name, f"{cls.server}/{database}")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        with psycopg.connect(f"{cls.server}/postgres", autocommit=True) as admin:
            for database in cls.databases_made.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(cls.folder, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def run_installation(cls, name: str, database_url: str) -> dict:
        slug = name.split()[-1].lower()
        downloads = {
            "first": cls.folder / f"{slug}-2019.json",
            "again": cls.folder / f"{slug}-2019-again.json",
            "2020": cls.folder / f"{slug}-2020.json",
        }
        cls.bundles[name] = downloads
        environment = {
            "PATH": os.environ["PATH"],
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "CASEBOOK_SECRET_KEY": key_text(),
            "CASEBOOK_KEK": f"1:{key_text()}",
            "CASEBOOK_AUDIT_SIGNING_KEY": key_text(),
            "CASEBOOK_RELEASE_SIGNING_KEY": cls.release_keys[name],
            "CASEBOOK_ORGANISATION_NAME": name,
            "CASEBOOK_COALITION_MEMBERS_FILE": str(cls.members),
            "CASEBOOK_SEAL_INLINE": "1",
            "CASEBOOK_ALLOWED_HOSTS": "testserver",
            "CASEBOOK_INSECURE_LOCAL_HTTP": "1",
        }
        migrated = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        spec = {
            "cases": CASES[name],
            "downloads": [
                (YEAR, str(downloads["first"])),
                (YEAR, str(downloads["again"])),
                (2020, str(downloads["2020"])),
            ],
        }
        program = (
            "import sys, django; django.setup(); "
            "from tests.test_coalition_installations import run_member; run_member(sys.argv[1])"
        )
        made = subprocess.run(
            [sys.executable, "-c", program, json.dumps(spec)],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert made.returncode == 0, made.stderr[-3000:]
        return json.loads(made.stdout.strip().splitlines()[-1])

    def opened(self, path: Path) -> dict:
        key = keys.load_combiner_key(self.combiner)
        return json.loads(keys.open_sealed(key, json.loads(path.read_bytes())))

    def test_each_installation_charged_its_coalition_budget_once_per_year_and_snapshot(self):
        for name, report in self.reports.items():
            assert report == {
                "charges": 8,  # 4 tables for 2019 (once: the second download reused) + 4 for 2020
                "charged_years": [2019, 2020],
                "coalition_epsilon": "4.0000",
                "supervisor_budget_untouched": True,
                "privacy_charges": 0,
                "results": [
                    "new_bundle",
                    "sealed_to_combiner",
                    "reused_bundle",
                    "sealed_to_combiner",
                    "new_bundle",
                    "sealed_to_combiner",
                ],
            }, name
            # The reused bundle holds the very same noisy cells.
            first, again = (self.opened(self.bundles[name][k])["body"] for k in ("first", "again"))
            assert first == again

    def test_a_download_cannot_be_read_without_the_combiners_key(self):
        for name, downloads in self.bundles.items():
            content = downloads["first"].read_bytes()
            assert name.encode() not in content and b'"cells"' not in content
            envelope = json.loads(content)
            for wrong in (self.release_keys[name], random_key_text()):
                with pytest.raises(CryptoError):
                    keys.open_sealed(keys.load_combiner_key(wrong), envelope)
            assert self.opened(downloads["first"])["body"]["organisation"] == name

    def test_the_combiner_verifies_every_signature_and_publishes_only_the_rule_on_the_sums(self):
        paths = [str(self.bundles[name]["first"]) for name in CASES]
        out = self.folder / "combined"
        call_command(
            "coalition_combine", *paths, members=str(self.members), key=str(self.key), out=str(out)
        )
        combined = json.loads((out / "coalition-2019.json").read_text())
        assert [m["organisation"] for m in combined["members"]] == list(CASES)
        bodies = [self.opened(self.bundles[name]["first"])["body"] for name in CASES]
        # Each bundle verifies against its member's key in the members file, and only there.
        coalition = load_members(self.members)
        for name in CASES:
            signed = self.opened(self.bundles[name]["first"])
            message = documents.signed_message(signed["body"])
            for member in coalition.members:
                valid = keys.signature_valid(member.signing_key, message, signed["signature"])
                assert valid == (member.name == name)
        rule = disclosure.policy()
        for index, table in enumerate(combined["tables"]):
            sums = [
                sum(cells)
                for cells in zip(*(b["tables"][index]["cells"] for b in bodies), strict=True)
            ]
            assert [cell["count"] for cell in table["cells"]] == [
                disclosure.publish(value, rule) for value in sums
            ]
            assert table["total"] == disclosure.publish(sum(sums), rule)
        # The same sums through the combiner's own code, before the rule.
        key = keys.load_combiner_key(self.combiner)
        read = [(p, Path(p).read_bytes()) for p in paths]
        tables = combining.combine(coalition, combining.open_all(read, coalition, key)).tables
        for index, table in enumerate(tables):
            columns = [b["tables"][index]["cells"] for b in bodies]
            assert list(table.sums) == [sum(cells) for cells in zip(*columns, strict=True)]
        hxl = (out / "coalition-2019-category-year.csv").read_text().splitlines()[1]
        assert hxl.startswith("#indicator+category+code,")
        assert AccessEvent.objects.filter(action="coalition.combine", outcome="allowed").exists()

    def test_real_bundles_of_another_period_or_twice_from_one_member_are_refused(self):
        north, south = self.bundles[NORTH], self.bundles[SOUTH]
        out = self.folder / "refused"
        with pytest.raises(CommandError) as raised:
            call_command(
                "coalition_combine",
                str(north["first"]),
                str(south["first"]),
                str(south["again"]),
                str(self.bundles[EAST]["2020"]),
                members=str(self.members),
                key=str(self.key),
                out=str(out),
            )
        message = str(raised.value)
        assert f"{south['again']}: a second bundle from {SOUTH}" in message
        assert f"{self.bundles[EAST]['2020']}: for 2020, another period than 2019" in message
        assert str(north["first"]) + ":" not in message
        assert not out.exists()
