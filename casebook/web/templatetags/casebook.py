"""Filters that put codes into the reader's words."""

from django import template
from django.utils.translation import gettext as _

from casebook.roles import Role

register = template.Library()

# Roles the access log records beyond the four of Casebook.
OTHER_ACTORS = {"anonymous", "system", "none"}


@register.filter
def role_label(code: str) -> str:
    """The name of a role recorded in the access log, in the reader's language."""
    if code in Role.__members__.values():
        return Role(code).label
    return {"anonymous": _("anonymous"), "system": _("system"), "none": _("no role")}.get(
        code, code
    )
