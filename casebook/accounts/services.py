"""Creating accounts with exactly one role."""

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casebook.accounts.teams import team_add_member, team_get_or_create
from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.roles import Role

TEAM_ROLES = {Role.CASEWORKER, Role.SUPERVISOR}


class AccountRefused(Exception):
    """The account cannot be created as asked; nothing was written."""


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise AccountRefused(
            _("Unknown role '%(role)s'. Choose one of: %(choices)s.")
            % {"role": value, "choices": choices}
        ) from None


def account_create(
    *,
    username: str,
    role: Role,
    password: str,
    team_name: str | None,
    created_by: User | None = None,
) -> User:
    """Create an active account with one role (and team, for caseworkers and supervisors).

    Never a superuser: superusers get no view of cases anyway, and no account needs it.
    Administrators are staff so that they can manage accounts in the admin site.
    """
    if role in TEAM_ROLES and not team_name:
        raise AccountRefused(_("A %(role)s needs a team: add --team TEAM.") % {"role": role.label})
    if role not in TEAM_ROLES and team_name:
        raise AccountRefused(
            _("A %(role)s does not belong to a team: leave out --team.") % {"role": role.label}
        )
    if User.objects.filter(username=username).exists():
        raise AccountRefused(_("The username '%(name)s' is taken.") % {"name": username})
    user = User(username=username, is_staff=role == Role.ADMINISTRATOR)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise AccountRefused(
            _("Password refused: %(reasons)s") % {"reasons": " ".join(error.messages)}
        ) from None
    with transaction.atomic():
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=role.value))
        if team_name:
            team, _created = team_get_or_create(name=team_name)
            team_add_member(team=team, user=user, role=role)
        log.record(
            Action.ACCOUNT_CREATE,
            actor=Actor.system("add_user") if created_by is None else Actor.of(created_by),
            target=username,
            details={"result": role.value},
        )
    return user
