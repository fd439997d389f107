"""Envelope encryption: binding, tampering, wrong and missing keys, and the keyring format."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from casebook.cases import access
from casebook.checks import kek_configured, kek_matches_database
from casebook.crypto import envelope, keys
from casebook.models import CaseKey, CaseTestimony
from casebook.roles import Role
from tests import factories
from tests.keyrings import configured_keys, new_kek

RING = envelope.parse_keyring(f"1:{new_kek()}")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=2000))
def test_sealed_fields_open_to_the_same_text(text):
    key = envelope.new_case_key(RING, case_id="case-a")
    sealed = envelope.seal_fields(RING, key, table="t", fields={"narrative": text})
    assert len(text.encode()) < 8 or text.encode() not in sealed["narrative"]
    assert envelope.open_fields(RING, key, table="t", sealed=sealed) == {"narrative": text}


def test_each_encryption_uses_a_fresh_nonce():
    key = envelope.new_case_key(RING, case_id="case-a")
    first = envelope.seal_fields(RING, key, table="t", fields={"n": "same"})["n"]
    second = envelope.seal_fields(RING, key, table="t", fields={"n": "same"})["n"]
    assert first != second and first[1:13] != second[1:13]


def test_ciphertext_moved_to_another_field_or_row_fails():
    key_a = envelope.new_case_key(RING, case_id="case-a")
    sealed = envelope.seal_fields(RING, key_a, table="t", fields={"narrative": "secret"})
    with pytest.raises(envelope.CryptoError):
        envelope.open_fields(
            RING, key_a, table="t", sealed={"interviewer_notes": sealed["narrative"]}
        )
    with pytest.raises(envelope.CryptoError):
        envelope.open_fields(RING, key_a, table="other", sealed=sealed)
    # The same data key presented as another case's (a wrapped key moved between rows).
    moved = envelope.WrappedKey("case-b", key_a.kek_version, key_a.wrapped, key_a.generation)
    with pytest.raises(envelope.CryptoError):
        envelope.open_fields(RING, moved, table="t", sealed=sealed)


def test_modified_ciphertext_fails_and_never_returns_text():
    key = envelope.new_case_key(RING, case_id="case-a")
    sealed = envelope.seal_fields(RING, key, table="t", fields={"n": "secret"})["n"]
    for position in (0, 5, len(sealed) // 2, len(sealed) - 1):
        tampered = bytearray(sealed)
        tampered[position] ^= 0x01
        with pytest.raises(envelope.CryptoError):
            envelope.open_fields(RING, key, table="t", sealed={"n": bytes(tampered)})
    for truncated in (b"", sealed[:10], sealed[:-1]):
        with pytest.raises(envelope.CryptoError):
            envelope.open_fields(RING, key, table="t", sealed={"n": truncated})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no key"),
        ("nonsense", "not 'VERSION:BASE64KEY'"),
        ("1:not-base64-!!", "not valid base64"),
        ("1:" + "QUFB", "not a 256-bit key"),
        (f"1:{new_kek()},1:{new_kek()}", "version 1 twice"),
        ("0:" + new_kek(), "not 'VERSION:BASE64KEY'"),
    ],
    # Named, since the generated keys would make the ids differ on every run.
    ids=["empty", "nonsense", "bad-base64", "short-key", "version-twice", "version-zero"],
)
def test_malformed_keyrings_are_refused_without_echoing_keys(text, message):
    with pytest.raises(envelope.KeyMissing, match=message) as raised:
        envelope.parse_keyring(text)
    assert text.partition(":")[2] not in str(raised.value) or text.partition(":")[2] == ""


def test_keyring_from_file_and_newest_version_wraps(tmp_path):
    path = tmp_path / "kek"
    path.write_text(f"1:{new_kek()}\n3:{new_kek()}\n2:{new_kek()}\n")
    ring = envelope.load_keyring({"CASEBOOK_KEK_FILE": str(path)})
    assert sorted(ring.keys) == [1, 2, 3] and ring.current_version == 3
    assert envelope.new_case_key(ring, case_id="x").kek_version == 3


def test_missing_key_is_a_system_check_error():
    with configured_keys(None):
        errors = kek_configured(None)
    assert [e.id for e in errors] == ["casebook.E001"]
    assert "CASEBOOK_KEK" in errors[0].msg


def test_generate_key_prints_a_usable_versioned_key(capsys):
    call_command("generate_key", "--key-version", "4")
    printed = capsys.readouterr().out.strip()
    ring = envelope.parse_keyring(printed)
    assert list(ring.keys) == [4]


class WrongKeyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        cls.case = factories.case(cls.author)

    def test_wrong_key_is_detected_before_any_data_is_touched(self):
        before = bytes(CaseTestimony.objects.get(case=self.case).narrative)
        with configured_keys(f"1:{new_kek()}"):
            with self.assertRaises(envelope.WrongKey):
                access.case_read(user=self.author, reference=self.case.reference)
            with self.assertRaises(envelope.WrongKey):
                keys.rotate_data_keys()
            errors = kek_matches_database(None, databases=["default"])
        assert [e.id for e in errors] == ["casebook.E002"]
        assert "not the one this database was encrypted with" in errors[0].msg
        assert bytes(CaseTestimony.objects.get(case=self.case).narrative) == before

    def test_missing_key_version_fails_clearly(self):
        with (
            configured_keys(f"2:{new_kek()}"),
            self.assertRaisesMessage(envelope.KeyMissing, "version 1 is not in CASEBOOK_KEK"),
        ):
            access.case_read(user=self.author, reference=self.case.reference)

    def test_stored_rows_hold_only_ciphertext(self):
        row = CaseTestimony.objects.get(case=self.case)
        for name in ("narrative", "interviewer_notes", "precise_details"):
            assert b"FICTIONAL" not in bytes(getattr(row, name))
        with connection.cursor() as cursor:
            cursor.execute("SELECT narrative FROM casebook_casetestimony")
            assert b"FICTIONAL" not in bytes(cursor.fetchone()[0])
        assert bytes(CaseKey.objects.get(case=self.case).wrapped)[:1] == envelope.FORMAT_V1
