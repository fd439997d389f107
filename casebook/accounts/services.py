"""Creating accounts with exactly one role."""

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casebook.accounts.memberships import membership_request
from casebook.accounts.teams import team_add_member, team_get_or_create
from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.roles import Role

TEAM_ROLES = {Role.CASEWORKER, Role.SUPERVISOR}
USERNAME_RULE = UnicodeUsernameValidator()
USERNAME_LENGTH = 150


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
    team_name: str | None,
    created_by: User | None = None,
    password: str | None = None,
    team_approved: bool = False,
) -> User:
    """Create an active account with one role (and team, for caseworkers and supervisors).

    Without `password` (every real account: the person sets it through an invitation)
    the account has no usable password. A caseworker joins the team's shared cases,
    and a supervisor its oversight, only once a supervisor of the team approves
    (`team_approved`: the operator's `add_user` for supervisors, the synthetic demo and
    tests). Never a superuser: superusers get no view of cases anyway, and no account
    needs it. Administrators are staff so that they can use the admin site.
    """
    if role in TEAM_ROLES and not team_name:
        raise AccountRefused(_("A %(role)s needs a team: add --team TEAM.") % {"role": role.label})
    if role not in TEAM_ROLES and team_name:
        raise AccountRefused(
            _("A %(role)s does not belong to a team: leave out --team.") % {"role": role.label}
        )
    try:
        USERNAME_RULE(username)
    except ValidationError as error:
        raise AccountRefused(" ".join(error.messages)) from None
    if len(username) > USERNAME_LENGTH:
        raise AccountRefused(_("A username has at most 150 characters."))
    if User.objects.filter(username=username).exists():
        raise AccountRefused(_("The username '%(name)s' is taken.") % {"name": username})
    user = User(username=username, is_staff=role == Role.ADMINISTRATOR)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise AccountRefused(
                _("Password refused: %(reasons)s") % {"reasons": " ".join(error.messages)}
            ) from None
    actor = Actor.system("add_user") if created_by is None else Actor.of(created_by)
    with transaction.atomic():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=role.value))
        log.record(
            Action.ACCOUNT_CREATE, actor=actor, target=username, details={"result": role.value}
        )
        if team_name:
            team, _created = team_get_or_create(name=team_name)
            if not team_approved:
                membership_request(team=team, user=user, actor=actor)
            else:
                team_add_member(team=team, user=user, role=role)
    return user
