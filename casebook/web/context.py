"""Template context for every page."""

from typing import Any

from django.http import HttpRequest
from django_otp import user_has_device

from casebook.accounts.second_factor import mfa_required
from casebook.roles import role_of


def role_context(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's role, for the navigation, and whether they have passed the
    second step (until then the header offers nothing but signing out)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"casebook_role": None, "casebook_signed_in_fully": False}
    verified = getattr(user, "is_verified", lambda: False)()
    owes_second_factor = mfa_required(user) or user_has_device(user)
    return {
        "casebook_role": role_of(user),
        "casebook_signed_in_fully": verified or not owes_second_factor,
    }
