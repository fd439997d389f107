"""The coalition's members file: who the members are, and the keys that prove it.

One JSON file, the same at every member and at the combiner, exchanged out of band
(docs/coalition.md):

    {
      "format": "casebook-coalition-members/1",
      "coalition": "<the coalition's name>",
      "combiner": {"name": "<who combines>", "public_key": "<X25519, base64>"},
      "members": [{"name": "<organisation>", "signing_key": "<Ed25519, base64>"}, ...],
      "publication": {"threshold": 10, "rounding_base": 5},
      "years": [2023, 2024],
      "epsilon_per_table": "0.5"
    }

`publication` is optional: without it the combiner's own installation's threshold and
rounding apply. A threshold under the floor of casebook.aggregates.disclosure is
refused. `years` (optional) are the calendar years the coalition pools: only those
are offered to supervisors and accepted by the combiner. `epsilon_per_table`
(optional) is the coalition's agreed epsilon: an installation configured otherwise
makes no bundle, and the combiner refuses a bundle with another. Names and keys are
distinct: keys are compared as bytes, whatever their base64 alphabet or padding, and
kept in one written form. Nothing here is secret: only public keys.
"""

import json
import logging
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from casebook import taxonomy
from casebook.aggregates.disclosure import LEDGER_PLACES, MIN_THRESHOLD
from casebook.coalition.documents import MAX_EPSILON_PER_TABLE
from casebook.crypto.coalition import combiner_public_key_text, signing_public_key_text

MEMBERS_FORMAT = "casebook-coalition-members/1"
MAX_NAME = 120
MAX_YEARS = 100
logger = logging.getLogger(__name__)


class MembersFileInvalid(Exception):
    """The members file cannot be used; the message says why (never a key, never the
    file's path: supervisors read it)."""


class MembersFileUnreadable(MembersFileInvalid):
    """The members file cannot be read at all (missing, unreadable, not UTF-8)."""


@dataclass(frozen=True)
class Member:
    name: str
    signing_key: str  # Ed25519 public key, base64


@dataclass(frozen=True)
class Coalition:
    name: str
    combiner_name: str
    combiner_key: str  # X25519 public key, base64
    members: tuple[Member, ...]
    threshold: int | None = None
    rounding_base: int | None = None
    years: tuple[int, ...] = ()  # the years the coalition pools; () when not agreed
    epsilon_per_table: Decimal | None = None  # the coalition's agreed epsilon, if any

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise MembersFileInvalid(
            _(
                "Every name in the members file (the coalition, the combiner, each member) "
                "has 1 to %(max)d characters."
            )
            % {"max": MAX_NAME}
        )
    return value.strip()


def _publication(raw: Any) -> tuple[int | None, int | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict) or set(raw) - {"threshold", "rounding_base"}:
        raise MembersFileInvalid(_("'publication' takes only 'threshold' and 'rounding_base'."))
    threshold, base = raw.get("threshold"), raw.get("rounding_base")
    for value in (threshold, base):
        if value is not None and (type(value) is not int or value < 1):
            raise MembersFileInvalid(_("The threshold and rounding base are whole numbers."))
    if threshold is not None and threshold < MIN_THRESHOLD:
        raise MembersFileInvalid(
            _("The threshold may not be below %(floor)d.") % {"floor": MIN_THRESHOLD}
        )
    return threshold, base


def _years(raw: Any) -> tuple[int, ...]:
    if raw is None:
        return ()
    if (
        not isinstance(raw, list)
        or not 0 < len(raw) <= MAX_YEARS
        or not all(type(year) is int and taxonomy.FIRST_YEAR <= year <= 9999 for year in raw)
        or len(set(raw)) != len(raw)
    ):
        raise MembersFileInvalid(
            _("'years' is a list of distinct calendar years from %(first)s.")
            % {"first": taxonomy.FIRST_YEAR}
        )
    return tuple(sorted(raw))


def _epsilon(raw: Any) -> Decimal | None:
    """The agreed epsilon per table: decimal text ("0.5") or a number."""
    if raw is None:
        return None
    problem = MembersFileInvalid(
        _(
            "'epsilon_per_table' is a number above 0 and at most %(max)s, with at most "
            "four decimal places."
        )
        % {"max": MAX_EPSILON_PER_TABLE}
    )
    if type(raw) not in (str, int, float) or len(str(raw)) > 40:
        raise problem
    try:
        epsilon = Decimal(str(raw))
    except InvalidOperation:
        raise problem from None
    if (
        not epsilon.is_finite()
        or not math.isfinite(float(epsilon))
        or not 0 < epsilon <= MAX_EPSILON_PER_TABLE
        or epsilon != epsilon.quantize(LEDGER_PLACES)
    ):
        raise problem
    return epsilon


def parse_members(text: str) -> Coalition:
    """The coalition described by a members file's text, or MembersFileInvalid."""
    try:
        raw = json.loads(text)
    except ValueError:
        raise MembersFileInvalid(_("The members file is not JSON.")) from None
    if not isinstance(raw, dict) or raw.get("format") != MEMBERS_FORMAT:
        raise MembersFileInvalid(
            _("The members file does not say 'format': '%(format)s'.") % {"format": MEMBERS_FORMAT}
        )
    combiner = raw.get("combiner")
    if not isinstance(combiner, dict):
        combiner = {}
    try:
        # A trial key exchange: a low-order point (all zeros) is no key at all.
        combiner_key = combiner_public_key_text(combiner.get("public_key"))
    except ValueError:
        raise MembersFileInvalid(
            _("The members file gives no usable public key for the combiner.")
        ) from None
    listed = raw.get("members")
    if not isinstance(listed, list) or not listed:
        raise MembersFileInvalid(_("The members file lists no members."))
    members = []
    for entry in listed:
        if not isinstance(entry, dict):
            raise MembersFileInvalid(_("Each member is an object with a name and a signing key."))
        name = _name(entry.get("name"))
        try:
            # One written form, so that one key in two spellings is one key.
            signing_key = signing_public_key_text(entry.get("signing_key"))
        except ValueError:
            raise MembersFileInvalid(
                _("Member '%(name)s' needs a signing key (base64 of 32 bytes).") % {"name": name}
            ) from None
        members.append(Member(name, signing_key))
    if len({m.name for m in members}) != len(members):
        raise MembersFileInvalid(_("Two members have the same name."))
    if len({m.signing_key for m in members}) != len(members):
        raise MembersFileInvalid(_("Two members have the same signing key."))
    threshold, base = _publication(raw.get("publication"))
    return Coalition(
        name=_name(raw.get("coalition")),
        combiner_name=_name(combiner.get("name")),
        combiner_key=combiner_key,
        members=tuple(members),
        threshold=threshold,
        rounding_base=base,
        years=_years(raw.get("years")),
        epsilon_per_table=_epsilon(raw.get("epsilon_per_table")),
    )


def load_members(path: str | Path) -> Coalition:
    """The coalition described by the members file at `path`; MembersFileUnreadable
    (which does not name the path) when it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise MembersFileUnreadable(_("The coalition's members file cannot be read.")) from None
    return parse_members(text)


def configured_members() -> Coalition:
    """The coalition of this installation (CASEBOOK_COALITION_MEMBERS_FILE). An
    unreadable file is named in the server's log, not to the supervisor."""
    path = settings.CASEBOOK_COALITION_MEMBERS_FILE
    if not path:
        raise MembersFileInvalid(_("No coalition members file is configured on this installation."))
    try:
        return load_members(path)
    except MembersFileUnreadable:
        logger.warning("CASEBOOK_COALITION_MEMBERS_FILE (%s) cannot be read.", path)
        raise
