"""Who may see and change which case. Every query for cases starts here (the lists, in
casebook.cases.listing, are built on what is here).

Grants are guardian's per-object permissions, stored in the direct foreign-key
tables CaseUserGrant and CaseGroupGrant. There is no bypass: superusers, staff and
holders of global permissions see exactly what was shared with them, like anyone.
"""

import uuid
from enum import StrEnum
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser, Permission, User
from django.db import connection
from django.db.models import QuerySet, Subquery

from casebook.cases.granted_reads import (
    CaseToOpen,
    openable_prepared,
    read_prepared,
    read_through_orm,
    submitted_prepared,
)
from casebook.db import prepared
from casebook.models import CaseGroupGrant, CasePattern, CaseUserGrant, Team
from casebook.roles import Role, group_ids_of, role_of


class Access(StrEnum):
    VIEW = "view_casepattern"
    CHANGE = "change_casepattern"
    DELETE = "delete_casepattern"


# What sharing a case gives: caseworkers both read and edit the cases shared with them.
SHARED_ACCESS = (Access.VIEW, Access.CHANGE)


# The grants below are read whatever the person's role: whoever reads cases through them
# asks may_hold_grants first (visible_cases, and casebook.cases.listing, do).


def granted_case_ids(user: User, access: Access) -> QuerySet[CaseUserGrant, Any]:
    """Ids of the cases granted to the user directly or through one of their groups.

    A UNION of two index scans. Guardian's get_objects_for_user ORs permission
    subqueries, which defeats the case index on large tables (see bench/).
    """
    direct = direct_grants(user, access).values("content_object_id")
    through_groups = _group_grants(user, access).values("content_object_id")
    return direct.union(through_groups)


def direct_grants(user: User, access: Access) -> QuerySet[CaseUserGrant]:
    return CaseUserGrant.objects.filter(user=user, permission=_permission(access))


def _group_grants(user: User, access: Access) -> QuerySet[CaseGroupGrant]:
    return CaseGroupGrant.objects.filter(group__user=user, permission=_permission(access))


def grants_of_group(group: int, access: Access) -> QuerySet[CaseGroupGrant]:
    return CaseGroupGrant.objects.filter(group_id=group, permission=_permission(access))


def _permission(access: Access) -> Subquery:
    """The permission's id as a subquery PostgreSQL runs once, before the grants are read
    (joined instead, each grant index's order would be lost to the join, and a page of
    grants would be sorted from all of them)."""
    return Subquery(Permission.objects.filter(codename=access).order_by().values("id"))


# Only these roles ever open a case through a grant. A grant left behind when a
# caseworker becomes an auditor or administrator, or a team group an administrator
# joins, opens nothing.
CASE_ROLES = (Role.CASEWORKER, Role.SUPERVISOR)


def may_hold_grants(user: User | AnonymousUser) -> bool:
    return role_of(user) in CASE_ROLES and not user.is_superuser


def visible_cases(
    user: User | AnonymousUser, access: Access = Access.VIEW
) -> QuerySet[CasePattern]:
    """The cases whose content this user may open (or change, with Access.CHANGE).

    Only active caseworkers and supervisors hold grants; anonymous users, auditors,
    administrators, superusers and accounts with no or two roles see none. No flag or
    global permission adds any.
    """
    if not may_hold_grants(user):
        return CasePattern.objects.none()
    return CasePattern.objects.filter(pk__in=granted_case_ids(cast(User, user), access))


def supervised_teams(user: User | AnonymousUser) -> QuerySet[Team]:
    """The teams this user oversees: none unless their role is supervisor."""
    if role_of(user) != Role.SUPERVISOR:
        return Team.objects.none()
    return Team.objects.filter(supervisors=cast(User, user))


def overseen_cases(supervisor: User | AnonymousUser) -> QuerySet[CasePattern]:
    """The cases of the teams this supervisor oversees, for listing and sharing.

    This opens case metadata (reference, category, author, dates, grants) only;
    content opens through visible_cases alone.
    """
    return CasePattern.objects.filter(team__in=supervised_teams(supervisor))


