"""Dumps, rotation, retirement and crypto-shredding, against real PostgreSQL dumps."""

import io
import subprocess
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection

from casebook.cases import access, records, services
from casebook.crypto import envelope, keys
from casebook.models import CaseKey, CasePattern, CaseTestimony
from casebook.roles import Role
from tests import factories
from tests.keyrings import configured_keys, new_kek
from tests.transactional import LoggedTransactionTestCase

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL"
)
KNOWN = records.Testimony(
    narrative="KNOWN-PLAINTEXT-NARRATIVE fictional test words",
    interviewer_notes="KNOWN-PLAINTEXT-NOTES fictional",
    precise_details="KNOWN-PLAINTEXT-DETAILS fictional",
)


def pg_dump() -> str:
    settings = connection.settings_dict
    return subprocess.run(
        [
            "/usr/bin/pg_dump",
            "--data-only",
            "-h",
            settings["HOST"],
            "-p",
            str(settings["PORT"]),
            "-U",
            settings["USER"],
            settings["NAME"],
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def copy_rows(dump: str, table: str) -> list[list[str]]:
    """The rows of `table` in a plain-text dump's COPY block."""
    lines = dump.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"COPY public.{table} "))
    rows = []
    for line in lines[start + 1 :]:
        if line == "\\.":
            break
        rows.append(line.split("\t"))
    return rows


def bytea(field: str) -> bytes:
    assert field.startswith("\\\\x"), field[:5]
    return bytes.fromhex(field[3:])


def open_from_dump(dump: str, case_id: str, ring: envelope.Keyring) -> dict[str, str]:
    key_row = next(r for r in copy_rows(dump, "casebook_casekey") if r[0] == case_id)
    columns = ["case_id", "kek_version", "wrapped", "generation"]
    key = dict(zip(columns, key_row, strict=True))
    wrapped = envelope.WrappedKey(
        case_id, int(key["kek_version"]), bytea(key["wrapped"]), int(key["generation"])
    )
    row = next(r for r in copy_rows(dump, "casebook_casetestimony") if r[0] == case_id)
    sealed = {
        "narrative": bytea(row[1]),
        "interviewer_notes": bytea(row[2]),
        "precise_details": bytea(row[3]),
    }
    return envelope.open_fields(ring, wrapped, table="casebook_casetestimony", sealed=sealed)


class KeyLifecycleTests(LoggedTransactionTestCase):
    def setUp(self):
        super().setUp()
        self.v1 = f"1:{new_kek()}"
        self.v2 = f"2:{new_kek()}"
        with configured_keys(self.v1):
            factories.team("Test Team Alpha")
            self.author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
            self.cases = [factories.case(self.author, testimony=KNOWN) for _ in range(5)]

    def test_dump_contains_no_plaintext_testimony(self):
        dump = pg_dump()
        assert "casebook_casetestimony" in dump and self.cases[0].reference in dump
        assert "KNOWN-PLAINTEXT" not in dump
        assert "fictional test words" not in dump
        with configured_keys(self.v1):
            assert open_from_dump(dump, str(self.cases[0].pk), keys.keyring()) == KNOWN.as_fields()

    def test_rotation_rewraps_all_and_cases_stay_readable_with_old_key_retired(self):
        before = {str(r.pk): bytes(r.narrative) for r in CaseTestimony.objects.all()}
        with configured_keys(f"{self.v1},{self.v2}"):
            call_command("rotate_keys", "--batch-size", "2")
        assert set(CaseKey.objects.values_list("kek_version", flat=True)) == {2}
        # Testimony ciphertext is untouched: rotation re-wraps data keys only.
        assert before == {str(r.pk): bytes(r.narrative) for r in CaseTestimony.objects.all()}
        with configured_keys(self.v2):  # version 1 retired
            for case in self.cases:
                record = access.case_read(user=self.author, reference=case.reference)
                assert record.testimony == KNOWN

    def test_each_batch_starts_past_the_last_key_and_is_written_at_once(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with configured_keys(f"{self.v1},{self.v2}"), CaptureQueriesContext(connection) as seen:
            report = keys.rotate_data_keys(batch_size=2)
        assert report.rotated == 5 and report.remaining == 0
        reads = [q["sql"] for q in seen.captured_queries if "FOR UPDATE" in q["sql"]]
        assert len(reads) == 4  # three batches and the empty read that ends the run
        assert all('"case_id" >' in sql for sql in reads[1:])  # keyset, never from the start
        writes = [q["sql"] for q in seen.captured_queries if q["sql"].startswith("UPDATE")]
        if connection.vendor == "postgresql":
            assert len(writes) == 3  # one statement per batch

    def test_interrupted_rotation_resumes(self):
        real_rewrap = envelope.rewrap
        calls = []

        def power_cut_on_fourth_key(ring, key):
            calls.append(key.case_id)
            if len(calls) == 4:
                raise RuntimeError("simulated power cut")
            return real_rewrap(ring, key)

        with configured_keys(f"{self.v1},{self.v2}"):
            with (
                mock.patch.object(envelope, "rewrap", power_cut_on_fourth_key),
                pytest.raises(RuntimeError, match="power cut"),
            ):
                keys.rotate_data_keys(batch_size=2)
            # The first batch committed; the interrupted one rolled back whole.
            assert CaseKey.objects.filter(kek_version=2).count() == 2
            assert CaseKey.objects.filter(kek_version=1).count() == 3
            out = io.StringIO()
            call_command("rotate_keys", "--batch-size", "2", stdout=out)
        assert "Re-wrapped 3 data keys under key version 2." in out.getvalue()
        assert "No data key uses version 1 any more" in out.getvalue()
        with configured_keys(self.v2):
            for case in self.cases:
                record = access.case_read(user=self.author, reference=case.reference)
                assert record.testimony == KNOWN

    def test_deleted_case_is_gone_live_and_from_old_dumps_after_rotation_and_retirement(self):
        victim = self.cases[0]
        dump_before_deletion = pg_dump()
        with configured_keys(self.v1):
            services.case_delete(actor=self.author, case=victim)
        assert not CasePattern.objects.filter(pk=victim.pk).exists()
        assert not CaseKey.objects.filter(case_id=victim.pk).exists()
        assert not CaseTestimony.objects.filter(case_id=victim.pk).exists()
        with configured_keys(self.v1), pytest.raises(access.CaseNotFound):
            access.case_read(user=self.author, reference=victim.reference)
        assert str(victim.pk) not in pg_dump()
        # The window, stated plainly: while version 1 is held, the old dump still opens.
        with configured_keys(self.v1):
            opened = open_from_dump(dump_before_deletion, str(victim.pk), keys.keyring())
        assert opened == KNOWN.as_fields()
        # Rotate to version 2 and retire version 1: the old dump no longer opens.
        with configured_keys(f"{self.v1},{self.v2}"):
            keys.rotate_data_keys()
        with configured_keys(self.v2), pytest.raises(envelope.KeyMissing):
            open_from_dump(dump_before_deletion, str(victim.pk), keys.keyring())
