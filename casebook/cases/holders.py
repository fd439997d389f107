"""Who holds each case: by account and team for the sharing page, by name for a
supervisor's list (fifty rows). Grants only: whether a holder may still open the case
is decided by casebook.cases.selectors."""

from typing import Any, TypedDict

from django.contrib.auth.models import User
from django.db import connection

from casebook.cases.granted_list import permission_id
from casebook.cases.selectors import Access
from casebook.db import prepared
from casebook.models import CaseGroupGrant, CaseUserGrant, Team


class Holders(TypedDict):
    users: list[User]
    teams: list[Team]


def grant_holders(case_ids: list[Any]) -> dict[Any, Holders]:
    """Who can open each case: {case_id: {"users": [...], "teams": [...]}}, in two queries."""
    holders: dict[Any, Holders] = {case_id: {"users": [], "teams": []} for case_id in case_ids}
    user_grants = CaseUserGrant.objects.filter(
        content_object_id__in=case_ids, permission__codename=Access.VIEW
    ).select_related("user")
    for grant in user_grants.order_by("user__username"):
        holders[grant.content_object_id]["users"].append(grant.user)
    group_grants = CaseGroupGrant.objects.filter(
        content_object_id__in=case_ids, permission__codename=Access.VIEW, group__team__isnull=False
    ).select_related("group__team")
    for team_grant in group_grants.order_by("group__team__name"):
        holders[team_grant.content_object_id]["teams"].append(team_grant.group.team)
    return holders


class HolderNames(TypedDict):
    users: list[str]
    teams: list[str]


_VIEW = permission_id("'view_casepattern'")
# A supervisor's list page: prepared on PostgreSQL (casebook.db).
_NAMES = f"""
    SELECT grant_of.content_object_id, 'users', account.username
      FROM casebook_caseusergrant AS grant_of
      JOIN auth_user AS account ON account.id = grant_of.user_id
     WHERE grant_of.content_object_id = ANY(%s::uuid[]) AND grant_of.permission_id = {_VIEW}
    UNION ALL
    SELECT grant_of.content_object_id, 'teams', team.name
      FROM casebook_casegroupgrant AS grant_of
      JOIN casebook_team AS team ON team.group_id = grant_of.group_id
     WHERE grant_of.content_object_id = ANY(%s::uuid[]) AND grant_of.permission_id = {_VIEW}
     ORDER BY 2 DESC, 3"""  # noqa: S608 -- constants only


def holder_names(case_ids: list[Any]) -> dict[Any, HolderNames]:
    """Who can open each case, by name (usernames and team names, each sorted), for a
    list of cases: the names alone, no accounts or teams loaded (one statement)."""
    names: dict[Any, HolderNames] = {case_id: {"users": [], "teams": []} for case_id in case_ids}
    if connection.vendor == "postgresql":
        for case_id, kind, name in prepared(_NAMES, [case_ids, case_ids]):
            names[case_id][kind].append(name)  # type: ignore[literal-required]
        return names
    people = CaseUserGrant.objects.filter(
        content_object_id__in=case_ids, permission__codename=Access.VIEW
    ).order_by("user__username")
    for case_id, username in people.values_list("content_object_id", "user__username"):
        names[case_id]["users"].append(username)
    teams = CaseGroupGrant.objects.filter(
        content_object_id__in=case_ids, permission__codename=Access.VIEW, group__team__isnull=False
    ).order_by("group__team__name")
    for case_id, team in teams.values_list("content_object_id", "group__team__name"):
        names[case_id]["teams"].append(team)
    return names