def deletable_cases(user: User | AnonymousUser) -> QuerySet[CasePattern]:
    """Cases this user may delete: those granted for deletion (their own), or overseen."""
    if not may_hold_grants(user):
        return CasePattern.objects.none()
    return CasePattern.objects.filter(
        pk__in=granted_or_overseen_ids(cast(User, user), Access.DELETE)
    )


def granted_or_overseen_ids(user: User, access: Access) -> QuerySet[Any]:
    """Ids of the cases granted to `user` with `access`, and of the overseen teams' cases:
    two index-backed id sets joined by UNION (an OR across them would scan the table),
    so the cost grows with what the person may see, not with the table."""
    overseen = CasePattern.objects.filter(team__in=supervised_teams(user)).order_by().values("id")
    return granted_case_ids(user, access).union(overseen)


TEAMS_MEMO = "_casebook_supervised_team_ids"
_SUPERVISED = f"SELECT team_id FROM {Team.supervisors.through._meta.db_table} WHERE user_id = %s"  # noqa: S608


def supervised_team_ids(user: User) -> list[int]:
    """The team ids themselves (a supervisor oversees a few): with a subquery in their
    place PostgreSQL cannot tell that the team index gives the page in order.

    Memoised on the user object, like their role and groups (casebook.roles): a list
    request counts its cases and reads a page of them, and asks once."""
    if not hasattr(user, TEAMS_MEMO):
        if role_of(user) != Role.SUPERVISOR:
            teams = []
        elif connection.vendor == "postgresql":
            teams = [team for (team,) in prepared(_SUPERVISED, [user.pk])]
        else:
            teams = list(supervised_teams(user).order_by().values_list("id", flat=True))
        setattr(user, TEAMS_MEMO, teams)
    return list(getattr(user, TEAMS_MEMO))


def case_to_open(
    user: User | AnonymousUser, reference: str, access: Access = Access.VIEW
) -> CaseToOpen | None:
    """The case `reference` as `user` is about to open it, if it is visible to them with
    `access` (None for missing and forbidden alike), with what else they may do with it
    and the survivor's other cases they can open (never the others)."""
    if not may_hold_grants(user):
        return None
    holder = cast(User, user)
    if connection.vendor == "postgresql":
        return read_prepared(
            person=holder.pk,
            groups=group_ids_of(holder),
            teams=supervised_team_ids(holder),
            reference=reference,
            access=access.value,
        )
    return _read_through_orm(visible_cases(holder, access), holder, reference)


def openable_among(user: User | AnonymousUser, ids: list[Any]) -> set[Any]:
    """Those of the cases `ids` whose content `user` may open."""
    if not may_hold_grants(user) or not ids:
        return set()
    holder = cast(User, user)
    if connection.vendor == "postgresql":
        return openable_prepared(person=holder.pk, groups=group_ids_of(holder), ids=ids)
    return set(visible_cases(holder).filter(pk__in=ids).values_list("pk", flat=True))


def overseen_case_to_open(supervisor: User | AnonymousUser, reference: str) -> CaseToOpen | None:
    """The case `reference` of a team `supervisor` oversees, whether or not it is shared
    with them (for break-glass only)."""
    return _read_through_orm(overseen_cases(supervisor), supervisor, reference)


def _read_through_orm(
    cases: QuerySet[CasePattern], user: User | AnonymousUser, reference: str
) -> CaseToOpen | None:
    return read_through_orm(
        cases,
        reference,
        changeable=visible_cases(user, Access.CHANGE),
        deletable=deletable_cases(user),
        same_survivor=visible_cases(user),
    )


def submitted_case(author: User, submission: uuid.UUID | None) -> str | None:
    """The reference of the case `author` recorded with this form submission, if any
    (and only if they can still open it: one they cannot is as good as none)."""
    if submission is None:
        return None
    if may_hold_grants(author) and connection.vendor == "postgresql":
        return submitted_prepared(
            person=author.pk, groups=group_ids_of(author), submission=submission
        )
    return (
        visible_cases(author)
        .filter(author=author, submission=submission)
        .values_list("reference", flat=True)
        .first()
    )
