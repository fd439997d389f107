"""Combining the members' bundles: open, verify, check that they fit, sum.

Run by the coalition's combiner only (`manage.py coalition_combine`), with the
combiner's private key and the members file. Every bundle is opened and checked; when
any is refused, nothing is combined and every refused bundle is named with its reason:
one that cannot be opened (changed, or sealed to another combiner), unsigned, from an
unknown member, whose signature does not verify, made for another coalition, from a
member already counted (a duplicate), of another year (period), of another taxonomy
version, or with other tables, dimensions or code lists than the standard ones.

The combined cells are the sums of the members' noisy cells, cell by cell; the
publication rule (casebook.coalition.output) is applied to the sums only. The sum's
noise is the sum of independent discrete Laplace noises: its variance is the sum of
theirs, 2p / (1 - p)^2 with p = exp(-1 / scale) each (OpenDP's parameterisation,
P(k) proportional to exp(-|k| / scale)).
"""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from casebook.aggregates import disclosure
from casebook.coalition import documents
from casebook.coalition.members import Coalition
from casebook.crypto.coalition import CombinerKey, open_sealed, signature_valid
from casebook.crypto.envelope import CryptoError


@dataclass(frozen=True)
class Refusal:
    bundle: str  # the bundle as the combiner named it (its file)
    reason: str


class CombineRefused(Exception):
    """At least one bundle was refused: nothing was combined."""

    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__("; ".join(f"{r.bundle}: {r.reason}" for r in refusals))
        self.refusals = refusals


class BundleRefused(Exception):
    """One bundle cannot be combined; the message is the reason."""


@dataclass(frozen=True)
class Contribution:
    source: str
    body: documents.BundleBody


@dataclass(frozen=True)
class CombinedTable:
    dimensions: str
    codes: dict[str, list[str | int]]
    sums: tuple[int, ...]  # noisy: the sums of the members' noisy cells
    members: tuple[tuple[str, documents.TableNoise], ...]  # each member's own table
    variance: float  # of the sum's noise, per cell


@dataclass(frozen=True)
class Combined:
    coalition: Coalition
    year: int
    contributions: tuple[Contribution, ...]
    tables: tuple[CombinedTable, ...]


def discrete_laplace_variance(scale: float) -> float:
    """The variance of OpenDP's discrete Laplace noise of `scale`."""
    p = math.exp(-1.0 / scale)
    return 2.0 * p / (1.0 - p) ** 2


def sum_cells(columns: Sequence[Sequence[int]]) -> list[int]:
    """Cell-by-cell sums of the members' noisy cells."""
    return [sum(values) for values in zip(*columns, strict=True)]


def open_bundle(data: bytes, coalition: Coalition, key: CombinerKey) -> documents.BundleBody:
    """One bundle opened and verified against the members file, or BundleRefused."""
    try:
        sealed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleRefused(_("not a sealed coalition bundle")) from None
    try:
        plaintext = open_sealed(key, sealed)
    except CryptoError:
        raise BundleRefused(
            _(
                "cannot be opened with the combiner's key: changed after it was sealed, or "
                "sealed to another combiner"
            )
        ) from None
    try:
        signed = json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        signed = None
    if not isinstance(signed, dict) or not isinstance(signed.get("body"), dict):
        raise BundleRefused(_("its content is not a signed bundle"))
    raw: dict[str, Any] = signed["body"]
    if not signed.get("signature"):
        raise BundleRefused(_("unsigned"))
    organisation = raw.get("organisation")
    member = coalition.member(organisation) if isinstance(organisation, str) else None
    if member is None:
        raise BundleRefused(
            _("from an unknown member (%(name)s)") % {"name": str(organisation)[:80]}
        )
    try:
        message = documents.signed_message(raw)
        body = documents.read_body(raw)
    except documents.BundleMalformed as problem:
        raise BundleRefused(_("malformed: %(problem)s") % {"problem": problem}) from None
    if not signature_valid(member.signing_key, message, signed["signature"]):
        raise BundleRefused(
            _(
                "its signature does not verify against the key of %(name)s: changed after "
                "it was signed, or signed with another key"
            )
            % {"name": member.name}
        )
    if body.coalition != coalition.name:
        raise BundleRefused(
            _("made for another coalition (%(name)s)") % {"name": body.coalition[:80]}
        )
    return body


def misfit(body: documents.BundleBody, year: int) -> str:
    """Why a verified bundle cannot be pooled with the others for `year`, or ""."""
    if body.year != year:
        return _("for %(theirs)s, another period than %(year)s") % {
            "theirs": body.year,
            "year": year,
        }
    ours = documents.taxonomy_version()
    if body.taxonomy_version != ours:
        return _("taxonomy version %(theirs)s, not the combiner's %(ours)s") % {
            "theirs": body.taxonomy_version[:80],
            "ours": ours,
        }
    if body.method != disclosure.METHOD:
        return _("noise made by another method (%(method)s)") % {"method": body.method[:80]}
    names = tuple(table.dimensions for table in body.tables)
    if names != documents.STANDARD_TABLES:
        return _("other dimensions than the coalition's standard tables (%(names)s)") % {
            "names": "; ".join(names)[:200]
        }
    for table in body.tables:
        if table.codes != documents.codes_for(table.dimensions, year):
            return _("other code lists than the standard table %(names)s") % {
                "names": table.dimensions
            }
    return ""


def open_all(
    bundles: Sequence[tuple[str, bytes]],
    coalition: Coalition,
    key: CombinerKey,
    year: int | None = None,
) -> list[Contribution]:
    """Every bundle opened, verified and checked to fit (the year given, or the first
    bundle's), one per member; CombineRefused naming each refused bundle otherwise."""
    refusals: list[Refusal] = []
    accepted: list[Contribution] = []
    first_from: dict[str, str] = {}
    for source, data in bundles:
        try:
            body = open_bundle(data, coalition, key)
        except BundleRefused as refusal:
            refusals.append(Refusal(source, str(refusal)))
            continue
        year = body.year if year is None else year
        reason = misfit(body, year)
        if not reason and body.organisation in first_from:
            reason = _("a second bundle from %(name)s (the first is %(first)s)") % {
                "name": body.organisation,
                "first": first_from[body.organisation],
            }
        if reason:
            refusals.append(Refusal(source, reason))
            continue
        first_from[body.organisation] = source
        accepted.append(Contribution(source, body))
    if refusals or not accepted:
        raise CombineRefused(refusals)
    return accepted


def combine(coalition: Coalition, contributions: Sequence[Contribution]) -> Combined:
    """The members' tables summed cell by cell (contributions from open_all)."""
    tables = []
    for index, names in enumerate(documents.STANDARD_TABLES):
        own = tuple((c.body.organisation, c.body.tables[index]) for c in contributions)
        tables.append(
            CombinedTable(
                dimensions=names,
                codes=own[0][1].codes,
                sums=tuple(sum_cells([table.cells for _name, table in own])),
                members=own,
                variance=sum(discrete_laplace_variance(table.scale) for _name, table in own),
            )
        )
    return Combined(coalition, contributions[0].body.year, tuple(contributions), tuple(tables))
