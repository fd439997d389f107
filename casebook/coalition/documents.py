"""What a coalition bundle says, and the exact bytes its signature covers.

A bundle's body (JSON):

    {"format": "casebook-coalition-bundle/1", "coalition": ..., "organisation": ...,
     "year": 2019, "snapshot": "2026-11-30", "taxonomy_version": "sha256:...",
     "method": "opendp-discrete-laplace",
     "tables": [{"dimensions": ["category", "year"],
                 "codes": {"category": [...], "year": [2019]},
                 "epsilon": "0.5", "sensitivity": 2, "noise_scale": "4.0",
                 "cells": [<noisy integers, in the order of the codes' cross product>]},
                ...]}

The signature is Ed25519 over SIGNING_CONTEXT followed by the body's canonical
encoding: JSON with keys sorted, no spaces, UTF-8 unescaped, and no floats at all
(epsilon and the scale travel as decimal text), so that every installation and the
combiner produce the same bytes. A signed bundle is {"body": ..., "signature": ...};
it travels only sealed to the combiner (casebook.crypto.coalition).
"""

import datetime as dt
import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeGuard

from django.utils.translation import gettext as _

from casebook import taxonomy
from casebook.aggregates import disclosure

BUNDLE_FORMAT = "casebook-coalition-bundle/1"
SIGNING_CONTEXT = b"casebook coalition bundle v1\n"
# The coalition's standard tables, each of one calendar year's cases (cases carry only
# the year): a "year" dimension has that one year as its code list.
STANDARD_TABLES = (
    "category,year",
    "category,province_china",
    "sub_pattern,year",
    "category,gender,age_band",
)


# The most epsilon per table an installation may spend on a coalition table, and the
# least (the ledger's four decimal places): the combiner refuses anything outside.
MAX_EPSILON_PER_TABLE = Decimal("1")
MIN_EPSILON_PER_TABLE = disclosure.LEDGER_PLACES
# No standard table's sensitivity comes near this (cases per person x codes per case).
MAX_SENSITIVITY = 1000


class BundleMalformed(Exception):
    """A bundle's body does not have the shape of a coalition bundle; says where."""


def canonical(value: Any) -> bytes:
    """The one encoding of a JSON value that is signed (floats are refused)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def signed_message(body: dict[str, Any]) -> bytes:
    _refuse_floats(body)
    return SIGNING_CONTEXT + canonical(body)


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise BundleMalformed(_("a number that is not a whole number"))
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_floats(item)


def taxonomy_version() -> str:
    """A fingerprint of every export dimension's code list (the year list aside, which
    grows with the calendar): installations whose codes differ cannot be pooled."""
    lists: dict[str, Any] = {
        name: list(d.codes) for name, d in disclosure.dimensions().items() if name != "year"
    }
    lists["first_year"] = taxonomy.FIRST_YEAR
    return "sha256:" + hashlib.sha256(canonical(lists)).hexdigest()[:32]


def table_dimensions(names: str) -> list[disclosure.Dimension]:
    known = disclosure.dimensions()
    return [known[name] for name in names.split(",")]


def codes_for(names: str, year: int) -> dict[str, list[str | int]]:
    """Each dimension's code list in a bundle for `year`."""
    return {d.name: [year] if d.name == "year" else list(d.codes) for d in table_dimensions(names)}


def epsilon_text(epsilon: Decimal) -> str:
    return format(epsilon.normalize(), "f")


@dataclass(frozen=True)
class TableNoise:
    """One member's table: noisy cells before threshold and rounding."""

    dimensions: str  # "category,year"
    codes: dict[str, list[str | int]]
    epsilon: Decimal
    sensitivity: int
    scale: float
    cells: tuple[int, ...]


@dataclass(frozen=True)
class BundleBody:
    coalition: str
    organisation: str
    year: int
    snapshot: str
    taxonomy_version: str
    method: str
    tables: tuple[TableNoise, ...]


