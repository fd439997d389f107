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


def role_of(user: User | AnonymousUser) -> Role | None:
    """The user's role, or None for anonymous users and users without one.

    Memoised on the user object so a request asks the database once.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    if not hasattr(user, MEMO):
        names = list(
            user.groups.filter(name__in=[r.value for r in Role]).values_list("name", flat=True)
        )
        # Two roles on one account is a misconfiguration: grant neither.
        setattr(user, MEMO, Role(names[0]) if len(names) == 1 else None)
    role: Role | None = getattr(user, MEMO)
    return role
