"""The four roles of Casebook, held as Django groups created by a migration.

A user has at most one role. Superuser and staff flags grant nothing here.
A bottom-level module: it imports nothing of Casebook.
"""

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.CASEWORKER: _("Caseworker"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.AUDITOR: _("Auditor"),
    Role.ADMINISTRATOR: _("Administrator"),
}


MEMO = "_casebook_role"
GROUPS_MEMO = "_casebook_group_ids"


def role_of(user: User | AnonymousUser) -> Role | None:
    """The user's role, or None for anonymous users and users without one.

    Memoised on the user object, with the ids of all their groups (group_ids_of), so a
    request asks the database once.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    if not hasattr(user, MEMO):
        _remember_groups(user)
    role: Role | None = getattr(user, MEMO)
    return role


def group_ids_of(user: User) -> list[int]:
    """The ids of all the user's groups, their role's and their teams' alike (the case
    list reads each group's grants from its own index), asked along with their role."""
    if not hasattr(user, GROUPS_MEMO):
        _remember_groups(user)
    ids: list[int] = getattr(user, GROUPS_MEMO)
    return ids


def _remember_groups(user: User) -> None:
    remember_groups(user, list(user.groups.values_list("id", "name")))


def remember_groups(user: User, groups: list[tuple[int, str]]) -> None:
    """Remember the user's groups, (id, name) each, read along with the account (as
    casebook.accounts.backend reads them), so that their role is not asked again."""
    names = [name for _, name in groups if name in {r.value for r in Role}]
    # Two roles on one account is a misconfiguration: grant neither.
    setattr(user, MEMO, Role(names[0]) if len(names) == 1 else None)
    setattr(user, GROUPS_MEMO, [group for group, _ in groups])
