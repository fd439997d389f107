"""Teams and their membership."""

from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser, Group, User
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import QuerySet

from casebook.db import prepared
from casebook.models import Team
from casebook.roles import Role, group_ids_of

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


# Every opening and recording of a case asks: prepared on PostgreSQL (casebook.db).
_TEAMS_OF = "SELECT id, name, group_id FROM casebook_team WHERE group_id = ANY(%s::integer[])"


def teams_of(user: User | AnonymousUser) -> list[Team]:
    """The teams whose caseworkers' group this user is in (none for anyone else), by
    name; their groups are read with the account (casebook.roles.group_ids_of)."""
    if not user.is_authenticated:
        return []
    if connection.vendor != "postgresql":
        return list(Team.objects.filter(group__user=user).order_by("name"))
    found = prepared(_TEAMS_OF, [group_ids_of(user)])
    teams = [Team.from_db(DEFAULT_DB_ALIAS, ["id", "name", "group_id"], row) for row in found]
    return sorted(teams, key=lambda team: team.name)


def teams_among(teams: Sequence[Team]) -> QuerySet[Team]:
    """The same teams as a queryset, by name: a form offers and checks its choice
    from it, and reads it only when it does."""
    return Team.objects.filter(pk__in=[team.pk for team in teams]).order_by("name")


def team_names() -> list[str]:
    return list(Team.objects.order_by("name").values_list("name", flat=True))
