"""Reads checked against a person's grants, each one hand-written statement prepared
once per connection on PostgreSQL (casebook.db.prepared): the case a reader opens, the
case a form submission already recorded, and which of a page of listed cases the
reader can open. Every request of a caseworker's day makes one of them, and building
the ORM's access-checked queries (unions of grants), and having PostgreSQL plan their
text anew each time, cost more than reading the rows did. Who may hold grants, their
groups and the teams they oversee are decided before any of them runs
(casebook.cases.selectors); elsewhere (SQLite under `make run`) the ORM reads the same.

Opening a case reads, before anything is decrypted or logged: the case with its
wrapped key and sealed testimony, its codes, whether its reader may also change or
delete it, and the survivor's other cases the reader can open.
"""

from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Exists, OuterRef, QuerySet

from casebook.cases.granted_list import permission_id
from casebook.db import columns_of, prepared
from casebook.models import CaseKey, CasePattern, CaseTestimony


@dataclass(frozen=True)
class CaseToOpen:
    """A case as its reader is about to open it; `case.key` and `case.testimony` are
    loaded (the testimony still sealed)."""

    case: CasePattern
    sub_patterns: frozenset[str]
    perpetrators: frozenset[str]
    may_change: bool
    may_delete: bool
    same_survivor_as: tuple[str, ...]


_CASE, _CASE_COLUMNS = columns_of(CasePattern, "c")
_KEY, _KEY_COLUMNS = columns_of(CaseKey, "k")
_TESTIMONY, _TESTIMONY_COLUMNS = columns_of(CaseTestimony, "t")


def _granted(permission: str, case: str) -> str:
    """Whether the case `case` is granted to the reader (directly or through one of
    their groups) with `permission`: two lookups in the grants' unique indexes."""
    granted = permission_id(permission)
    return f"""(
        EXISTS (SELECT 1 FROM casebook_caseusergrant
                 WHERE user_id = %(person)s AND permission_id = {granted}
                   AND content_object_id = {case})
        OR EXISTS (SELECT 1 FROM casebook_casegroupgrant
                    WHERE group_id = ANY(%(groups)s::integer[])
                      AND permission_id = {granted} AND content_object_id = {case}))"""  # noqa: S608 -- constants only


# The reader's own access (view, or change for the edit form) decides whether the case
# is found at all; deleting is granted, or comes with overseeing the case's team.
STATEMENT = f"""
    SELECT {_CASE_COLUMNS}, {_KEY_COLUMNS}, {_TESTIMONY_COLUMNS},
        ARRAY(SELECT code FROM casebook_casesubpattern WHERE case_id = c.id),
        ARRAY(SELECT code FROM casebook_caseperpetrator WHERE case_id = c.id),
        {_granted("'change_casepattern'", "c.id")},
        ({_granted("'delete_casepattern'", "c.id")} OR c.team_id = ANY(%(teams)s::integer[])),
        ARRAY(SELECT other.reference FROM casebook_casepattern AS other
               WHERE other.survivor_group = c.survivor_group AND other.id <> c.id
                 AND {_granted("'view_casepattern'", "other.id")}
               ORDER BY other.created_at, other.id)
      FROM casebook_casepattern AS c
      LEFT JOIN casebook_casekey AS k ON k.case_id = c.id
      LEFT JOIN casebook_casetestimony AS t ON t.case_id = c.id
     WHERE c.reference = %(reference)s AND {_granted("%(access)s", "c.id")}"""  # noqa: S608 -- constants only


def read_prepared(
    *, person: int, groups: list[int], teams: list[int], reference: str, access: str
) -> CaseToOpen | None:
    """The case `reference` if it is granted to the person `person` (in the groups
    `groups`) with the permission `access`; `teams` are the teams they oversee."""
    values = {
        "person": person,
        "groups": groups,
        "teams": teams,
        "reference": reference,
        "access": access,
    }
    found = prepared(STATEMENT, values)
    if not found:
        return None
    row = found[0]
    ends = (len(_CASE), len(_CASE) + len(_KEY), len(_CASE) + len(_KEY) + len(_TESTIMONY))
    case = CasePattern.from_db(DEFAULT_DB_ALIAS, _CASE, row[: ends[0]])
    # Absent only if a row was removed around the app: then, as through the ORM,
    # reaching case.key or case.testimony raises.
    if row[ends[0]] is not None:
        case.key = CaseKey.from_db(DEFAULT_DB_ALIAS, _KEY, row[ends[0] : ends[1]])
    if row[ends[1]] is not None:
        case.testimony = CaseTestimony.from_db(DEFAULT_DB_ALIAS, _TESTIMONY, row[ends[1] : ends[2]])
    sub_patterns, perpetrators, may_change, may_delete, same_survivor = row[ends[2] :]
    return CaseToOpen(
        case=case,
        sub_patterns=frozenset(sub_patterns),
        perpetrators=frozenset(perpetrators),
        may_change=may_change,
        may_delete=may_delete,
        same_survivor_as=tuple(same_survivor),
    )


# The case a form submission recorded, to open instead of recording it twice.
SUBMITTED = f"""
    SELECT c.reference FROM casebook_casepattern AS c
     WHERE c.author_id = %(person)s AND c.submission = %(submission)s
       AND {_granted("'view_casepattern'", "c.id")}"""  # noqa: S608 -- constants only


def submitted_prepared(*, person: int, groups: list[int], submission: Any) -> str | None:
    """The reference of the case the person `person` (in the groups `groups`) recorded
    with the form submission `submission`, if they can still open it."""
    found = prepared(SUBMITTED, {"person": person, "groups": groups, "submission": submission})
    return str(found[0][0]) if found else None


# Which of a page's cases (a supervisor's list also shows cases it cannot open).
OPENABLE = f"""
    SELECT listed.id FROM unnest(%(ids)s::uuid[]) AS listed (id)
     WHERE {_granted("'view_casepattern'", "listed.id")}"""  # noqa: S608 -- constants only


def openable_prepared(*, person: int, groups: list[int], ids: list[Any]) -> set[Any]:
    """Those of the cases `ids` that the person `person` (in the groups `groups`) can
    open."""
    found = prepared(OPENABLE, {"person": person, "groups": groups, "ids": ids})
    return {case_id for (case_id,) in found}


def read_through_orm(
    cases: QuerySet[CasePattern],
    reference: str,
    *,
    changeable: QuerySet[CasePattern],
    deletable: QuerySet[CasePattern],
    same_survivor: QuerySet[CasePattern],
) -> CaseToOpen | None:
    """The same, for the case `reference` among `cases`, where `changeable` and
    `deletable` are what its reader may change and delete, and `same_survivor` the
    cases they can open (in four queries)."""
    case = (
        cases.select_related("key", "testimony")
        .prefetch_related("sub_patterns", "perpetrators")
        .annotate(
            may_change=Exists(changeable.filter(pk=OuterRef("pk"))),
            may_delete=Exists(deletable.filter(pk=OuterRef("pk"))),
        )
        .filter(reference=reference)
        .first()
    )
    if case is None:
        return None
    others = (
        same_survivor.filter(survivor_group=case.survivor_group)
        .exclude(pk=case.pk)
        .order_by("created_at", "id")
        .values_list("reference", flat=True)
    )
    return CaseToOpen(
        case=case,
        sub_patterns=frozenset(row.code for row in case.sub_patterns.all()),
        perpetrators=frozenset(row.code for row in case.perpetrators.all()),
        may_change=case.may_change,
        may_delete=case.may_delete,
        same_survivor_as=tuple(others),
    )
