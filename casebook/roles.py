"""The four roles of Casebook, held as Django groups created by a migration.

A user has at most one role. Superuser and staff flags grant nothing here.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from casebook import audit


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


def role_required(
    *roles: Role,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view decorator: anonymous users go to sign-in, other roles get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if role_of(request.user) not in roles:
                audit.record(
                    audit.Action.PAGE_DENIED,
                    actor=audit.Actor.of(request.user),
                    outcome=audit.Outcome.DENIED,
                    target=request.resolver_match.view_name if request.resolver_match else "",
                )
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def role_context(request: HttpRequest) -> dict[str, Any]:
    """Template context: the signed-in user's role."""
    user = getattr(request, "user", None)
    role = role_of(user) if user is not None else None
    return {"casebook_role": role}
