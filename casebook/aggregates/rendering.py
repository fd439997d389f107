"""Rendering released tables as CSV (with an HXL hashtag row) and JSON.

Takes only a Release (published, noisy values). Never imports crypto or the cases
room, never reads testimony (tests/test_boundaries.py keeps it so). A release holds its
table in the whitelist's order; it is presented in the order the request named, with
a label beside each code in the reader's language. Codes, HXL code tags and values
(numbers and "<10") are the same in every language.
"""

import csv
import io
import itertools
from typing import Any

from django.utils.translation import gettext as _

from casebook import taxonomy
from casebook.aggregates import disclosure
from casebook.models import Release


def name_column(dimension: str) -> str | None:
    """The label column beside a dimension's codes, or None (the year is its own label)."""
    return f"{dimension}_name" if dimension in taxonomy.VOCABULARIES else None


def name_hxl(code_tag: str) -> str:
    """The HXL tag of a label column: the code column's, with +name for +code."""
    return code_tag.replace("+code", "+name")


def labelled(cell: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """A cell (or margin entry) with each code's label beside it, in the active language."""
    out: dict[str, Any] = {}
    for name in names:
        if name not in cell:
            continue
        out[name] = cell[name]
        column = name_column(name)
        if column:
            out[column] = str(taxonomy.VOCABULARIES[name](cell[name]).label)
    out["count"] = cell["count"]
    return out


def method_note(release: Release) -> str:
    """How the numbers were made, in the reader's language, from the release's parameters."""
    sensitivity = round(release.scale * float(release.epsilon))
    return _(
        "OpenDP discrete Laplace noise (scale %(scale)s, L1 sensitivity %(sensitivity)s); "
        "values under %(threshold)s shown as <%(threshold)s; others rounded to base "
        "%(base)s; margins and total are sums of noisy cells."
    ) % {
        "scale": f"{release.scale:g}",
        "sensitivity": sensitivity,
        "threshold": release.threshold,
        "base": release.rounding_base,
    }


def _cells_in_order(release: Release, names: list[str]) -> list[dict[str, Any]]:
    """The release's cells as the cross product of `names`' code lists, in that order.

    The code lists are the release's own (the year list grows after it was made)."""
    stored = release.published["cells"]
    codes = {name: list(dict.fromkeys(cell[name] for cell in stored)) for name in names}
    by_codes = {tuple(cell[name] for name in names): cell["count"] for cell in stored}
    return [
        {**dict(zip(names, combination, strict=True)), "count": by_codes[combination]}
        for combination in itertools.product(*(codes[name] for name in names))
    ]


def presented_order(release: Release, asked: list[str]) -> list[str]:
    """The dimensions in the order asked (a release's own order when none was asked)."""
    stored = release.dimensions.split(",")
    return asked if sorted(asked) == sorted(stored) else stored


def as_json(release: Release, asked: list[str], notice: str = "") -> dict[str, Any]:
    names = presented_order(release, asked)
    margins = release.published.get("margins", {})
    return {
        "dimensions": names,
        "cells": [labelled(cell, names) for cell in _cells_in_order(release, names)],
        "margins": {
            name: [labelled(entry, [name]) for entry in margins[name]]
            for name in names
            if name in margins
        },
        "total": release.published["total"],
        "method": method_note(release),
        "epsilon": float(release.epsilon),
        "threshold": release.threshold,
        "rounding_base": release.rounding_base,
        "snapshot": snapshot_date(release),
        "notice": notice,
    }


def as_csv(release: Release, asked: list[str]) -> str:
    names = presented_order(release, asked)
    known = disclosure.dimensions()
    header, tags = [], []
    for name in names:
        header.append(name)
        tags.append(known[name].hxl)
        if column := name_column(name):
            header.append(column)
            tags.append(name_hxl(known[name].hxl))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*header, "count", "method_note"])
    writer.writerow([*tags, "#affected+num", "#meta+method"])
    # The method note travels with the table: in its own column, on the first row only,
    # so that every row still parses as data.
    note = method_note(release)
    for cell in _cells_in_order(release, names):
        writer.writerow([*labelled(cell, names).values(), note])
        note = ""
    return buffer.getvalue()


def snapshot_date(release: Release) -> str:
    """The date of the snapshot the release counts (UTC), never when it was made."""
    taken_for = release.snapshot_taken_for
    return taken_for.date().isoformat() if taken_for is not None else ""
