"""Filters that put codes into the reader's words."""

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.roles import Role

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    """The name of a role recorded in the access log, in the reader's language."""
    if code in Role.__members__.values():
        return Role(code).label
    return {"anonymous": _("anonymous"), "system": _("system"), "none": _("no role")}.get(
        code, code
    )


# The words for each key an access-log event's details may carry (casebook.audit.log).
DETAIL_NAMES = {
    "changed": gettext_lazy("fields changed"),
    "holder": gettext_lazy("holder"),
    "dimensions": gettext_lazy("dimensions"),
    "epsilon": gettext_lazy("epsilon"),
    "filters": gettext_lazy("filters used"),
    "rows": gettext_lazy("rows"),
    "result": gettext_lazy("result"),
    "rotated": gettext_lazy("keys re-wrapped"),
    "key_version": gettext_lazy("key version"),
    "checkpoint": gettext_lazy("checkpoint"),
    "path": gettext_lazy("path"),
    "method": gettext_lazy("attempt"),
    "linked": gettext_lazy("linked to"),
    "folded": gettext_lazy("repeats folded into this event"),
}


@register.filter
def details_items(details: dict[str, Any]) -> list[tuple[str, str]]:
    """An event's details as (name in words, value as text) pairs, for reading."""
    items = []
    for key, value in sorted((details or {}).items()):
        text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        items.append((str(DETAIL_NAMES.get(key, key)), text))
    return items
