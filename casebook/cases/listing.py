"""The case lists and the survivor picker: the cases a person's list shows, read a page
at a time, and counted, at a cost that grows with what the person may see, not with the
table (casebook.cases.selectors says who may see what)."""

from typing import Any, cast

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import QuerySet

from casebook.cases.granted_list import GrantedList
from casebook.cases.selectors import (
    Access,
    direct_grants,
    granted_case_ids,
    granted_or_overseen_ids,
    grants_of_group,
    may_hold_grants,
    supervised_team_ids,
    visible_cases,
)
from casebook.db import IdsInOrder, RowsByIds
from casebook.models import CasePattern
from casebook.roles import group_ids_of

# What a supervisor's list shows of every overseen case, and so may filter by.
OVERSEEN_FILTERS = {"primary_category", "reference__startswith", "author_id"}


def listed_cases(
    user: User | AnonymousUser, *, include_overseen: bool, filters: dict[str, object]
) -> QuerySet[CasePattern]:
    """The case list: visible cases, plus the overseen teams' cases for supervisors.

    Overseen cases show only their reference, category and author, so only those
    filters apply to them: filtering them by year or status would reveal what the page
    hides.
    """
    visible = visible_cases(user).filter(**filters)
    if not include_overseen or set(filters) - OVERSEEN_FILTERS:
        return visible
    if not may_hold_grants(user):
        return CasePattern.objects.none()
    return CasePattern.objects.filter(
        pk__in=granted_or_overseen_ids(cast(User, user), Access.VIEW)
    ).filter(**filters)


# The list's own order, which the grants' and the teams' indexes hold.
NEWEST_FIRST = ("-created_at", "-id")


def listed_case_parts(
    user: User | AnonymousUser,
    *,
    include_overseen: bool,
    filters: dict[str, object],
    order: tuple[str, ...] = NEWEST_FIRST,
) -> list[QuerySet[CasePattern] | RowsByIds | GrantedList]:
    """The case list as parts whose union it is, each of which a page can be read from in
    order with a LIMIT on its own index, so that a page costs what a page of ids costs,
    however many cases the person may see.

    Newest first and unfiltered, the list is read as ids: the person's direct grants,
    each of their groups' grants (a grant carries its case's created_at) and, for
    supervisors, each overseen team's cases (by the team index); then the page's cases
    are fetched. On PostgreSQL, one prepared statement does all that (GrantedList).
    Otherwise, the visible cases and the overseen teams' cases are paged apart and
    merged: one ORDER BY over their union would make PostgreSQL guess the union's size
    (and at a million cases, guess a table scan)."""
    if not filters and order == NEWEST_FIRST and may_hold_grants(user):
        holder = cast(User, user)
        if granted := _granted_list(holder, include_overseen=include_overseen):
            return [granted]
        # Each group's grants apart: read through the membership join, a case shared
        # with two of the person's teams would come twice and crowd the LIMIT.
        grants = [
            direct_grants(holder, Access.VIEW),
            *(grants_of_group(group, Access.VIEW) for group in group_ids_of(holder)),
        ]
        ids = [IdsInOrder(part, "case_created_at", "content_object_id") for part in grants]
        if include_overseen:
            ids += [
                IdsInOrder(CasePattern.objects.filter(team_id=team), "created_at", "id")
                for team in supervised_team_ids(holder)
            ]
        return [RowsByIds(CasePattern.objects.all(), tuple(ids), NEWEST_FIRST)]
    visible = visible_cases(user).filter(**filters)
    if not include_overseen or set(filters) - OVERSEEN_FILTERS:
        return [visible]
    if not may_hold_grants(user):
        return [CasePattern.objects.none()]
    teams = supervised_team_ids(cast(User, user))
    return [visible, CasePattern.objects.filter(team_id__in=teams, **filters)]


def listed_to_count(
    user: User | AnonymousUser, *, include_overseen: bool, filters: dict[str, object]
) -> QuerySet[Any] | GrantedList:
    """What to count for the list's total: without filters, the case ids themselves
    (grants and overseen teams' index entries; every grant's case exists), so that
    counting never reads a case row; with filters, the listed cases."""
    if filters or not may_hold_grants(user):
        return listed_cases(user, include_overseen=include_overseen, filters=filters)
    holder = cast(User, user)
    if granted := _granted_list(holder, include_overseen=include_overseen):
        return granted
    if include_overseen:
        return granted_or_overseen_ids(holder, Access.VIEW)
    return granted_case_ids(holder, Access.VIEW)


def _granted_list(user: User, *, include_overseen: bool) -> GrantedList | None:
    """The unfiltered list of someone who may hold grants, as PostgreSQL reads it."""
    if connection.vendor != "postgresql":
        return None
    teams = supervised_team_ids(user) if include_overseen else []
    return GrantedList(user.pk, tuple(group_ids_of(user)), tuple(teams))


# The picker of "same survivor as..." lists a caseworker's newest visible cases.
LINKABLE_LIMIT = 1000


def linkable_cases(user: User | AnonymousUser, *, besides: str = "") -> list[tuple[str, str, int]]:
    """(reference, category code, year) of the cases this user could mark as the same
    survivor's: only cases they can open, never a search over anyone else's."""
    if may_hold_grants(user) and connection.vendor == "postgresql":
        holder = cast(User, user)
        newest = GrantedList(holder.pk, tuple(group_ids_of(holder)), ()).picked(LINKABLE_LIMIT + 1)
        return [case for case in newest if case[0] != besides][:LINKABLE_LIMIT]
    return list(
        visible_cases(user)
        .exclude(reference=besides)
        .order_by("-created_at", "-id")
        .values_list("reference", "primary_category", "year")[:LINKABLE_LIMIT]
    )
