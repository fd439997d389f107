"""Joining a team: asked for when the account is made, approved by one of the team's
supervisors. Until then a caseworker sees no case shared with the team, and a supervisor
invited in the browser oversees none of its cases (an administrator alone cannot make
someone who reads a team's cases)."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from casebook.accounts.teams import team_add_member
from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.models import MembershipRequest, Team
from casebook.roles import Role, role_of


def membership_request(*, team: Team, user: User, actor: Actor) -> None:
    with transaction.atomic():
        _request, created = MembershipRequest.objects.get_or_create(
            team=team, user=user, defaults={"requested_at": timezone.now()}
        )
        if created:
            log.record(
                Action.TEAM_JOIN_REQUEST,
                actor=actor,
                target=user.get_username(),
                details={"holder": team.name},
            )


def membership_requests_for(supervisor: User) -> QuerySet[MembershipRequest]:
    """Requests to join the teams this supervisor oversees, oldest first."""
    return (
        MembershipRequest.objects.filter(team__supervisors=supervisor, user__is_active=True)
        .select_related("team", "user")
        .order_by("requested_at")
    )


def membership_decide(*, supervisor: User, request_id: int, approve: bool) -> bool:
    """Approve or decline one request to join a team this supervisor oversees; False
    (and a recorded refusal) when there is no such request (decided already, or not
    theirs to decide)."""
    with transaction.atomic():
        request = (
            membership_requests_for(supervisor)
            .select_for_update(of=("self",))
            .filter(pk=request_id)
            .first()
        )
        if request is None:
            log.record(
                Action.TEAM_JOIN_APPROVE if approve else Action.TEAM_JOIN_DECLINE,
                actor=Actor.of(supervisor),
                outcome=Outcome.DENIED,
                target=f"request:{request_id}",
            )
            return False
        role = role_of(request.user)
        if approve and role in (Role.CASEWORKER, Role.SUPERVISOR):
            team_add_member(team=request.team, user=request.user, role=role)
        request.delete()
        log.record(
            Action.TEAM_JOIN_APPROVE if approve else Action.TEAM_JOIN_DECLINE,
            actor=Actor.of(supervisor),
            target=request.user.get_username(),
            details={"holder": request.team.name},
        )
    return True
