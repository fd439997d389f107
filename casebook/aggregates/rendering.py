"""Rendering released tables as CSV (with an HXL hashtag row) and JSON.

Takes only a Release (published, noisy values). Never imports crypto or the cases
room, never reads testimony (tests/test_boundaries.py keeps it so). A release holds its
table in the whitelist's order; it is presented in the order the request named.
"""

import csv
import io
import itertools
from typing import Any

from casebook.aggregates import disclosure
from casebook.models import Release


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
        "cells": _cells_in_order(release, names),
        "margins": {name: margins[name] for name in names if name in margins},
        "total": release.published["total"],
        "method": release.method,
        "epsilon": float(release.epsilon),
        "threshold": release.threshold,
        "rounding_base": release.rounding_base,
        "snapshot": snapshot_date(release),
        "notice": notice,
    }


def as_csv(release: Release, asked: list[str]) -> str:
    names = presented_order(release, asked)
    known = disclosure.dimensions()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*names, "count"])
    writer.writerow([*(known[name].hxl for name in names), "#affected+num"])
    for cell in _cells_in_order(release, names):
        writer.writerow([*(cell[name] for name in names), cell["count"]])
    return buffer.getvalue()


def snapshot_date(release: Release) -> str:
    """The date of the snapshot the release counts (UTC), never when it was made."""
    taken_for = release.snapshot_taken_for
    return taken_for.date().isoformat() if taken_for is not None else ""
