"""Rendering released tables as CSV (with an HXL hashtag row) and JSON.

Takes only a Release (published, noisy values). Never imports crypto or the cases
room, never reads testimony (tests/test_boundaries.py keeps it so).
"""

import csv
import io
from typing import Any

from casebook.aggregates import disclosure
from casebook.models import Release


def as_json(release: Release) -> dict[str, Any]:
    return {
        "dimensions": release.dimensions.split(","),
        "cells": release.published["cells"],
        "margins": release.published.get("margins", {}),
        "total": release.published["total"],
        "method": release.method,
        "epsilon": float(release.epsilon),
        "threshold": release.threshold,
        "rounding_base": release.rounding_base,
        "data_version": release.data_version,
        "released_at": release.created_at.isoformat(),
    }


def as_csv(release: Release) -> str:
    names = release.dimensions.split(",")
    known = disclosure.dimensions()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*names, "count"])
    writer.writerow([*(known[name].hxl for name in names), "#affected+num"])
    for cell in release.published["cells"]:
        writer.writerow([*(cell[name] for name in names), cell["count"]])
    return buffer.getvalue()
