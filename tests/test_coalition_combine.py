"""Combining coalition bundles: every signature verified against the members file, every
bad bundle refused by name with its reason (nothing written), the combined cells the
sums of the members' noisy cells, and the publication rule applied to the sums only.

The bundles here are made with the real signing, encoding and sealing functions, with
cells chosen by the test, so that every sum is known. tests/test_coalition_installations.py
combines bundles made by separate installations.
"""

import csv
import io
import json
import os
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase

from casebook.coalition import documents
from casebook.crypto import coalition as keys
from casebook.crypto.envelope import random_key_text
from casebook.models import AccessEvent

YEAR = 2019
COALITION = "Fictional Coalition for Tests"
NORTH, SOUTH, EAST = "Fictional NGO North", "Fictional NGO South", "Fictional NGO East"


def members_document(combiner_public: str, members: dict[str, str], **extra) -> dict:
    """A members file's content: the combiner's public key and each member's signing key."""
    return {
        "format": "casebook-coalition-members/1",
        "coalition": COALITION,
        "combiner": {"name": "Fictional Combiner Office", "public_key": combiner_public},
        "members": [{"name": name, "signing_key": key} for name, key in members.items()],
        **extra,
    }


def table_noise(names: str, cells: list[int], year: int = YEAR) -> documents.TableNoise:
    sensitivity = 6 if "sub_pattern" in names else 2
    return documents.TableNoise(
        dimensions=names,
        codes=documents.codes_for(names, year),
        epsilon=Decimal("0.5"),
        sensitivity=sensitivity,
        scale=sensitivity / 0.5,
        cells=tuple(cells),
    )


def table_size(names: str) -> int:
    size = 1
    for codes in documents.codes_for(names, YEAR).values():
        size *= len(codes)
    return size


def body(organisation: str, fill: int = 0, year: int = YEAR, **changes) -> dict:
    """A bundle's body whose every cell is `fill` (the first table: fill, fill+1, ...)."""
    tables = []
    for index, names in enumerate(documents.STANDARD_TABLES):
        size = table_size(names)
        cells = [fill + n for n in range(size)] if index == 0 else [fill] * size
        tables.append(table_noise(names, cells, year))
    made = documents.body_document(
        documents.BundleBody(
            coalition=COALITION,
            organisation=organisation,
            year=year,
            snapshot="2026-11-30",
            taxonomy_version=documents.taxonomy_version(),
            method="opendp-discrete-laplace",
            tables=tuple(tables),
        )
    )
    made.update(changes)
    return made


def sealed(document: dict | bytes, combiner_public: str) -> bytes:
    plaintext = document if isinstance(document, bytes) else documents.canonical(document)
    return json.dumps(keys.seal_to(combiner_public, plaintext)).encode()


def signed(raw_body: dict, signing_key: str) -> dict:
    private = keys.load_release_signing_key({"CASEBOOK_RELEASE_SIGNING_KEY": signing_key})
    return {"body": raw_body, "signature": keys.sign(private, documents.signed_message(raw_body))}


