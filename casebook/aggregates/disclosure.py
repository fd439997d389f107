"""Aggregate disclosure control: whitelisted count tables with exact discrete Laplace
noise (OpenDP), then thresholding and rounding. See "Aggregate disclosure control" in
DOMAIN.md.

- Only the dimensions in DIMENSIONS, at most 3 per table, with fixed code lists; the
  table is their full cross product, zeros included. No filters exist. A table is the
  same table whatever order its dimensions are asked in (`canonical`).
- Counting reads a snapshot (casebook.aggregates.snapshots), never the live cases: it
  holds only cases whose consent scope is "aggregate", at most `cases_per_person` per
  survivor, and at most `codes_per_case` codes per multi-valued dimension (sub-patterns,
  perpetrator types), so one case touches at most codes_per_case ** (number of
  multi-valued dimensions) cells.
- Sensitivity (L1) = cases_per_person x that number of cells, with the larger of the
  bounds in force and those the snapshot was taken under; the noise scale is
  sensitivity / epsilon, checked against OpenDP's own privacy map.
- Margins and the total are sums of the noisy cells (post-processing, no extra cost).
- Published values: below the threshold, "<threshold"; otherwise rounded to the base.
  A coalition bundle's table (`noisy_cells_of_year`, one year's cases) stops before
  that rule: it is sealed to the coalition's combiner, who applies it to the sums.
- The true counts live only in this module's local variables: never stored or logged.
  The noise comes from OpenDP's sampler, which draws on the operating system's source.
"""

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import opendp.prelude as dp
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from casebook import taxonomy
from casebook.models import Snapshot, SnapshotCase, SnapshotPerpetrator, SnapshotSubPattern

dp.enable_features("contrib")  # make_laplace is in OpenDP's contrib set (with its proof)

MAX_DIMENSIONS = 3
LEDGER_PLACES = Decimal("0.0001")
# What a release records as its method: a name, never a sentence; the note a reader
# sees is written in their language from the release's parameters (rendering).
METHOD = "opendp-discrete-laplace"
MIN_THRESHOLD = 5


class DisclosureRefused(Exception):
    """The request cannot be released as asked; nothing was spent."""


@dataclass(frozen=True)
class Dimension:
    name: str
    codes: tuple[str | int, ...]  # the fixed code list, in publication order
    column: str  # SQL expression over the snapshot's case table `c` or the code table alias
    multi_table: str | None = None  # the snapshot's table of codes, for a multi-valued one
    hxl: str = "#meta"


def _year_codes() -> tuple[int, ...]:
    return tuple(range(taxonomy.FIRST_YEAR, taxonomy.last_year() + 1))


def dimensions() -> dict[str, Dimension]:
    """The whitelist, built fresh (the year list grows with the calendar)."""
    return {
        d.name: d
        for d in (
            Dimension(
                "category",
                tuple(taxonomy.Category.values),
                "c.primary_category",
                hxl="#indicator+category+code",
            ),
            Dimension(
                "sub_pattern",
                tuple(taxonomy.SubPattern.values),
                "sub_pattern.code",
                SnapshotSubPattern._meta.db_table,
                "#indicator+subpattern+code",
            ),
            Dimension("year", _year_codes(), "c.year", hxl="#date+year"),
            Dimension(
                "province_china",
                tuple(taxonomy.ProvinceChina.values),
                "c.province_china",
                hxl="#adm1+code+cn",
            ),
            Dimension(
                "province_origin",
                tuple(taxonomy.ProvinceOrigin.values),
                "c.province_origin",
                hxl="#adm1+code+origin+kp",
            ),
            Dimension("gender", tuple(taxonomy.Gender.values), "c.gender", hxl="#meta+gender+code"),
            Dimension(
                "age_band", tuple(taxonomy.AgeBand.values), "c.age_band", hxl="#meta+age+code"
            ),
            Dimension(
                "perpetrator",
                tuple(taxonomy.Perpetrator.values),
                "perpetrator.code",
                SnapshotPerpetrator._meta.db_table,
                "#meta+perpetrator+code",
            ),
            Dimension(
                "current_status",
                tuple(taxonomy.CurrentStatus.values),
                "c.current_status",
                hxl="#status+code",
            ),
        )
    }


@dataclass(frozen=True)
class Policy:
    """The disclosure settings, validated: see the README for the defaults' reasoning."""

    epsilon_per_export: Decimal
    epsilon_per_dashboard_table: Decimal
    supervisor_monthly_budget: Decimal
    global_monthly_budget: Decimal
    dashboard_monthly_budget: Decimal
    global_lifetime_budget: Decimal
    cases_per_person: int
    codes_per_case: int
    threshold: int
    rounding_base: int
    snapshot_every_days: int


