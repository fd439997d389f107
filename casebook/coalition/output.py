"""The combined table as CSV (with an HXL row) and JSON, labelled in English and Korean.

The publication rule is applied to the sums only: a sum under the threshold shows as
"<threshold", the rest are rounded to the base; margins and the total are sums of the
noisy sums, published the same way. The rule is the members file's `publication`, or
else the combiner's installation's (casebook.aggregates.disclosure).

No per-member figure is written unless asked (`per_member`), and then only in a cell
where every member's own noisy cell would pass the rule too: otherwise a member's
small cell could be read off as the sum minus the others.
"""

import csv
import io
import math
from dataclasses import replace
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from casebook import taxonomy
from casebook.aggregates import disclosure
from casebook.coalition.combining import Combined, CombinedTable
from casebook.coalition.documents import cell_codes, epsilon_text

COMBINED_FORMAT = "casebook-coalition-combined/1"
LANGUAGES = ("en", "ko")


def publication_rule(combined: Combined) -> disclosure.Policy:
    chosen = disclosure.policy()
    return replace(
        chosen,
        threshold=combined.coalition.threshold or chosen.threshold,
        rounding_base=combined.coalition.rounding_base or chosen.rounding_base,
    )


def _label(name: str, code: str | int, language: str) -> str:
    with translation.override(language):
        return str(taxonomy.VOCABULARIES[name](str(code)).label)


def _labelled(names: list[str], codes: tuple[str | int, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, code in zip(names, codes, strict=True):
        out[name] = code
        if name in taxonomy.VOCABULARIES:
            for language in LANGUAGES:
                out[f"{name}_name_{language}"] = _label(name, code, language)
    return out


def method_note(combined: Combined, table: CombinedTable, rule: disclosure.Policy) -> str:
    """How the table was made, in the active language."""
    members = "; ".join(
        _("%(name)s (epsilon %(epsilon)s, noise scale %(scale)s)")
        % {"name": name, "epsilon": epsilon_text(own.epsilon), "scale": f"{own.scale:g}"}
        for name, own in table.members
    )
    return _(
        "Sum of the noisy cells of %(count)s members: %(members)s. Each member added OpenDP "
        "discrete Laplace noise in its own installation; the noise of the sum has a "
        "standard deviation of %(sd)s per cell. Values under %(threshold)s shown as "
        "<%(threshold)s, others rounded to base %(base)s, applied to the sums only; "
        "margins and total are sums of noisy cells. %(caveat)s"
    ) % {
        "count": len(table.members),
        "members": members,
        "sd": f"{math.sqrt(table.variance):.1f}",
        "threshold": rule.threshold,
        "base": rule.rounding_base,
        "caveat": caveat(),
    }


def caveat() -> str:
    return _(
        "A survivor documented by two members is counted twice: members do not share "
        "records, so nobody can remove the overlap."
    )


def _in_languages(function: Any, *args: Any) -> dict[str, str]:
    notes = {}
    for language in LANGUAGES:
        with translation.override(language):
            notes[language] = function(*args)
    return notes


def _per_member(table: CombinedTable, index: int, rule: disclosure.Policy) -> dict[str, Any]:
    """Each member's own published cell, when every one of them passes the rule."""
    own = {name: noise.cells[index] for name, noise in table.members}
    if any(value < rule.threshold for value in own.values()):
        return {}
    return {name: disclosure.publish(value, rule) for name, value in own.items()}


def table_json(
    combined: Combined, table: CombinedTable, rule: disclosure.Policy, per_member: bool
) -> dict[str, Any]:
    names = table.dimensions.split(",")
    combos = cell_codes(table.members[0][1])
    cells = []
    for index, (codes, value) in enumerate(zip(combos, table.sums, strict=True)):
        cell = {**_labelled(names, codes), "count": disclosure.publish(value, rule)}
        if per_member:
            cell["members"] = _per_member(table, index, rule)
        cells.append(cell)
    margins: dict[str, list[dict[str, Any]]] = {}
    for position, name in enumerate(names):
        sums: dict[str | int, int] = {}
        for codes, value in zip(combos, table.sums, strict=True):
            sums[codes[position]] = sums.get(codes[position], 0) + value
        margins[name] = [
            {**_labelled([name], (code,)), "count": disclosure.publish(total, rule)}
            for code, total in sums.items()
        ]
    return {
        "dimensions": names,
        "cells": cells,
        "margins": margins if len(names) > 1 else {},
        "total": disclosure.publish(sum(table.sums), rule),
        "noise": {
            "members": [
                {
                    "organisation": name,
                    "epsilon": float(own.epsilon),
                    "sensitivity": own.sensitivity,
                    "noise_scale": own.scale,
                }
                for name, own in table.members
            ],
            "standard_deviation": round(math.sqrt(table.variance), 3),
        },
        "method": _in_languages(method_note, combined, table, rule),
    }


def as_json(combined: Combined, per_member: bool = False) -> dict[str, Any]:
    rule = publication_rule(combined)
    return {
        "format": COMBINED_FORMAT,
        "coalition": combined.coalition.name,
        "year": combined.year,
        "members": [
            {"organisation": c.body.organisation, "snapshot": c.body.snapshot}
            for c in combined.contributions
        ],
        "threshold": rule.threshold,
        "rounding_base": rule.rounding_base,
        "tables": [table_json(combined, table, rule, per_member) for table in combined.tables],
        "caveat": _in_languages(caveat),
    }


def as_csv(combined: Combined, table: CombinedTable, per_member: bool = False) -> str:
    """One table: codes, English and Korean labels, the published sum, (each member's
    own published cell where allowed), and the method note on the first row."""
    rule = publication_rule(combined)
    known = disclosure.dimensions()
    names = table.dimensions.split(",")
    header, tags = [], []
    for name in names:
        header.append(name)
        tags.append(known[name].hxl)
        if name in taxonomy.VOCABULARIES:
            for language in LANGUAGES:
                header.append(f"{name}_name_{language}")
                tags.append(known[name].hxl.replace("+code", "+name") + f"+i_{language}")
    members = [name for name, _own in table.members] if per_member else []
    header += ["count", *(f"count: {name}" for name in members)]
    tags += ["#affected+num", *("#affected+num+member" for _name in members)]
    header += [f"method_note_{language}" for language in LANGUAGES]
    tags += [f"#meta+method+i_{language}" for language in LANGUAGES]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerow(tags)
    notes = list(_in_languages(method_note, combined, table, rule).values())
    combos = cell_codes(table.members[0][1])
    for index, (codes, value) in enumerate(zip(combos, table.sums, strict=True)):
        own = _per_member(table, index, rule) if per_member else {}
        writer.writerow(
            [
                *_labelled(names, codes).values(),
                disclosure.publish(value, rule),
                *(own.get(name, "") for name in members),
                *notes,
            ]
        )
        notes = ["" for _note in notes]
    return buffer.getvalue()


def file_name(combined: Combined, table: CombinedTable | None = None) -> str:
    if table is None:
        return f"coalition-{combined.year}.json"
    return f"coalition-{combined.year}-{table.dimensions.replace(',', '-')}.csv"