class Coalition:
    """Three fictional members' keys, a combiner's key, and their members file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.combiner = random_key_text()
        self.combiner_public = keys.combiner_public_key_of(self.combiner)
        self.signing = {name: random_key_text() for name in (NORTH, SOUTH, EAST)}
        publics = {name: keys.signing_public_key_of(key) for name, key in self.signing.items()}
        self.members = folder / "members.json"
        self.members.write_text(json.dumps(members_document(self.combiner_public, publics)))
        self.key = folder / "combiner.key"
        self.key.write_text(self.combiner + "\n")
        self.out = folder / "out"

    def bundle(self, name: str, organisation: str, fill: int = 0, **changes) -> str:
        """A signed bundle of `organisation`, sealed to the combiner, written to `name`."""
        raw = body(organisation, fill, **changes)
        path = self.folder / name
        path.write_bytes(sealed(signed(raw, self.signing[organisation]), self.combiner_public))
        return str(path)

    def combine(self, *bundles: str, **options) -> None:
        call_command(
            "coalition_combine",
            *bundles,
            members=str(self.members),
            key=str(self.key),
            out=str(self.out),
            **options,
        )

    def written(self) -> list[str]:
        return sorted(p.name for p in self.out.iterdir()) if self.out.exists() else []


class CombineTests(TestCase):
    @pytest.fixture(autouse=True)
    def _coalition(self, tmp_path):
        self.coalition = Coalition(tmp_path)

    def test_combined_cells_are_the_sums_and_the_rule_applies_to_the_sums_only(self):
        c = self.coalition
        # Every member's cell is under the threshold (10); the sums are not, or are.
        c.combine(
            c.bundle("n.json", NORTH, fill=3), c.bundle("s.json", SOUTH, fill=4), allow_missing=True
        )
        combined = json.loads((c.out / "coalition-2019.json").read_text())
        first, second = combined["tables"][0], combined["tables"][1]
        # category,year: cells 3+4, 4+5, 5+6, 6+7 = 7, 9, 11, 13.
        assert [cell["count"] for cell in first["cells"]] == ["<10", "<10", 10, 15]
        assert first["total"] == 40  # 7 + 9 + 11 + 13, rounded to base 5
        # category,province_china: every cell 3 + 4 = 7, under the threshold.
        assert {cell["count"] for cell in second["cells"]} == {"<10"}
        # Its margins are sums of the summed cells: 9 provinces x 7 per category.
        assert [m["count"] for m in second["margins"]["category"]] == [65, 65, 65, 65]
        assert combined["members"] == [
            {"organisation": NORTH, "snapshot": "2026-11-30"},
            {"organisation": SOUTH, "snapshot": "2026-11-30"},
        ]
        assert "members" not in first["cells"][3]  # no per-member breakdown by default

    def test_the_csv_carries_the_hxl_row_both_languages_labels_and_the_method_note(self):
        c = self.coalition
        c.combine(
            c.bundle("n.json", NORTH, fill=20),
            c.bundle("s.json", SOUTH, fill=30),
            allow_missing=True,
        )
        rows = list(
            csv.reader(io.StringIO((c.out / "coalition-2019-category-year.csv").read_text()))
        )
        assert rows[0] == [
            "category",
            "category_name_en",
            "category_name_ko",
            "year",
            "count",
            "method_note_en",
            "method_note_ko",
        ]
        assert rows[1] == [
            "#indicator+category+code",
            "#indicator+category+name+i_en",
            "#indicator+category+name+i_ko",
            "#date+year",
            "#affected+num",
            "#meta+method+i_en",
            "#meta+method+i_ko",
        ]
        assert rows[2][:5] == ["trafficking", "Trafficking", "인신매매", "2019", "50"]
        note_en, note_ko = rows[2][5], rows[2][6]
        assert "Fictional NGO North (epsilon 0.5, noise scale 4)" in note_en
        # Two members at scale 4: variance 2 x 2p/(1-p)^2, p = e^(-1/4); sd 7.98.
        assert "standard deviation of 8.0 per cell" in note_en
        assert "counted twice" in note_en
        assert "두 번" in note_ko and "Fictional NGO South" in note_ko
        assert rows[3][5:] == ["", ""]  # the note on the first row only
        assert sorted(c.written()) == [
            "coalition-2019-category-gender-age_band.csv",
            "coalition-2019-category-province_china.csv",
            "coalition-2019-category-year.csv",
            "coalition-2019-sub_pattern-year.csv",
            "coalition-2019.json",
        ]
        event = AccessEvent.objects.get(action="coalition.combine")
        assert (event.outcome, event.details["rows"]) == ("allowed", 2)
        assert event.details["result"] == "combined_some_missing"  # East had no bundle

    def test_the_json_method_note_names_members_epsilons_noise_and_the_caveat(self):
        c = self.coalition
        c.combine(
            c.bundle("n.json", NORTH, 20),
            c.bundle("s.json", SOUTH, 20),
            c.bundle("e.json", EAST, 20),
        )
        combined = json.loads((c.out / "coalition-2019.json").read_text())
        sub = combined["tables"][2]
        assert sub["dimensions"] == ["sub_pattern", "year"]
        assert sub["noise"]["members"][0] == {
            "organisation": NORTH,
            "epsilon": 0.5,
            "sensitivity": 6,
            "noise_scale": 12.0,
        }
        assert sub["noise"]["standard_deviation"] == pytest.approx(29.39, abs=0.01)
        assert "3 members" in sub["method"]["en"] and "3" in sub["method"]["ko"]
        assert "counted twice" in combined["caveat"]["en"]

    def test_per_member_figures_only_where_every_members_cell_passes_the_rule(self):
        c = self.coalition
        # North's first table: 8, 9, 10, 11; South's: 30, 31, 32, 33.
        c.combine(
            c.bundle("n.json", NORTH, 8),
            c.bundle("s.json", SOUTH, 30),
            per_member=True,
            allow_missing=True,
        )
        cells = json.loads((c.out / "coalition-2019.json").read_text())["tables"][0]["cells"]
        assert [cell["members"] for cell in cells] == [
            {},
            {},
            {NORTH: 10, SOUTH: 30},
            {NORTH: 10, SOUTH: 35},
        ]
        rows = list(
            csv.reader(io.StringIO((c.out / "coalition-2019-category-year.csv").read_text()))
        )
        assert rows[0][5:7] == [f"count: {NORTH}", f"count: {SOUTH}"]
        assert [row[5:7] for row in rows[2:]] == [["", ""], ["", ""], ["10", "30"], ["10", "35"]]

    def refused(self, *bundles: str, **options) -> str:
        with pytest.raises(CommandError) as raised:
            self.coalition.combine(*bundles, **options)
        assert self.coalition.written() == []  # nothing written
        event = AccessEvent.objects.filter(action="coalition.combine").latest("id")
        assert event.outcome == "denied"
        return str(raised.value)

    def test_each_kind_of_bad_bundle_is_refused_by_name_with_its_reason(self):
        c = self.coalition
        good = c.bundle("good.json", NORTH)
        outsider = random_key_text()
        # Signed by a key the members file does not hold, under a name it does not list.
        stranger = self.coalition.folder / "stranger.json"
        stranger.write_bytes(
            sealed(signed(body("Fictional NGO West"), outsider), c.combiner_public)
        )
        # A member's name, someone else's key.
        impostor = self.coalition.folder / "impostor.json"
        impostor.write_bytes(sealed(signed(body(SOUTH), outsider), c.combiner_public))
        # Unsigned.
        unsigned = self.coalition.folder / "unsigned.json"
        unsigned.write_bytes(sealed({"body": body(EAST), "signature": ""}, c.combiner_public))
        # Changed after signing (a cell), sealed again by whoever changed it.
        changed = signed(body(EAST), c.signing[EAST])
        changed["body"]["tables"][0]["cells"][0] += 5
        tampered = self.coalition.folder / "tampered.json"
        tampered.write_bytes(sealed(changed, c.combiner_public))
        # Changed after sealing (one character of the ciphertext).
        envelope = json.loads(Path(c.bundle("cut.json", SOUTH)).read_text())
        text = envelope["ciphertext"]
        envelope["ciphertext"] = text[:10] + ("A" if text[10] != "A" else "B") + text[11:]
        cut = self.coalition.folder / "cut.json"
        cut.write_text(json.dumps(envelope))
        message = self.refused(
            good, str(stranger), str(impostor), str(unsigned), str(tampered), str(cut)
        )
        assert "Nothing was combined: 5 bundles refused." in message
        assert f"{stranger}: from an unknown member (Fictional NGO West)" in message
        assert f"{impostor}: its signature does not verify against the key of {SOUTH}" in message
        assert f"{unsigned}: unsigned" in message
        assert f"{tampered}: its signature does not verify against the key of {EAST}" in message
        assert f"{cut}: cannot be opened with the combiner's key" in message
        assert f"{good}:" not in message

    def test_duplicates_other_periods_taxonomies_and_dimensions_are_refused(self):
        c = self.coalition
        first = c.bundle("north.json", NORTH)
        again = c.bundle("north-again.json", NORTH, fill=1)
        other_year = c.bundle("south-2018.json", SOUTH, year=2018)
        other_taxonomy = c.bundle("east.json", EAST, taxonomy_version="sha256:0000")
        message = self.refused(first, first, again, other_year, other_taxonomy)
        assert f"{first}: a second bundle from {NORTH} (the first is {first})" in message
        assert f"{again}: a second bundle from {NORTH}" in message
        assert f"{other_year}: for 2018, another period than 2019" in message
        assert f"{other_taxonomy}: taxonomy version sha256:0000, not the combiner's" in message

    def test_other_dimensions_or_code_lists_or_coalitions_are_refused(self):
        c = self.coalition
        fewer = body(NORTH)
        fewer["tables"] = fewer["tables"][:3]
        other_codes = body(SOUTH)
        other_codes["tables"][1]["codes"]["province_china"][0] = "tibet"
        other_coalition = body(EAST, coalition="Another Fictional Coalition")
        paths = []
        for name, raw, organisation in (
            ("fewer.json", fewer, NORTH),
            ("codes.json", other_codes, SOUTH),
            ("coalition.json", other_coalition, EAST),
        ):
            path = c.folder / name
            path.write_bytes(sealed(signed(raw, c.signing[organisation]), c.combiner_public))
            paths.append(str(path))
        message = self.refused(*paths)
        assert f"{paths[0]}: other dimensions than the coalition's standard tables" in message
        assert (
            f"{paths[1]}: other code lists than the standard table category,province_china"
            in message
        )
        assert f"{paths[2]}: made for another coalition (Another Fictional Coalition)" in message

    def test_a_bundle_for_another_combiner_or_not_a_bundle_at_all_is_refused(self):
        c = self.coalition
        elsewhere = keys.combiner_public_key_of(random_key_text())
        other = c.folder / "other-combiner.json"
        other.write_bytes(sealed(signed(body(NORTH), c.signing[NORTH]), elsewhere))
        junk = c.folder / "junk.json"
        junk.write_text("not a bundle")
        missing = str(c.folder / "no-such-file.json")
        message = self.refused(str(other), str(junk), missing)
        assert f"{other}: cannot be opened with the combiner's key" in message
        assert f"{junk}: not a sealed coalition bundle" in message
        assert f"{missing}: cannot be read" in message

    def test_a_malformed_body_is_refused_saying_where(self):
        c = self.coalition
        raw = body(NORTH)
        raw["tables"][0]["cells"] = raw["tables"][0]["cells"][:-1]
        short = c.folder / "short.json"
        short.write_bytes(sealed(signed(raw, c.signing[NORTH]), c.combiner_public))
        message = self.refused(str(short))
        assert "malformed: a table's cells are not one whole number per combination" in message

    def test_an_unusable_members_file_or_key_stops_before_any_bundle_is_opened(self):
        c = self.coalition
        bundle = c.bundle("n.json", NORTH)
        members = c.members.read_text()
        c.members.write_text(json.dumps({"format": "casebook-coalition-members/1"}))
        with pytest.raises(CommandError, match="no usable public key for the combiner"):
            c.combine(bundle)
        c.members.write_text(members)
        with pytest.raises(CommandError, match="cannot be read"):
            call_command(
                "coalition_combine", bundle, members=str(c.members), key=str(c.folder / "none")
            )
        c.key.write_text("not a key")
        with pytest.raises(CommandError, match="does not hold a key"):
            c.combine(bundle)
        assert c.written() == []

    def test_the_year_asked_for_sets_the_period(self):
        c = self.coalition
        message = self.refused(c.bundle("n.json", NORTH), year=2020)
        assert "for 2019, another period than 2020" in message

    def test_a_folder_that_cannot_be_written_is_a_clear_error_and_no_combined_event(self):
        c = self.coalition
        bundle = c.bundle("n.json", NORTH)
        c.out.write_text("a file where the folder should be")
        with pytest.raises(CommandError, match="Cannot write to"):
            c.combine(bundle, allow_missing=True)
        assert not AccessEvent.objects.filter(action="coalition.combine").exists()

    def test_the_combiner_reads_korean_when_the_shell_is_korean(self):
        c = self.coalition
        unsigned = c.folder / "unsigned.json"
        unsigned.write_bytes(sealed({"body": body(EAST), "signature": ""}, c.combiner_public))
        korean = {"LANG": "ko_KR.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
        with mock.patch.dict(os.environ, korean):
            message = self.refused(str(unsigned))
        assert (
            "통계 묶음 1개를 거부했습니다" in message and f"{unsigned}: 서명이 없습니다" in message
        )
