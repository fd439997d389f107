"""Every change to a case. Each service runs in one transaction with its access event.

Sharing lives in casebook.cases.sharing. Callers fetch the case through the selectors
(casebook.cases.selectors) before calling a service that takes a case.
"""

import json
import uuid
from typing import Any

from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.cases.drafts import drafts_lose_access
from casebook.cases.recorded_rows import rows_insert
from casebook.cases.records import (
    KEEP_SURVIVOR_LINK,
    TESTIMONY_TABLE,
    Pattern,
    SurvivorLink,
    Testimony,
)
from casebook.cases.selectors import SHARED_ACCESS, Access, visible_cases
from casebook.crypto import envelope, keys
from casebook.db import fault_pause
from casebook.models import (
    CaseKey,
    CasePattern,
    CasePerpetrator,
    CaseSubPattern,
    CaseTestimony,
    CaseUserGrant,
    Team,
)


class StaleCase(Exception):
    """Someone saved the case after this edit began; nothing was written."""


class CaseUnavailable(Exception):
    """The case was deleted, or the editor's access revoked, while the edit was open."""


class LinkUnavailable(Exception):
    """The case chosen as "same survivor" is not one the caseworker can open; nothing
    was written."""


@sensitive_variables()
def _sealed(
    ring: envelope.Keyring, key: envelope.WrappedKey, testimony: Testimony
) -> dict[str, Any]:
    """The testimony's row: its fields encrypted, with their keyed digests."""
    fields = testimony.as_fields()
    digests = envelope.field_digests(ring, key, table=TESTIMONY_TABLE, fields=fields)
    confirmed = json.dumps(sorted(testimony.confirmed_identifiers), ensure_ascii=False)
    sealed = envelope.seal_fields(
        ring, key, table=TESTIMONY_TABLE, fields={**fields, Testimony.CONFIRMED: confirmed}
    )
    return {**sealed, "digests": digests}


def _store_testimony(
    case: CasePattern, key: envelope.WrappedKey, testimony: Testimony
) -> list[str]:
    """Encrypt and store the testimony; returns the names of the fields that changed."""
    row = _sealed(keys.keyring(), key, testimony)
    previous = CaseTestimony.objects.filter(case=case).values_list("digests", flat=True).first()
    CaseTestimony.objects.update_or_create(case=case, defaults=row)
    return [name for name in Testimony.FIELDS if (previous or {}).get(name) != row["digests"][name]]


def _store_codes(case: CasePattern, pattern: Pattern) -> list[str]:
    """Replace the multi-valued codes; returns which of the two lists changed."""
    old_subs = set(case.sub_patterns.values_list("code", flat=True))
    old_perpetrators = set(case.perpetrators.values_list("code", flat=True))
    case.sub_patterns.all().delete()
    case.perpetrators.all().delete()
    CaseSubPattern.objects.bulk_create(
        [CaseSubPattern(case=case, code=code) for code in sorted(pattern.sub_patterns)]
    )
    CasePerpetrator.objects.bulk_create(
        [CasePerpetrator(case=case, code=code) for code in sorted(pattern.perpetrators)]
    )
    changed = []
    if old_subs != pattern.sub_patterns:
        changed.append("sub_patterns")
    if old_perpetrators != pattern.perpetrators:
        changed.append("perpetrators")
    return changed


def _store_new_codes(case: CasePattern, pattern: Pattern) -> None:
    """A new case's multi-valued codes (it has none to replace)."""
    CaseSubPattern.objects.bulk_create(
        [CaseSubPattern(case=case, code=code) for code in sorted(pattern.sub_patterns)]
    )
    CasePerpetrator.objects.bulk_create(
        [CasePerpetrator(case=case, code=code) for code in sorted(pattern.perpetrators)]
    )


AUTHOR_ACCESS = [access.value for access in (*SHARED_ACCESS, Access.DELETE)]


def _grant_author(case: CasePattern, author: User) -> None:
    """A new case's author may view, change and delete it: its three grants written in
    one statement (guardian's assign_perm takes six, one grant at a time)."""
    permissions = Permission.objects.filter(
        content_type=ContentType.objects.get_for_model(CasePattern), codename__in=AUTHOR_ACCESS
    ).values_list("id", flat=True)
    CaseUserGrant.objects.bulk_create(
        CaseUserGrant(
            user=author, permission_id=permission, content_object=case,
            case_created_at=case.created_at,
        )
        for permission in permissions
    )  # fmt: skip


