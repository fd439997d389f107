"""The values a case is made of, as the rest of Casebook sees them.

Pattern (the coded dimensions) and Testimony (plaintext, held in memory only) go into
the services; CaseRecord comes out of the one decrypting read. None of them is a
model: loading a model never yields plaintext, and a record never carries one.
"""

import datetime as dt
import functools
from dataclasses import dataclass, field

from django.utils.functional import Promise

from casebook import taxonomy
from casebook.models import CaseTestimony

TESTIMONY_TABLE = CaseTestimony._meta.db_table


@dataclass(frozen=True)
class Pattern:
    """The coded dimensions of a case, already validated against the taxonomy."""

    primary_category: str
    sub_patterns: frozenset[str]
    perpetrators: frozenset[str]
    year: int
    province_china: str
    province_origin: str
    gender: str
    age_band: str
    time_in_china: str
    current_status: str
    source_proximity: str
    consent_scope: str

    SCALARS = (
        "primary_category",
        "year",
        "province_china",
        "province_origin",
        "gender",
        "age_band",
        "time_in_china",
        "current_status",
        "source_proximity",
        "consent_scope",
    )

    def scalar_fields(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.SCALARS}


@dataclass(frozen=True)
class Testimony:
    """Free-text testimony, in plaintext: held in memory only, stored only encrypted."""

    narrative: str = ""
    interviewer_notes: str = ""
    precise_details: str = ""
    # Identifier findings (Finding.key) its caseworker confirmed must stay: encrypted
    # with the testimony, never stored in plaintext.
    confirmed_identifiers: frozenset[str] = frozenset()

    FIELDS = ("narrative", "interviewer_notes", "precise_details")
    CONFIRMED = "confirmed_identifiers"

    def __repr__(self) -> str:  # never let testimony reach a log or traceback by repr()
        return "Testimony(<redacted>)"

    def as_fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.FIELDS}


@dataclass(frozen=True)
class SurvivorLink:
    """ "Same survivor as...": by default a case keeps its link as it is; it can be linked
    to a case its caseworker can open (`reference`), or separated from its survivor's
    other cases (`separate`)."""

    reference: str = ""
    separate: bool = False


KEEP_SURVIVOR_LINK = SurvivorLink()


@dataclass(frozen=True)
class CaseRecord:
    """A case as its reader sees it: codes with their labels, and decrypted testimony."""

    reference: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    pattern: Pattern
    testimony: Testimony = field(repr=False)
    break_glass: bool = False
    # Other cases of the same survivor that this reader can open (never the others).
    same_survivor_as: tuple[str, ...] = ()
    may_change: bool = False  # this reader may edit the case
    may_delete: bool = False  # this reader may delete it

    def __repr__(self) -> str:
        return f"CaseRecord({self.reference}, testimony=<redacted>)"

    @functools.cached_property  # a page shows each of them: worked out once
    def labels(self) -> dict[str, str | Promise]:
        """The label of each coded field (translated when shown); the year as it is."""
        labels: dict[str, str | Promise] = {"year": str(self.pattern.year)}
        for name in Pattern.SCALARS:
            vocabulary = taxonomy.VOCABULARIES.get(name)
            if vocabulary is not None:
                labels[name] = vocabulary(getattr(self.pattern, name)).label
        return labels

    @property
    def sub_pattern_labels(self) -> list[str | Promise]:
        return [taxonomy.SubPattern(code).label for code in sorted(self.pattern.sub_patterns)]

    @property
    def perpetrator_labels(self) -> list[str | Promise]:
        return [taxonomy.Perpetrator(code).label for code in sorted(self.pattern.perpetrators)]
