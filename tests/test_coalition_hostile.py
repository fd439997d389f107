"""The combiner against hostile and ill-fitting bundles: nothing a bundle holds is read
before its signature verifies, no input ends in a traceback (each bad bundle is refused
by name, recorded, nothing written), text from a bundle reaches the terminal escaped,
every member must take part unless the combiner says otherwise, and the members file's
keys and agreed epsilon hold.

Anyone who has the combiner's public key can seal a file to it: the hostile bundles
here are sealed with the real sealing function, and signed (where they are) with the
real signing function and a member's key, as a member's leaked key would sign them.
"""

import base64
import hashlib
import io
import json
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError
from django.test import TestCase

from casebook.coalition import combining, documents
from casebook.coalition.combining import MAX_BUNDLE_BYTES, shown
from casebook.coalition.members import MembersFileInvalid, parse_members
from casebook.crypto import coalition as keys
from casebook.crypto.envelope import KeyMissing, random_key_text
from casebook.models import AccessEvent
from tests.test_coalition_combine import (
    EAST,
    NORTH,
    SOUTH,
    Coalition,
    body,
    members_document,
    sealed,
    signed,
)

ZERO_KEY = base64.urlsafe_b64encode(bytes(32)).decode()


class HostileBundleTests(TestCase):
    @pytest.fixture(autouse=True)
    def _coalition(self, tmp_path):
        self.coalition = Coalition(tmp_path)

    def write(self, name: str, content: bytes) -> str:
        path = self.coalition.folder / name
        path.write_bytes(content)
        return str(path)

    def seal(self, name: str, plaintext: dict | bytes) -> str:
        return self.write(name, sealed(plaintext, self.coalition.combiner_public))

    def refused(self, *bundles: str, **options) -> str:
        """The refusal's text: a CommandError (never another exception), nothing
        written, the denial recorded."""
        with pytest.raises(CommandError) as raised:
            self.coalition.combine(*bundles, **options)
        assert self.coalition.written() == []
        event = AccessEvent.objects.filter(action="coalition.combine").latest("id")
        assert event.outcome == "denied"
        return str(raised.value)

    def test_deep_nesting_is_refused_by_name_outside_or_inside_the_envelope(self):
        outside = self.write("outside.json", b"[" * 200_000)
        inside = self.seal("inside.json", b'{"body": ' + b"[" * 200_000)
        message = self.refused(outside, inside)
        assert f"{outside}: not a sealed coalition bundle" in message
        assert f"{inside}: its content is not a signed bundle" in message

    def test_nesting_of_any_depth_in_a_members_body_is_refused_never_a_traceback(self):
        # Around the interpreter's recursion limit some depths pass json.loads and fail
        # later, in the canonical encoding (which depths depends on the stack already
        # in use): each is a refusal with a reason.
        limit = sys.getrecursionlimit()
        paths = []
        for depth in (100, *range(limit - 100, limit + 1), 5000):
            nested = "[" * depth + "]" * depth
            text = f'{{"body": {{"organisation": "{NORTH}", "x": {nested}}}, "signature": "AAAA"}}'
            paths.append(self.seal(f"deep-{depth}.json", text.encode()))
        message = self.refused(*paths)
        for path in paths:
            assert f"{path}: " in message

    def test_nothing_is_read_before_the_signature_verifies(self):
        # A tiny epsilon (a positive Decimal, 0.0 as a float), a short table: under a
        # signature that does not verify, neither is read.
        tiny = body(NORTH)
        tiny["tables"][0]["epsilon"] = "1E-400"
        short = body(SOUTH)
        short["tables"][0]["cells"] = short["tables"][0]["cells"][:-1]
        outsider = random_key_text()
        first = self.seal("tiny.json", signed(tiny, outsider))
        second = self.seal("short.json", signed(short, outsider))
        message = self.refused(first, second)
        assert f"{first}: its signature does not verify against the key of {NORTH}" in message
        assert f"{second}: its signature does not verify against the key of {SOUTH}" in message

    def test_a_lone_surrogate_has_no_canonical_encoding_and_is_refused(self):
        raw = body(NORTH, method="\ud800")
        plaintext = json.dumps({"body": raw, "signature": "AAAA"}).encode()  # "\\ud800"
        path = self.seal("surrogate.json", plaintext)
        assert f"{path}: malformed: it has no canonical encoding" in self.refused(path)

    def test_a_validly_signed_epsilon_that_is_no_number_to_divide_by_is_refused(self):
        c = self.coalition
        huge, tiny = body(NORTH), body(SOUTH)
        for table in huge["tables"]:
            table["epsilon"], table["noise_scale"] = "1E+400", "0.0"
        for table in tiny["tables"]:
            table["epsilon"] = "1E-400"
        first = self.seal("huge.json", signed(huge, c.signing[NORTH]))
        second = self.seal("tiny.json", signed(tiny, c.signing[SOUTH]))
        message = self.refused(first, second)
        reason = "malformed: a table's epsilon or noise scale is not a positive number"
        assert f"{first}: {reason}" in message and f"{second}: {reason}" in message

    def test_any_other_failure_on_one_bundle_is_a_refusal_that_names_it(self):
        c = self.coalition
        paths = [c.bundle("n.json", NORTH), c.bundle("s.json", SOUTH), c.bundle("e.json", EAST)]
        with mock.patch.object(documents, "read_body", side_effect=RuntimeError("boom")):
            message = self.refused(*paths)
        assert "Nothing was combined: 3 bundles refused." in message
        for path in paths:
            assert f"{path}: malformed: its content cannot be read as a bundle" in message

    def test_an_oversized_or_unreadable_file_has_a_reason_of_its_own(self):
        big = self.write("big.json", b" " * (MAX_BUNDLE_BYTES + 1))
        folder = self.coalition.folder / "a-folder.json"
        folder.mkdir()
        message = self.refused(big, str(folder))
        assert f"{big}: larger than {MAX_BUNDLE_BYTES} bytes" in message
        assert f"{folder}: cannot be read" in message

    def test_text_from_a_bundle_reaches_the_terminal_escaped(self):
        c = self.coalition
        stranger = self.seal(
            "stranger.json", signed(body("Fictional\x1b[2J NGO\u202eWest"), random_key_text())
        )
        other = self.seal(
            "other.json",
            signed(body(NORTH, coalition="Another\x07 Coalition\r"), c.signing[NORTH]),
        )
        oddly_named = self.write("odd\x1b]0;name\x07.json", b"not a bundle")
        message = self.refused(stranger, other, oddly_named)
        assert f"{stranger}: from an unknown member (Fictional\\x1b[2J NGO\\u202eWest)" in message
        assert f"{other}: made for another coalition (Another\\x07 Coalition\\r)" in message
        assert "odd\\x1b]0;name\\x07.json: not a sealed coalition bundle" in message
        assert not any(c in message for c in "\x1b\x07\r\u202e")

    def test_shown_escapes_what_a_terminal_would_obey_and_keeps_korean(self):
        assert shown("연합 \x1b[31m\u202e\ud800", None) == "연합 \\x1b[31m\\u202e\\ud800"
        assert shown("x" * 100) == "x" * 80


