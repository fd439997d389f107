"""Template context for every page."""

from typing import Any

from django.http import HttpRequest

from casebook.roles import role_of


def role_context(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's role, for the navigation."""
    user = getattr(request, "user", None)
    return {"casebook_role": role_of(user) if user is not None else None}