def body_document(body: BundleBody) -> dict[str, Any]:
    """The JSON body that is signed."""
    return {
        "format": BUNDLE_FORMAT,
        "coalition": body.coalition,
        "organisation": body.organisation,
        "year": body.year,
        "snapshot": body.snapshot,
        "taxonomy_version": body.taxonomy_version,
        "method": body.method,
        "tables": [
            {
                "dimensions": table.dimensions.split(","),
                "codes": table.codes,
                "epsilon": epsilon_text(table.epsilon),
                "sensitivity": table.sensitivity,
                "noise_scale": repr(table.scale),
                "cells": list(table.cells),
            }
            for table in body.tables
        ],
    }


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise BundleMalformed(_("'%(key)s' is missing or not text") % {"key": key})
    return value


def _whole(value: Any) -> TypeGuard[int]:
    return type(value) is int


def _table(raw: Any) -> TableNoise:
    if not isinstance(raw, dict):
        raise BundleMalformed(_("a table is not an object"))
    names, codes, cells = raw.get("dimensions"), raw.get("codes"), raw.get("cells")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise BundleMalformed(_("a table's dimensions are not a list of names"))
    if not isinstance(codes, dict) or sorted(codes) != sorted(names):
        raise BundleMalformed(_("a table's code lists do not match its dimensions"))
    if not all(isinstance(codes[n], list) and codes[n] for n in names):
        raise BundleMalformed(_("a table's code lists do not match its dimensions"))
    size = math.prod(len(codes[n]) for n in names)
    if not isinstance(cells, list) or len(cells) != size or not all(map(_whole, cells)):
        raise BundleMalformed(_("a table's cells are not one whole number per combination"))
    numbers = (raw.get("epsilon"), raw.get("noise_scale"))
    if not all(isinstance(text, str) and len(text) <= 40 for text in numbers):
        raise BundleMalformed(_("a table's epsilon or noise scale is not a number"))
    try:
        epsilon = Decimal(str(numbers[0]))
        scale = float(str(numbers[1]))
    except (InvalidOperation, ValueError):
        raise BundleMalformed(_("a table's epsilon or noise scale is not a number")) from None
    # Both finite and above zero as floats too: 1E-400 is a positive Decimal and 0.0 as
    # a float, and every division below is by one of them.
    if not (epsilon.is_finite() and 0 < float(epsilon) < math.inf and 0 < scale < math.inf):
        raise BundleMalformed(_("a table's epsilon or noise scale is not a positive number"))
    sensitivity = raw.get("sensitivity")
    if (
        not _whole(sensitivity)
        or not 1 <= sensitivity <= MAX_SENSITIVITY
        or not math.isclose(scale, sensitivity / float(epsilon), rel_tol=1e-9)
    ):
        raise BundleMalformed(
            _("a table's noise scale is not its sensitivity divided by its epsilon")
        )
    return TableNoise(",".join(names), codes, epsilon, sensitivity, scale, tuple(cells))


def read_body(raw: Any) -> BundleBody:
    """A bundle's body, checked for shape only (its signature and its fit with the other
    bundles are the combiner's checks), or BundleMalformed."""
    if not isinstance(raw, dict) or raw.get("format") != BUNDLE_FORMAT:
        raise BundleMalformed(_("not the format %(format)s") % {"format": BUNDLE_FORMAT})
    year = raw.get("year")
    if not _whole(year):
        raise BundleMalformed(_("'year' is not a year"))
    snapshot = _text(raw, "snapshot")
    try:
        dt.date.fromisoformat(snapshot)
    except ValueError:
        raise BundleMalformed(_("'snapshot' is not a date")) from None
    tables = raw.get("tables")
    if not isinstance(tables, list) or not tables:
        raise BundleMalformed(_("the bundle holds no tables"))
    return BundleBody(
        coalition=_text(raw, "coalition"),
        organisation=_text(raw, "organisation"),
        year=year,
        snapshot=snapshot,
        taxonomy_version=_text(raw, "taxonomy_version"),
        method=_text(raw, "method"),
        tables=tuple(_table(table) for table in tables),
    )


def cell_codes(table: TableNoise) -> list[tuple[str | int, ...]]:
    """The table's cells as code combinations, in the order of its `cells`."""
    names = table.dimensions.split(",")
    return list(itertools.product(*(table.codes[name] for name in names)))
