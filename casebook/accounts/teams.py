"""Teams and their membership."""

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import transaction
from django.db.models import QuerySet

from casebook.models import Team
from casebook.roles import Role

TEAM_GROUP_PREFIX = "team:"


def team_get_or_create(*, name: str) -> tuple[Team, bool]:
    """The team called `name`, created with its caseworkers' group if missing."""
    with transaction.atomic():
        team = Team.objects.filter(name=name).first()
        if team is not None:
            return team, False
        group = Group.objects.create(name=f"{TEAM_GROUP_PREFIX}{name}")
        return Team.objects.create(name=name, group=group), True


def team_add_member(*, team: Team, user: User, role: Role) -> None:
    """Caseworkers join the team's group; supervisors oversee the team."""
    if role == Role.CASEWORKER:
        user.groups.add(team.group)
    elif role == Role.SUPERVISOR:
        team.supervisors.add(user)
    else:
        raise ValueError(f"A {role} does not belong to a team.")


def teams_of(user: User | AnonymousUser) -> QuerySet[Team]:
    """The teams whose caseworkers' group this user is in (none for anyone else)."""
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(group__user=user)


def team_names() -> list[str]:
    return list(Team.objects.order_by("name").values_list("name", flat=True))
