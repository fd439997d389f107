"""This installation as a coalition member: its settings, its name and release key.

Bundles can be made only when the members file (CASEBOOK_COALITION_MEMBERS_FILE) names
this installation's organisation (CASEBOOK_ORGANISATION_NAME) with the public key of
the installation's own release-signing key (never the access log's key), the
coalition settings (CASEBOOK_COALITION) are valid and, when the members file states
the coalition's epsilon per table, this installation's is the same; otherwise
`membership()` refuses, saying which part is missing, and nothing is drawn.
"""

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from casebook.aggregates import disclosure
from casebook.coalition import documents
from casebook.coalition.members import Coalition, MembersFileInvalid, configured_members
from casebook.crypto.coalition import (
    ReleaseKey,
    ReleaseKeyIsLogKey,
    load_release_signing_key,
    signing_public_key,
)
from casebook.crypto.envelope import KeyMissing


class BundleRefused(Exception):
    """No bundle: `code` names the reason for the access log, `status` the HTTP answer.
    Nothing was drawn or spent."""

    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


# The most a coalition budget may be (the ledger's columns hold up to 9999.9999), and
# the widest window of past years offered when the members file lists none.
MAX_BUDGET = Decimal(1000)
MAX_YEARS_WINDOW = 30
SETTING_ERRORS = (ValueError, ArithmeticError, KeyError, TypeError)


@dataclass(frozen=True)
class CoalitionPolicy:
    epsilon_per_table: Decimal
    yearly_budget: Decimal  # per calendar year of the bundles' data
    total_budget: Decimal  # all coalition bundles together, over the dataset's lifetime
    years: int  # without a members file's `years`: the last N complete calendar years


def years_window(raw: Mapping[str, object]) -> int:
    """CASEBOOK_COALITION["YEARS"], checked (ValueError, KeyError otherwise)."""
    years = raw["YEARS"]
    if type(years) is not int or not 1 <= years <= MAX_YEARS_WINDOW:
        raise ValueError(f"YEARS is a whole number from 1 to {MAX_YEARS_WINDOW}.")
    return years


def checked_policy(raw: Mapping[str, object]) -> CoalitionPolicy:
    """The coalition settings, or one of SETTING_ERRORS saying (in English, for the
    administrator) what is wrong: casebook.checks stops start-up on it."""
    chosen = CoalitionPolicy(
        epsilon_per_table=Decimal(str(raw["EPSILON_PER_TABLE"])),
        yearly_budget=Decimal(str(raw["YEARLY_BUDGET"])),
        total_budget=Decimal(str(raw["TOTAL_BUDGET"])),
        years=years_window(raw),
    )
    amounts = (chosen.epsilon_per_table, chosen.yearly_budget, chosen.total_budget)
    if not all(amount.is_finite() for amount in amounts):
        raise ValueError("Epsilon and budgets are finite numbers.")
    if not 0 < chosen.epsilon_per_table <= documents.MAX_EPSILON_PER_TABLE:
        raise ValueError(
            f"EPSILON_PER_TABLE is above 0 and at most {documents.MAX_EPSILON_PER_TABLE}."
        )
    if not (0 <= chosen.yearly_budget <= MAX_BUDGET and 0 <= chosen.total_budget <= MAX_BUDGET):
        raise ValueError(f"The coalition's budgets are from 0 to {MAX_BUDGET}.")
    for amount in amounts:
        if amount != amount.quantize(disclosure.LEDGER_PLACES):
            raise ValueError("Epsilon and budgets take at most four decimal places.")
    return chosen


def coalition_policy() -> CoalitionPolicy:
    """The coalition settings; BundleRefused (not configured) when one is unusable. A
    refusal, not a server error: the page says so, and a bundle's refusal is logged."""
    try:
        return checked_policy(settings.CASEBOOK_COALITION)
    except SETTING_ERRORS:
        raise BundleRefused(
            _(
                "This installation's coalition settings are not valid: an administrator "
                "must correct them."
            ),
            "not_configured",
            409,
        ) from None


@dataclass(frozen=True)
class Membership:
    """This installation as a member: the coalition, its own name and release key."""

    coalition: Coalition
    organisation: str
    key: ReleaseKey
    policy: CoalitionPolicy


def membership() -> Membership:
    """This installation's membership, or BundleRefused (not configured) saying why."""

    def refused(message: str) -> BundleRefused:
        return BundleRefused(message, "not_configured", 409)

    chosen = coalition_policy()
    try:
        coalition = configured_members()
    except MembersFileInvalid as error:
        raise refused(str(error)) from None
    agreed = coalition.epsilon_per_table
    if agreed is not None and agreed != chosen.epsilon_per_table:
        raise refused(
            _(
                "This installation's epsilon per table (%(ours)s) is not the coalition's "
                "agreed %(agreed)s (the members file's epsilon_per_table)."
            )
            % {
                "ours": documents.epsilon_text(chosen.epsilon_per_table),
                "agreed": documents.epsilon_text(agreed),
            }
        )
    organisation = settings.CASEBOOK_ORGANISATION_NAME
    member = coalition.member(organisation)
    if member is None:
        raise refused(
            _(
                "This installation's organisation name is not one of the members named in "
                "the members file."
            )
        )
    try:
        key = load_release_signing_key()
    except ReleaseKeyIsLogKey:
        raise refused(
            _(
                "The release-signing key is the access log's signing key: bundles need a key "
                "of their own."
            )
        ) from None
    except KeyMissing:
        raise refused(_("This installation has no usable release-signing key.")) from None
    if signing_public_key(key) != member.signing_key:
        raise refused(
            _(
                "The members file gives another public key for this organisation than "
                "this installation's release-signing key."
            )
        )
    return Membership(coalition, organisation, key, chosen)


@dataclass(frozen=True)
class CoalitionStatus:
    """What the supervisor's page shows: never a count, never a budget left."""

    problem: str  # "" when bundles can be made
    coalition: Coalition | None
    organisation: str
    public_key: str  # this installation's public release key, to send to the coalition
    epsilon_per_table: str  # as text: "0.5"
    epsilon_per_bundle: str
    tables: tuple[str, ...]


def coalition_status() -> CoalitionStatus:
    """Never raises: whatever is not set up, or set up wrongly, is the `problem`."""
    problem, coalition, public_key, per_table, per_bundle = "", None, "", "", ""
    with contextlib.suppress(KeyMissing):  # membership() below says why
        public_key = signing_public_key(load_release_signing_key())
    try:
        member = membership()
    except BundleRefused as refusal:
        problem = str(refusal)
    else:
        coalition, epsilon = member.coalition, member.policy.epsilon_per_table
        per_table = documents.epsilon_text(epsilon)
        per_bundle = documents.epsilon_text(epsilon * len(documents.STANDARD_TABLES))
    return CoalitionStatus(
        problem=problem,
        coalition=coalition,
        organisation=settings.CASEBOOK_ORGANISATION_NAME,
        public_key=public_key,
        epsilon_per_table=per_table,
        epsilon_per_bundle=per_bundle,
        tables=documents.STANDARD_TABLES,
    )
