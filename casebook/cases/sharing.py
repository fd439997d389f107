"""Sharing a case with a person or a team, and revoking it. Supervisors only."""

from typing import cast

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.cases.drafts import drafts_lose_access
from casebook.cases.selectors import SHARED_ACCESS, Access, supervised_teams
from casebook.models import CaseGroupGrant, CasePattern, CaseUserGrant, Team
from casebook.roles import Role, role_of


class SharingRefused(Exception):
    """The sharing change is not allowed; nothing was written."""


def sharing_targets(supervisor: User) -> tuple[list[User], list[Team]]:
    """Whom a supervisor may share with: their teams, and the caseworkers on them.

    Never another supervisor: supervisors open a case only by break-glass, with a
    written reason, so two supervisors cannot open cases for each other by sharing.
    """
    teams = list(supervised_teams(supervisor))
    members = (
        User.objects.filter(is_active=True, is_superuser=False, groups__team__in=teams)
        .filter(groups__name=Role.CASEWORKER.value)
        .distinct()
        .order_by("username")
    )
    people = [user for user in members if role_of(user) == Role.CASEWORKER]
    return people, teams


def _check_may_share(supervisor: User, case: CasePattern) -> None:
    if role_of(supervisor) != Role.SUPERVISOR:
        raise SharingRefused(_("Only supervisors share cases."))
    if not supervised_teams(supervisor).filter(pk=case.team_id).exists():
        raise SharingRefused(_("You do not supervise this case's team."))


def _holder(user: User | None, team: Team | None) -> tuple[object, str]:
    if (user is None) == (team is None):
        raise SharingRefused(_("Choose one person or one team."))
    if user is not None:
        return user, f"user:{user.get_username()}"
    chosen = cast(Team, team)
    return chosen.group, f"team:{chosen.name}"


def case_share(
    *, supervisor: User, case: CasePattern, user: User | None = None, team: Team | None = None
) -> bool:
    """Share a case of a supervised team with one of its members or with a team.

    Returns False, and changes nothing, when that person or team can already open it."""
    _check_may_share(supervisor, case)
    holder, label = _holder(user, team)
    people, teams = sharing_targets(supervisor)
    if user is not None and user not in people:
        raise SharingRefused(_("You can share only with members of your own teams."))
    if team is not None and team not in teams:
        raise SharingRefused(_("You can share only with your own teams."))
    if _holds(case, user, team):
        return False
    with transaction.atomic():
        for access in SHARED_ACCESS:
            assign_perm(access.value, holder, case)
        log.record(
            Action.CASE_SHARE,
            actor=Actor.of(supervisor),
            target=case.reference,
            details={"holder": label},
        )
    return True


def _holds(case: CasePattern, user: User | None, team: Team | None) -> bool:
    """Whether this person (directly) or team already holds the case."""
    if user is not None:
        grants = CaseUserGrant.objects.filter(user=user)
    else:
        grants = CaseGroupGrant.objects.filter(group=cast(Team, team).group)
    return grants.filter(content_object=case, permission__codename=Access.VIEW).exists()


def case_unshare(
    *, supervisor: User, case: CasePattern, user: User | None = None, team: Team | None = None
) -> None:
    """Revoke a grant on a case of a supervised team. The author keeps their own case."""
    _check_may_share(supervisor, case)
    holder, label = _holder(user, team)
    if user is not None and user.pk == case.author_id:
        raise SharingRefused(_("The author of a case keeps access to it."))
    with transaction.atomic():
        # Revoking takes everything the holder had, deletion included (the author's).
        for access in (*SHARED_ACCESS, Access.DELETE):
            remove_perm(access.value, holder, case)
        drafts_lose_access(case, reason="case_unshare")
        log.record(
            Action.CASE_UNSHARE,
            actor=Actor.of(supervisor),
            target=case.reference,
            details={"holder": label},
        )