def policy() -> Policy:
    raw = settings.CASEBOOK_DISCLOSURE
    chosen = Policy(
        epsilon_per_export=Decimal(str(raw["EPSILON_PER_EXPORT"])),
        epsilon_per_dashboard_table=Decimal(str(raw["EPSILON_PER_DASHBOARD_TABLE"])),
        supervisor_monthly_budget=Decimal(str(raw["SUPERVISOR_MONTHLY_BUDGET"])),
        global_monthly_budget=Decimal(str(raw["GLOBAL_MONTHLY_BUDGET"])),
        dashboard_monthly_budget=Decimal(str(raw["DASHBOARD_MONTHLY_BUDGET"])),
        global_lifetime_budget=Decimal(str(raw["GLOBAL_LIFETIME_BUDGET"])),
        cases_per_person=int(raw["CASES_PER_PERSON"]),
        codes_per_case=int(raw["CODES_PER_CASE"]),
        threshold=int(raw["THRESHOLD"]),
        rounding_base=int(raw["ROUNDING_BASE"]),
        snapshot_every_days=int(raw["SNAPSHOT_EVERY_DAYS"]),
    )
    if chosen.threshold < MIN_THRESHOLD:
        raise ValueError(f"The display threshold may not be below {MIN_THRESHOLD}.")
    if min(chosen.cases_per_person, chosen.codes_per_case, chosen.rounding_base) < 1:
        raise ValueError("Contribution bounds and the rounding base must be at least 1.")
    if chosen.snapshot_every_days < 1:
        raise ValueError("Snapshots are taken at most once a day (SNAPSHOT_EVERY_DAYS >= 1).")
    if min(chosen.epsilon_per_export, chosen.epsilon_per_dashboard_table) <= 0:
        raise ValueError("Epsilon must be positive.")
    # The ledger keeps four decimal places: a finer epsilon would be charged less than
    # the noise used, and never match a stored release.
    for amount in (
        chosen.epsilon_per_export,
        chosen.epsilon_per_dashboard_table,
        chosen.supervisor_monthly_budget,
        chosen.global_monthly_budget,
        chosen.dashboard_monthly_budget,
        chosen.global_lifetime_budget,
    ):
        if amount != amount.quantize(LEDGER_PLACES):
            raise ValueError("Epsilon and budgets take at most four decimal places.")
    return chosen


def parse_dimensions(text: str) -> list[Dimension]:
    """Whitelisted, distinct, at most three; a clear DisclosureRefused otherwise."""
    known = dimensions()
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise DisclosureRefused(_("Name at least one dimension, e.g. dimensions=category,year."))
    if len(names) > MAX_DIMENSIONS:
        raise DisclosureRefused(
            _("At most %(count)d dimensions per table.") % {"count": MAX_DIMENSIONS}
        )
    unknown = [name for name in names if name not in known]
    if unknown:
        raise DisclosureRefused(
            _("Unknown dimension '%(name)s'. Choose from: %(known)s.")
            % {"name": unknown[0][:40], "known": ", ".join(known)}
        )
    if len(set(names)) != len(names):
        raise DisclosureRefused(_("Each dimension may appear once."))
    return [known[name] for name in names]


def canonical(dims: list[Dimension]) -> list[Dimension]:
    """The table's dimensions in the whitelist's order: one table, however it is asked."""
    order = list(dimensions())
    return sorted(dims, key=lambda d: order.index(d.name))


@dataclass(frozen=True)
class Bounds:
    """How much one person may contribute: cases, and codes per multi-valued dimension."""

    cases_per_person: int
    codes_per_case: int

    @classmethod
    def enforced(cls, chosen: Policy, snapshot: Snapshot) -> "Bounds":
        """The larger of the bounds in force and those the snapshot was capped with."""
        return cls(
            max(chosen.cases_per_person, snapshot.cases_per_person),
            max(chosen.codes_per_case, snapshot.codes_per_case),
        )


def sensitivity(dims: list[Dimension], bounds: Bounds) -> int:
    """How much one person can change the table's cells in total (L1)."""
    multi = sum(1 for d in dims if d.multi_table)
    return int(bounds.cases_per_person * bounds.codes_per_case**multi)