def _link_survivor(case: CasePattern, editor: User, link: SurvivorLink) -> str | None:
    """Apply a "same survivor as..." choice to this case alone; returns the reference it
    was linked to ("" when separated), or None when nothing changed.

    Only the edited case moves: never the other cases of its former group, which the
    editor may not be able to see (moving them could take them out of the counts
    unseen). Separating gives the case a fresh random group. Raises LinkUnavailable
    unless the chosen case is one `editor` can open.
    """
    if link.separate:
        CasePattern.objects.filter(pk=case.pk).update(survivor_group=uuid.uuid4())
        return ""
    if not link.reference:
        return None
    target = visible_cases(editor).exclude(pk=case.pk).filter(reference=link.reference).first()
    if target is None:
        raise LinkUnavailable
    if target.survivor_group == case.survivor_group:
        return None
    CasePattern.objects.filter(pk=case.pk).update(survivor_group=target.survivor_group)
    return target.reference


def _link_details(linked: str | None) -> dict[str, str]:
    """What the access log says of a link: the case linked to, for the auditors."""
    if linked is None:
        return {}
    return {"linked": linked or "separated"}


@sensitive_variables()
def case_create(
    *,
    author: User,
    team: Team,
    pattern: Pattern,
    testimony: Testimony,
    survivor: SurvivorLink = KEEP_SURVIVOR_LINK,
    submission: uuid.UUID | None = None,
) -> CasePattern:
    """Record a new case with its own data key. Its author gets view, change and delete.

    `submission` is the form's single-use value: a second case with the same one raises
    IntegrityError and writes nothing (casebook.cases.selectors.submitted_case finds the
    first)."""
    with transaction.atomic():
        case = CasePattern(
            author=author, team=team, submission=submission, **pattern.scalar_fields()
        )
        ring = keys.keyring()  # checked once for the key and the testimony
        if connection.vendor == "postgresql":  # in one statement (casebook.cases.recorded_rows)
            key = envelope.new_case_key(ring, case_id=str(case.pk))
            sealed = _sealed(ring, key, testimony)
            rows_insert(case, pattern=pattern, key=key, sealed=sealed, access=AUTHOR_ACCESS)
        else:
            case.save(force_insert=True)
            _store_new_codes(case, pattern)
            key = keys.case_key_create(case, ring)
            CaseTestimony.objects.create(case=case, **_sealed(ring, key, testimony))
            _grant_author(case, author)
        linked = _link_survivor(case, author, survivor)
        log.record(
            Action.CASE_CREATE,
            actor=Actor.of(author),
            target=case.reference,
            details=_link_details(linked),
        )
        fault_pause("case_create_before_commit")  # the fault suite's hook; else nothing
    return case


@sensitive_variables()
def case_update(
    *,
    case: CasePattern,
    editor: User,
    expected_version: int,
    pattern: Pattern,
    testimony: Testimony,
    survivor: SurvivorLink = KEEP_SURVIVOR_LINK,
) -> int:
    """Save new codes and testimony if nobody saved since `expected_version`.

    Returns the new version. A stale edit raises StaleCase and overwrites nothing; access
    is checked again under the row lock, so a revocation that lands first wins. The
    access event names the changed fields, never their values.
    """
    with transaction.atomic():
        current = (
            visible_cases(editor, Access.CHANGE).select_for_update().filter(pk=case.pk).first()
        )
        if current is None:
            raise CaseUnavailable
        if current.version != expected_version:
            raise StaleCase
        changed = [n for n, v in pattern.scalar_fields().items() if getattr(current, n) != v]
        CasePattern.objects.filter(pk=case.pk).update(
            version=F("version") + 1, updated_at=timezone.now(), **pattern.scalar_fields()
        )
        changed += _store_codes(current, pattern)
        key = keys.wrapped_key(CaseKey.objects.get(case=case))
        changed += _store_testimony(current, key, testimony)
        linked = _link_survivor(current, editor, survivor)
        if linked is not None:
            changed.append("same_survivor")
        log.record(
            Action.CASE_UPDATE,
            actor=Actor.of(editor),
            target=case.reference,
            details={"changed": changed, **_link_details(linked)},
        )
    return expected_version + 1


def case_delete(*, actor: User, case: CasePattern) -> None:
    """Delete a case and, with it, its data key: its testimony is gone from the live database.

    The caller must have fetched `case` through deletable_cases(actor). A backup taken
    earlier still holds the wrapped key until its KEK version is rotated out and retired.
    """
    with transaction.atomic():
        drafts_lose_access(case, reason="case_delete", every=True)
        CasePattern.objects.filter(pk=case.pk).delete()
        log.record(Action.CASE_DELETE, actor=Actor.of(actor), target=case.reference)