class EveryMemberTests(TestCase):
    """Sums over different sets of members would give one member's cells away as the
    difference of two sums: every member takes part, unless the combiner says so."""

    @pytest.fixture(autouse=True)
    def _coalition(self, tmp_path):
        self.coalition = Coalition(tmp_path)

    def test_a_missing_member_stops_the_combination_and_is_named(self):
        c = self.coalition
        north, south = c.bundle("n.json", NORTH), c.bundle("s.json", SOUTH)
        with pytest.raises(CommandError) as raised:
            c.combine(north, south)
        assert f"no accepted bundle from {EAST}" in str(raised.value)
        assert "--allow-missing" in str(raised.value)
        assert c.written() == []
        denial = AccessEvent.objects.get(action="coalition.combine")
        assert (denial.outcome, denial.details) == (
            "denied",
            {"rows": 2, "result": "members_missing"},
        )
        # Asked for, it combines, and the log says that not every member took part.
        c.combine(north, south, allow_missing=True)
        event = AccessEvent.objects.filter(action="coalition.combine").latest("id")
        assert (event.outcome, event.details["result"]) == ("allowed", "combined_some_missing")

    def test_the_combination_records_its_year_members_and_each_bundles_digest(self):
        c = self.coalition
        paths = [c.bundle("n.json", NORTH), c.bundle("s.json", SOUTH), c.bundle("e.json", EAST)]
        printed = io.StringIO()
        c.combine(*paths, stdout=printed)
        digests = [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths]
        event = AccessEvent.objects.get(action="coalition.combine")
        assert event.target == "coalition:2019"
        assert event.details == {
            "rows": 3,
            "result": "combined",
            "checkpoint": [f"sha256:{digest}" for digest in digests],
        }
        for path, digest in zip(paths, digests, strict=True):
            assert f"Bundle {path}: SHA-256 {digest}" in printed.getvalue()


