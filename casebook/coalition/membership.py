"""This installation as a coalition member: its settings, its name and release key.

Bundles can be made only when the members file (CASEBOOK_COALITION_MEMBERS_FILE) names
this installation's organisation (CASEBOOK_ORGANISATION_NAME) with the public key of
the installation's own release-signing key (never the access log's key); otherwise
`membership()` refuses, saying which part is missing, and nothing is drawn.
"""

import contextlib
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


@dataclass(frozen=True)
class CoalitionPolicy:
    epsilon_per_table: Decimal
    yearly_budget: Decimal


def coalition_policy() -> CoalitionPolicy:
    raw = settings.CASEBOOK_COALITION
    chosen = CoalitionPolicy(
        epsilon_per_table=Decimal(str(raw["EPSILON_PER_TABLE"])),
        yearly_budget=Decimal(str(raw["YEARLY_BUDGET"])),
    )
    if chosen.epsilon_per_table <= 0 or chosen.yearly_budget < 0:
        raise ValueError("The coalition's epsilon must be positive and its budget not negative.")
    for amount in (chosen.epsilon_per_table, chosen.yearly_budget):
        if amount != amount.quantize(disclosure.LEDGER_PLACES):
            raise ValueError("Epsilon and budgets take at most four decimal places.")
    return chosen


@dataclass(frozen=True)
class Membership:
    """This installation as a member: the coalition, its own name and release key."""

    coalition: Coalition
    organisation: str
    key: ReleaseKey


def membership() -> Membership:
    """This installation's membership, or BundleRefused (not configured) saying why."""

    def refused(message: str) -> BundleRefused:
        return BundleRefused(message, "not_configured", 409)

    try:
        coalition = configured_members()
    except MembersFileInvalid as error:
        raise refused(str(error)) from None
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
    return Membership(coalition, organisation, key)


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
    chosen = coalition_policy()
    problem, coalition, public_key = "", None, ""
    with contextlib.suppress(KeyMissing):  # membership() below says why
        public_key = signing_public_key(load_release_signing_key())
    try:
        coalition = membership().coalition
    except BundleRefused as refusal:
        problem = str(refusal)
    return CoalitionStatus(
        problem=problem,
        coalition=coalition,
        organisation=settings.CASEBOOK_ORGANISATION_NAME,
        public_key=public_key,
        epsilon_per_table=documents.epsilon_text(chosen.epsilon_per_table),
        epsilon_per_bundle=documents.epsilon_text(
            chosen.epsilon_per_table * len(documents.STANDARD_TABLES)
        ),
        tables=documents.STANDARD_TABLES,
    )
