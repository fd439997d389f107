"""The only code path that returns decrypted testimony.

Each read fetches the case among those visible to the user (selectors.case_to_open;
for break-glass, among the supervisor's overseen cases), writes its access event in
the same transaction, and only then decrypts: a read whose event cannot be written is
not served. Missing and forbidden cases both raise CaseNotFound, and the denial is
recorded.
"""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.cases.drafts import DRAFT_TABLE, draft_key, draft_target
from casebook.cases.granted_reads import CaseToOpen
from casebook.cases.records import TESTIMONY_TABLE, CaseRecord, Pattern, Testimony
from casebook.cases.selectors import Access, case_to_open, overseen_case_to_open
from casebook.crypto import envelope, keys
from casebook.models import CaseDraft, CasePattern

MIN_BREAK_GLASS_REASON = 20


class CaseNotFound(Exception):
    """No such case for this user: missing and forbidden look the same."""


class DraftNotFound(Exception):
    """No such draft of this user's: missing and someone else's look the same."""


@dataclass(frozen=True)
class DraftRecord:
    """A draft as its author reopens it: what was typed."""

    id: uuid.UUID
    form: dict[str, list[str]] = field(repr=False)

    def __repr__(self) -> str:
        return f"DraftRecord({self.id}, form=<redacted>)"


def record_denial(
    user: User | AnonymousUser, reference: str, *, attempted: str, folded: int = 0
) -> None:
    """Record a refused attempt on a case URL (missing and forbidden alike); `folded`
    repeats were counted, not written, since the last one (casebook.audit.flood)."""
    details: dict[str, object] = {"method": attempted}
    if folded:
        details["folded"] = folded
    log.record(
        Action.CASE_ACCESS,
        actor=Actor.of(user),
        outcome=Outcome.DENIED,
        target=reference,
        details=details,
    )


@sensitive_variables()
def _read(
    find: Callable[[], CaseToOpen | None],
    user: User,
    reference: str,
    *,
    action: str,
    reason: str = "",
) -> CaseRecord:
    try:
        with transaction.atomic():
            found, opened = _read_and_open(find, user, reference, action=action, reason=reason)
    except envelope.CryptoError as error:
        # The read's event rolled back with it: the failure is recorded on its own, after
        # the rollback, so that the sign of tampering reaches the log auditors verify.
        _record_decrypt_failure(user, reference, error)
        raise
    if found is None:
        record_denial(user, reference, attempted=action)
        raise CaseNotFound
    return _record_of(found, opened, action)


def _record_decrypt_failure(user: User, reference: str, error: Exception) -> None:
    version = CasePattern.objects.filter(reference=reference).values_list(
        "key__kek_version", flat=True
    )
    log.record(
        Action.CASE_DECRYPT_FAILED,
        actor=Actor.of(user),
        outcome=Outcome.ERROR,
        target=reference,
        details={"key_version": version.first(), "result": type(error).__name__},
    )


@sensitive_variables()
def _read_and_open(
    find: Callable[[], CaseToOpen | None], user: User, reference: str, *, action: str, reason: str
) -> tuple[CaseToOpen | None, dict[str, str]]:
    """Inside the caller's transaction: the case, its read recorded, and its testimony
    opened (no log, no access)."""
    found = find()
    if found is None:
        return None, {}
    case = found.case
    # Logged before decryption, in the same transaction: no log, no access.
    log.record(action, actor=Actor.of(user), target=reference, reason=reason)
    sealed = {name: bytes(getattr(case.testimony, name)) for name in Testimony.FIELDS}
    if case.testimony.confirmed_identifiers is not None:
        sealed[Testimony.CONFIRMED] = bytes(case.testimony.confirmed_identifiers)
    opened = envelope.open_fields(
        keys.keyring(), keys.wrapped_key(case.key), table=TESTIMONY_TABLE, sealed=sealed
    )
    return found, opened


def _record_of(found: CaseToOpen, opened: dict[str, str], action: str) -> CaseRecord:
    case = found.case
    return CaseRecord(
        reference=case.reference,
        version=case.version,
        created_at=case.created_at,
        updated_at=case.updated_at,
        pattern=Pattern(
            **{name: getattr(case, name) for name in Pattern.SCALARS},
            sub_patterns=found.sub_patterns,
            perpetrators=found.perpetrators,
        ),
        testimony=Testimony(
            **{name: opened[name] for name in Testimony.FIELDS},
            confirmed_identifiers=frozenset(json.loads(opened.get(Testimony.CONFIRMED, "[]"))),
        ),
        break_glass=action == Action.CASE_BREAK_GLASS,
        same_survivor_as=found.same_survivor_as,
        may_change=found.may_change,
        may_delete=found.may_delete,
    )


def case_read(*, user: User, reference: str, access: Access = Access.VIEW) -> CaseRecord:
    """The case with `reference` and its testimony, if `user` has `access` to it.

    Raises CaseNotFound for missing and forbidden cases alike (and records the denial),
    and CryptoError when the testimony cannot be decrypted: never ciphertext as text.
    """
    return _read(
        lambda: case_to_open(user, reference, access), user, reference, action=Action.CASE_VIEW
    )


def case_break_glass(*, supervisor: User, reference: str, reason: str) -> CaseRecord:
    """A supervisor opens a case of a team they oversee that was not shared with them.

    The written reason goes into the access log, flagged for auditors. Each opening is
    one read: no grant is created.
    """
    if len(reason.strip()) < MIN_BREAK_GLASS_REASON:
        raise ValueError("A break-glass reason must be written out.")
    return _read(
        lambda: overseen_case_to_open(supervisor, reference),
        supervisor,
        reference,
        action=Action.CASE_BREAK_GLASS,
        reason=reason.strip(),
    )


@sensitive_variables()
def draft_open(*, author: User, draft_id: uuid.UUID) -> DraftRecord:
    """One of `author`'s drafts, decrypted, the opening logged first (same transaction).

    Raises DraftNotFound for a missing draft and for anyone else's, and records it."""
    with transaction.atomic():
        draft = (
            CaseDraft.objects.filter(pk=draft_id, author=author)
            .exclude(expires_at__lt=timezone.now())
            .first()
        )
        if draft is not None:
            log.record(Action.DRAFT_OPEN, actor=Actor.of(author), target=draft_target(draft_id))
            key = draft_key(draft)
            opened = envelope.open_fields(
                keys.keyring(), key, table=DRAFT_TABLE, sealed={"form": bytes(draft.sealed)}
            )
    if draft is None:
        log.record(
            Action.DRAFT_OPEN,
            actor=Actor.of(author),
            outcome=Outcome.DENIED,
            target=draft_target(draft_id),
        )
        raise DraftNotFound
    return DraftRecord(
        id=draft.pk,
        form=json.loads(opened["form"]),
    )
