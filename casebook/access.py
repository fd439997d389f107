"""The only code path that returns decrypted testimony.

Each read fetches the case through visible_cases(user) (or, for break-glass, through
the supervisor's overseen cases), writes its access event in the same transaction,
and only then decrypts: a read whose event cannot be written is not served. Missing
and forbidden cases both raise CaseNotFound, and the denial is recorded.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import QuerySet
from django.views.decorators.debug import sensitive_variables

from casebook import audit, crypto, keys
from casebook.audit import Action, Actor, Outcome
from casebook.models import CasePattern
from casebook.permissions import Access, overseen_cases, visible_cases
from casebook.services import TESTIMONY_TABLE, Testimony

MIN_BREAK_GLASS_REASON = 20


class CaseNotFound(Exception):
    """No such case for this user: missing and forbidden look the same."""


@dataclass(frozen=True)
class CaseRecord:
    """A case as its reader sees it: the coded pattern and the decrypted testimony."""

    case: CasePattern
    sub_patterns: tuple[str, ...]
    perpetrators: tuple[str, ...]
    testimony: Testimony
    break_glass: bool = False

    def __repr__(self) -> str:
        return f"CaseRecord({self.case.reference}, testimony=<redacted>)"


def record_denial(user: User | AnonymousUser, reference: str, *, attempted: str) -> None:
    """Record a refused attempt on a case URL (missing and forbidden alike)."""
    audit.record(
        Action.CASE_ACCESS,
        actor=Actor.of(user),
        outcome=Outcome.DENIED,
        target=reference,
        details={"method": attempted},
    )


@sensitive_variables()
def _read(
    cases: QuerySet[CasePattern], user: User, reference: str, *, action: str, reason: str = ""
) -> CaseRecord:
    with transaction.atomic():
        case = (
            cases.select_related("key", "testimony", "author", "team")
            .prefetch_related("sub_patterns", "perpetrators")
            .filter(reference=reference)
            .first()
        )
        if case is not None:
            # Logged before decryption, in the same transaction: no log, no access.
            audit.record(action, actor=Actor.of(user), target=reference, reason=reason)
            sealed = {name: bytes(getattr(case.testimony, name)) for name in Testimony.FIELDS}
            opened = crypto.open_fields(
                keys.keyring(), keys.wrapped_key(case.key), table=TESTIMONY_TABLE, sealed=sealed
            )
    if case is None:
        record_denial(user, reference, attempted=action)
        raise CaseNotFound
    return CaseRecord(
        case=case,
        sub_patterns=tuple(row.code for row in case.sub_patterns.all()),
        perpetrators=tuple(row.code for row in case.perpetrators.all()),
        testimony=Testimony(**opened),
        break_glass=action == Action.CASE_BREAK_GLASS,
    )


def case_read(*, user: User, reference: str, access: Access = Access.VIEW) -> CaseRecord:
    """The case with `reference` and its testimony, if `user` has `access` to it.

    Raises CaseNotFound for missing and forbidden cases alike (and records the denial),
    and CryptoError when the testimony cannot be decrypted: never ciphertext as text.
    """
    return _read(visible_cases(user, access), user, reference, action=Action.CASE_VIEW)


def case_break_glass(*, supervisor: User, reference: str, reason: str) -> CaseRecord:
    """A supervisor opens a case of a team they oversee that was not shared with them.

    The written reason goes into the access log, flagged for auditors. Each opening is
    one read: no grant is created.
    """
    if len(reason.strip()) < MIN_BREAK_GLASS_REASON:
        raise ValueError("A break-glass reason must be written out.")
    cases = overseen_cases(supervisor)
    return _read(
        cases, supervisor, reference, action=Action.CASE_BREAK_GLASS, reason=reason.strip()
    )
