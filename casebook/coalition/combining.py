"""Combining the members' bundles: open, verify, check that they fit, sum.

Run by the coalition's combiner only (`manage.py coalition_combine`), with the
combiner's private key and the members file. Every bundle is opened and checked; when
any is refused, nothing is combined and every refused bundle is named with its reason:
one that cannot be read or is too large, cannot be opened (changed, or sealed to
another combiner), unsigned, from an unknown member, whose signature does not verify,
malformed, made for another coalition, with an epsilon the coalition did not agree, from
a member already counted (a duplicate), of another year (period) or a year the members
file does not list, of another taxonomy version, or with other tables, dimensions or
code lists than the standard ones. Nothing of a bundle's content is trusted before its
signature verifies: the signed bytes are rebuilt from the raw JSON first, the body is
read only once the signature is valid, and a bundle that breaks the reader in any
other way is refused by name ("malformed"), never a traceback. Text taken from a
bundle is shown with its non-printable characters escaped.

Unless told otherwise (allow_missing), every member of the members file must have a
bundle: combining different sets of members for one year would give away one member's
cells as the difference of two sums.

The combined cells are the sums of the members' noisy cells, cell by cell; the
publication rule (casebook.coalition.output) is applied to the sums only. The sum's
noise is the sum of independent discrete Laplace noises: its variance is the sum of
theirs, 2p / (1 - p)^2 with p = exp(-1 / scale) each (OpenDP's parameterisation,
P(k) proportional to exp(-|k| / scale)).
"""

import hashlib
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

MAX_BUNDLE_BYTES = 10_000_000  # a real bundle is a few tens of kilobytes


def shown(value: str, limit: int | None = 80) -> str:
    """Text from a bundle (or a file's name) as it may be printed on the combiner's
    terminal: cut to `limit` characters, and every non-printable character (control
    characters and escape sequences, bidirectional overrides, lone surrogates) written
    as its Python escape."""
    text = value if limit is None else value[:limit]
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in text
    )


@dataclass(frozen=True)
class Refusal:
    bundle: str  # the bundle as the combiner named it (its file)
    reason: str


class CombineRefused(Exception):
    """At least one bundle was refused, or a member has no bundle: nothing was combined."""

    def __init__(self, refusals: list[Refusal], missing: Sequence[str] = ()) -> None:
        super().__init__("; ".join(f"{r.bundle}: {r.reason}" for r in refusals))
        self.refusals = refusals
        self.missing = tuple(missing)  # members without an accepted bundle


class BundleRefused(Exception):
    """One bundle cannot be combined; the message is the reason."""


@dataclass(frozen=True)
class Contribution:
    source: str
    body: documents.BundleBody
    digest: str = ""  # SHA-256 of the bundle's file, hex


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
    """The variance of OpenDP's discrete Laplace noise of `scale` (ValueError unless
    the scale is positive and finite; documents.read_body refuses any other)."""
    if not 0 < scale < math.inf:
        raise ValueError("The noise scale is not a positive number.")
    p = math.exp(-1.0 / scale)
    return 2.0 * p / (1.0 - p) ** 2


def sum_cells(columns: Sequence[Sequence[int]]) -> list[int]:
    """Cell-by-cell sums of the members' noisy cells."""
    return [sum(values) for values in zip(*columns, strict=True)]


def _malformed(problem: object) -> str:
    return _("malformed: %(problem)s") % {"problem": problem}