def _true_counts(
    dims: list[Dimension], snapshot: Snapshot, year: int | None = None
) -> dict[tuple[Any, ...], int]:
    """GROUP BY over the snapshot (the cases of `year` only, when given). Never leaves
    this module, never logged."""
    joins = []
    for d in dims:
        if d.multi_table:
            alias = d.column.split(".")[0]
            joins.append(f"JOIN {d.multi_table} {alias} ON {alias}.case_id = c.id")
    columns = ", ".join(d.column for d in dims)
    # Every name in this statement comes from the whitelist above, never from input.
    of_year = " AND c.year = %s" if year is not None else ""
    sql = (
        f"SELECT {columns}, COUNT(*) FROM {SnapshotCase._meta.db_table} c {' '.join(joins)} "  # noqa: S608
        f"WHERE c.snapshot_id = %s{of_year} GROUP BY {columns}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [snapshot.pk] if year is None else [snapshot.pk, year])
        return {tuple(row[:-1]): int(row[-1]) for row in cursor.fetchall()}


def _noisy(
    dims: list[Dimension],
    cells: list[tuple[Any, ...]],
    epsilon: Decimal,
    chosen: Policy,
    snapshot: Snapshot,
    year: int | None,
) -> tuple[list[int], int, float]:
    """The cells' counts with noise, the sensitivity and the scale. The true counts end
    here."""
    counts = _true_counts(dims, snapshot, year)
    d_in = sensitivity(dims, Bounds.enforced(chosen, snapshot))
    scale = d_in / float(epsilon)
    measurement = noise_measurement(scale)
    if measurement.map(d_in) > float(epsilon) * (1 + 1e-9):  # type: ignore[no-untyped-call]
        raise DisclosureRefused("The noise would not meet the privacy budget.")  # defensive
    noisy = measurement([counts.get(cell, 0) for cell in cells])
    del counts
    return [int(value) for value in noisy], d_in, scale


def noise_measurement(scale: float) -> dp.Measurement:
    """OpenDP's vector discrete Laplace mechanism over integer counts."""
    return dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale
    )


def publish(value: int, chosen: Policy) -> int | str:
    """Post-processing of one noisy value: '<threshold' below it, else rounded to the base."""
    if value < chosen.threshold:
        return f"<{chosen.threshold}"
    base = chosen.rounding_base
    return int(base * round(value / base))


@dataclass(frozen=True)
class NoisyTable:
    published: dict[str, Any]
    scale: float
    method: str


def noisy_table(
    dims: list[Dimension], epsilon: Decimal, chosen: Policy, snapshot: Snapshot
) -> NoisyTable:
    """Count the snapshot, add noise to every cell, derive margins and total, post-process."""
    cells = list(itertools.product(*(d.codes for d in dims)))
    noisy, _d_in, scale = _noisy(dims, cells, epsilon, chosen, snapshot, None)
    names = [d.name for d in dims]
    published_cells = [
        {**dict(zip(names, cell, strict=True)), "count": publish(value, chosen)}
        for cell, value in zip(cells, noisy, strict=True)
    ]
    margins = {}
    for index, name in enumerate(names):
        sums: dict[Any, int] = {}
        for cell, value in zip(cells, noisy, strict=True):
            sums[cell[index]] = sums.get(cell[index], 0) + value
        margins[name] = [
            {name: code, "count": publish(total, chosen)} for code, total in sums.items()
        ]
    published = {
        "cells": published_cells,
        "margins": margins if len(names) > 1 else {},
        "total": publish(sum(noisy), chosen),
    }
    return NoisyTable(published=published, scale=scale, method=METHOD)


@dataclass(frozen=True)
class NoisyCells:
    """Every cell's noisy count, before threshold and rounding: differentially private,
    but for a coalition bundle sealed to its combiner only, never for a page or export."""

    codes: list[tuple[str | int, ...]]  # each dimension's code list, in the table's order
    values: list[int]  # in the order of the code lists' cross product
    sensitivity: int
    scale: float


def noisy_cells_of_year(
    dims: list[Dimension], epsilon: Decimal, chosen: Policy, snapshot: Snapshot, *, year: int
) -> NoisyCells:
    """The table of the snapshot's cases of `year` (a fixed partition, never a chosen
    filter; a `year` dimension has that one code), with noise in every cell and nothing
    else: the publication rule is applied later, to the coalition's sums only. One
    person changes these cells by at most the same sensitivity as the whole table."""
    codes = [(year,) if d.name == "year" else d.codes for d in dims]
    cells = list(itertools.product(*codes))
    noisy, d_in, scale = _noisy(dims, cells, epsilon, chosen, snapshot, year)
    return NoisyCells(codes, noisy, d_in, scale)
