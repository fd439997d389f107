"""Saving, destroying and expiring drafts of cases (encrypted; opened only through
casebook.cases.access).

A draft is destroyed (its row, and with it its wrapped data key) when the case is
recorded or saved from it, when its author can no longer change the case it edits
(revoked or deleted), and DRAFT_DAYS after it was last saved. Every save and every
destruction is in the access log; what was typed never is.
"""

import datetime as dt
import json
import uuid

from django.contrib.auth.models import AnonymousUser, User
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.cases.selectors import Access, visible_cases
from casebook.crypto import envelope, keys
from casebook.db import prepared
from casebook.models import CaseDraft, CasePattern

DRAFT_TABLE = CaseDraft._meta.db_table
DRAFT_DAYS = 14
MAX_DRAFT_CHARS = 40_000  # the case form's own limits, with room for its coded fields


# The drafts every caseworker's list shows: prepared on PostgreSQL (casebook.db).
_LISTED = """
    SELECT d.id, d.updated_at, d.case_id, c.reference
      FROM casebook_casedraft AS d LEFT JOIN casebook_casepattern AS c ON c.id = d.case_id
     WHERE d.author_id = %s ORDER BY d.updated_at DESC LIMIT %s"""
_CASE_OF_DRAFT = CaseDraft._meta.get_field("case")


def drafts_listed(author: User | AnonymousUser, limit: int) -> list[CaseDraft]:
    """The author's own newest `limit` drafts, with the reference of the case each edits
    (metadata only: what was typed stays sealed, and is not even read)."""
    if not author.is_authenticated:
        return []
    if connection.vendor != "postgresql":
        drafts = CaseDraft.objects.filter(author=author).select_related("case")
        newest = drafts.only("id", "updated_at", "case__reference").order_by("-updated_at")
        return list(newest[:limit])
    listed = []
    for draft_id, updated_at, case_id, reference in prepared(_LISTED, [author.pk, limit]):
        draft = CaseDraft.from_db(
            DEFAULT_DB_ALIAS, ["id", "updated_at", "case_id"], (draft_id, updated_at, case_id)
        )
        case = None
        if case_id is not None:
            case = CasePattern.from_db(DEFAULT_DB_ALIAS, ["id", "reference"], (case_id, reference))
        _CASE_OF_DRAFT.set_cached_value(draft, case)
        listed.append(draft)
    return listed


class DraftRefused(Exception):
    """The draft cannot be saved as asked (too long, or not the author's); nothing was
    written."""


def draft_target(draft_id: uuid.UUID) -> str:
    return f"draft:{draft_id}"


def draft_key(draft: CaseDraft) -> envelope.WrappedKey:
    """The draft's own data key, as wrapped on its row."""
    return envelope.WrappedKey(
        case_id=str(draft.pk), kek_version=draft.kek_version, wrapped=bytes(draft.wrapped)
    )


@sensitive_variables()
def draft_save(
    *,
    author: User,
    form: dict[str, list[str]],
    case: CasePattern | None = None,
    draft_id: uuid.UUID | None = None,
    keep_for: dt.timedelta | None = None,
) -> CaseDraft:
    """Encrypt and keep what `author` typed (field name -> values), as a new draft or
    over their own draft `draft_id`. An edit draft needs change access to `case`.
    With `keep_for`, the draft is destroyed that long after now (a stash)."""
    text = json.dumps(form, ensure_ascii=False)
    if len(text) > MAX_DRAFT_CHARS:
        raise DraftRefused
    if case is not None and not visible_cases(author, Access.CHANGE).filter(pk=case.pk).exists():
        raise DraftRefused
    if draft_id is not None and not CaseDraft.objects.filter(pk=draft_id, author=author).exists():
        # Someone else's draft, or none: refused like a missing one, and recorded.
        log.record(
            Action.DRAFT_SAVE,
            actor=Actor.of(author),
            outcome=Outcome.DENIED,
            target=draft_target(draft_id),
        )
        raise DraftRefused
    ring = keys.keyring()
    with transaction.atomic():
        draft = None
        if draft_id is not None:
            draft = CaseDraft.objects.select_for_update().filter(pk=draft_id, author=author).first()
            if draft is None:
                raise DraftRefused
        if draft is None:
            draft = CaseDraft(id=uuid.uuid4(), author=author, case=case)
            key = envelope.new_case_key(ring, case_id=str(draft.pk))
            draft.kek_version, draft.wrapped = key.kek_version, key.wrapped
        sealed = envelope.seal_fields(
            ring, draft_key(draft), table=DRAFT_TABLE, fields={"form": text}
        )
        draft.sealed = sealed["form"]
        draft.expires_at = timezone.now() + keep_for if keep_for else None
        draft.save()
        log.record(Action.DRAFT_SAVE, actor=Actor.of(author), target=draft_target(draft.pk))
    return draft


def draft_destroy(*, author: User, draft_id: uuid.UUID) -> bool:
    """Destroy one of the author's drafts; False when there was none."""
    with transaction.atomic():
        deleted, _ = CaseDraft.objects.filter(pk=draft_id, author=author).delete()
        if deleted:
            log.record(Action.DRAFT_DESTROY, actor=Actor.of(author), target=draft_target(draft_id))
    return bool(deleted)


def drafts_lose_access(case: CasePattern, *, reason: str, every: bool = False) -> int:
    """Destroy the drafts of `case` whose authors can no longer change it (or all of
    them, with `every`, when the case itself goes). Call in the transaction that took the
    access away."""
    gone = 0
    for draft in CaseDraft.objects.filter(case=case).select_related("author"):
        if every or not visible_cases(draft.author, Access.CHANGE).filter(pk=case.pk).exists():
            draft_id = draft.pk
            draft.delete()
            log.record(
                Action.DRAFT_DESTROY, actor=Actor.system(reason), target=draft_target(draft_id)
            )
            gone += 1
    return gone


def drafts_expire(now: dt.datetime | None = None) -> int:
    """Destroy every draft last saved more than DRAFT_DAYS ago, and every stash past its
    hour."""
    moment = now or timezone.now()
    cutoff = moment - dt.timedelta(days=DRAFT_DAYS)
    with transaction.atomic():
        expired = list(
            CaseDraft.objects.filter(
                Q(updated_at__lt=cutoff) | Q(expires_at__lt=moment)
            ).values_list("pk", flat=True)
        )
        CaseDraft.objects.filter(pk__in=expired).delete()
        for draft_id in expired:
            log.record(
                Action.DRAFT_DESTROY,
                actor=Actor.system("casebook_jobs"),
                target=draft_target(draft_id),
            )
    return len(expired)