def open_bundle(data: bytes, coalition: Coalition, key: CombinerKey) -> documents.BundleBody:
    """One bundle opened and verified against the members file, or BundleRefused. The
    signature is checked on the raw content before anything else of it is read."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleRefused(
            _("larger than %(max)s bytes: not a coalition bundle") % {"max": MAX_BUNDLE_BYTES}
        )
    try:
        sealed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
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
    except (UnicodeDecodeError, ValueError, RecursionError):
        signed = None
    if not isinstance(signed, dict) or not isinstance(signed.get("body"), dict):
        raise BundleRefused(_("its content is not a signed bundle"))
    raw: dict[str, Any] = signed["body"]
    if not signed.get("signature"):
        raise BundleRefused(_("unsigned"))
    organisation = raw.get("organisation")
    member = coalition.member(organisation) if isinstance(organisation, str) else None
    if member is None:
        name = shown(organisation) if isinstance(organisation, str) else "?"
        raise BundleRefused(_("from an unknown member (%(name)s)") % {"name": name})
    try:
        message = documents.signed_message(raw)
    except documents.BundleMalformed as problem:
        raise BundleRefused(_malformed(problem)) from None
    except (RecursionError, UnicodeError, ArithmeticError, ValueError, TypeError):
        # Nested too deep, a lone surrogate, a number JSON cannot write: no signature
        # can cover it, so it is refused before any of it is read.
        raise BundleRefused(_malformed(_("it has no canonical encoding"))) from None
    if not signature_valid(member.signing_key, message, signed["signature"]):
        raise BundleRefused(
            _(
                "its signature does not verify against the key of %(name)s: changed after "
                "it was signed, or signed with another key"
            )
            % {"name": member.name}
        )
    try:
        body = documents.read_body(raw)
    except documents.BundleMalformed as problem:
        raise BundleRefused(_malformed(problem)) from None
    if body.coalition != coalition.name:
        raise BundleRefused(
            _("made for another coalition (%(name)s)") % {"name": shown(body.coalition)}
        )
    if reason := epsilon_misfit(body, coalition):
        raise BundleRefused(reason)
    return body


def epsilon_misfit(body: documents.BundleBody, coalition: Coalition) -> str:
    """Why a bundle's epsilon is not the coalition's (its agreed epsilon_per_table, or
    at most what any installation may spend), or ""."""
    for table in body.tables:
        theirs = shown(documents.epsilon_text(table.epsilon), 20)
        agreed = coalition.epsilon_per_table
        if agreed is not None and table.epsilon != agreed:
            return _("epsilon %(theirs)s per table, not the coalition's agreed %(agreed)s") % {
                "theirs": theirs,
                "agreed": documents.epsilon_text(agreed),
            }
        if not (
            documents.MIN_EPSILON_PER_TABLE <= table.epsilon <= documents.MAX_EPSILON_PER_TABLE
        ):
            return _(
                "epsilon %(theirs)s per table, outside what an installation may spend "
                "(%(least)s to %(most)s)"
            ) % {
                "theirs": theirs,
                "least": documents.MIN_EPSILON_PER_TABLE,
                "most": documents.MAX_EPSILON_PER_TABLE,
            }
    return ""


def misfit(body: documents.BundleBody, year: int, coalition: Coalition | None = None) -> str:
    """Why a verified bundle cannot be pooled with the others for `year`, or ""."""
    if body.year != year:
        return _("for %(theirs)s, another period than %(year)s") % {
            "theirs": body.year,
            "year": year,
        }
    if coalition is not None and coalition.years and body.year not in coalition.years:
        return _("for %(theirs)s, a year the members file does not list") % {"theirs": body.year}
    ours = documents.taxonomy_version()
    if body.taxonomy_version != ours:
        return _("taxonomy version %(theirs)s, not the combiner's %(ours)s") % {
            "theirs": shown(body.taxonomy_version),
            "ours": ours,
        }
    if body.method != disclosure.METHOD:
        return _("noise made by another method (%(method)s)") % {"method": shown(body.method)}
    names = tuple(table.dimensions for table in body.tables)
    if names != documents.STANDARD_TABLES:
        return _("other dimensions than the coalition's standard tables (%(names)s)") % {
            "names": shown("; ".join(names), 200)
        }
    for table in body.tables:
        if table.codes != documents.codes_for(table.dimensions, year):
            return _("other code lists than the standard table %(names)s") % {
                "names": table.dimensions
            }
    return ""


def open_all(
    bundles: Sequence[tuple[str, bytes | None]],
    coalition: Coalition,
    key: CombinerKey,
    year: int | None = None,
    allow_missing: bool = False,
) -> list[Contribution]:
    """Every bundle opened, verified and checked to fit (the year given, or the first
    bundle's), one per member and, unless `allow_missing`, one from every member;
    CombineRefused naming each refused bundle and each member missing otherwise. A
    bundle given as None could not be read."""
    refusals: list[Refusal] = []
    accepted: list[Contribution] = []
    first_from: dict[str, str] = {}
    for source, data in bundles:
        if data is None:
            refusals.append(Refusal(shown(source, None), _("cannot be read")))
            continue
        try:
            body = open_bundle(data, coalition, key)
            year = body.year if year is None else year
            reason = misfit(body, year, coalition)
        except BundleRefused as refusal:
            refusals.append(Refusal(shown(source, None), str(refusal)))
            continue
        except Exception:  # noqa: BLE001 -- any other failure on hostile input: refused by name
            reason = _malformed(_("its content cannot be read as a bundle"))
            refusals.append(Refusal(shown(source, None), reason))
            continue
        if not reason and body.organisation in first_from:
            reason = _("a second bundle from %(name)s (the first is %(first)s)") % {
                "name": body.organisation,
                "first": shown(first_from[body.organisation], None),
            }
        if reason:
            refusals.append(Refusal(shown(source, None), reason))
            continue
        first_from[body.organisation] = source
        accepted.append(Contribution(source, body, hashlib.sha256(data).hexdigest()))
    missing = (
        [] if allow_missing else [m.name for m in coalition.members if m.name not in first_from]
    )
    if refusals or missing or not accepted:
        raise CombineRefused(refusals, missing)
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