class MembersFileKeysTests(TestCase):
    def test_a_low_order_combiner_key_is_no_key(self):
        document = members_document(
            ZERO_KEY, {NORTH: keys.signing_public_key_of(random_key_text())}
        )
        with pytest.raises(MembersFileInvalid, match="no usable public key for the combiner"):
            parse_members(json.dumps(document))
        with pytest.raises(KeyMissing):
            keys.seal_to(ZERO_KEY, b"fictional plaintext")

    def test_one_key_in_two_spellings_is_one_key(self):
        public = keys.signing_public_key_of(random_key_text())
        standard = public.replace("-", "+").replace("_", "/")
        for other in (public.rstrip("="), standard, f" {public} "):
            document = members_document(
                keys.combiner_public_key_of(random_key_text()), {NORTH: public, SOUTH: other}
            )
            with pytest.raises(MembersFileInvalid, match="the same signing key"):
                parse_members(json.dumps(document))
        alone = members_document(
            keys.combiner_public_key_of(random_key_text()), {NORTH: public.rstrip("=")}
        )
        assert parse_members(json.dumps(alone)).member(NORTH).signing_key == public


class AgreedEpsilonTests(TestCase):
    @pytest.fixture(autouse=True)
    def _coalition(self, tmp_path):
        self.coalition = Coalition(tmp_path)

    def signed_with_epsilon(self, name: str, organisation: str, epsilon: str) -> str:
        raw = body(organisation)
        for table in raw["tables"]:
            table["epsilon"] = epsilon
            table["noise_scale"] = repr(table["sensitivity"] / float(epsilon))
        path = self.coalition.folder / name
        path.write_bytes(
            sealed(
                signed(raw, self.coalition.signing[organisation]), self.coalition.combiner_public
            )
        )
        return str(path)

    def refused(self, *bundles: str) -> str:
        with pytest.raises(CommandError) as raised:
            self.coalition.combine(*bundles, allow_missing=True)
        assert self.coalition.written() == []
        return str(raised.value)

    def test_an_epsilon_above_what_any_installation_may_spend_is_refused(self):
        path = self.signed_with_epsilon("greedy.json", NORTH, "1000")
        message = self.refused(path)
        assert f"{path}: epsilon 1000 per table, outside what an installation may spend" in message

    def test_the_members_files_agreed_epsilon_is_the_only_one_accepted(self):
        c = self.coalition
        document = json.loads(c.members.read_text())
        c.members.write_text(json.dumps({**document, "epsilon_per_table": "0.25"}))
        agreed = self.signed_with_epsilon("agreed.json", NORTH, "0.25")
        other = c.bundle("other.json", SOUTH)  # 0.5
        message = self.refused(agreed, other)
        assert f"{other}: epsilon 0.5 per table, not the coalition's agreed 0.25" in message
        assert f"{agreed}:" not in message
        c.combine(agreed, allow_missing=True)
        assert "coalition-2019.json" in c.written()

    def test_a_year_the_members_file_does_not_list_is_refused(self):
        c = self.coalition
        document = json.loads(c.members.read_text())
        c.members.write_text(json.dumps({**document, "years": [2020, 2021]}))
        path = c.bundle("n.json", NORTH)  # 2019
        message = self.refused(path)
        assert f"{path}: for 2019, a year the members file does not list" in message

    def test_a_noise_scale_that_is_not_sensitivity_over_epsilon_is_refused(self):
        c = self.coalition
        raw = body(NORTH)
        raw["tables"][0]["noise_scale"] = "3.0"  # sensitivity 2, epsilon 0.5: 4.0
        path = c.folder / "scale.json"
        path.write_bytes(sealed(signed(raw, c.signing[NORTH]), c.combiner_public))
        message = self.refused(str(path))
        assert "malformed: a table's noise scale is not its sensitivity divided by its epsilon" in (
            message
        )


@pytest.mark.parametrize("value", ["0", "1.5", "abc", "0.00001", True, "NaN", "1E+400", [1]])
def test_an_agreed_epsilon_that_cannot_be_used_is_refused(value):
    document = members_document(
        keys.combiner_public_key_of(random_key_text()),
        {NORTH: keys.signing_public_key_of(random_key_text())},
        epsilon_per_table=value,
    )
    with pytest.raises(MembersFileInvalid, match="'epsilon_per_table' is a number"):
        parse_members(json.dumps(document))


@pytest.mark.parametrize("years", [[], [1989], ["2019"], [2019, 2019], 2019, [True]])
def test_years_that_cannot_be_used_are_refused(years):
    document = members_document(
        keys.combiner_public_key_of(random_key_text()),
        {NORTH: keys.signing_public_key_of(random_key_text())},
        years=years,
    )
    with pytest.raises(MembersFileInvalid, match="'years' is a list of distinct calendar years"):
        parse_members(json.dumps(document))


def test_the_variance_refuses_a_scale_that_is_not_positive():
    for scale in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="not a positive number"):
            combining.discrete_laplace_variance(scale)
