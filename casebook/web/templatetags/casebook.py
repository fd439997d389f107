"""Filters that put codes into the reader's words; the main navigation, the case page and
the lists' rows, drawn by Jinja2 or drawn once."""

import datetime as dt
import functools
import time
from collections.abc import Callable
from typing import Any

from django import template
from django.forms.renderers import get_default_renderer
from django.template.defaultfilters import linebreaks_filter
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from casebook import taxonomy
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


# Each role's navigation as drawn, per language and script prefix: a few of them (a
# prefix is the deployment's; were many to come, all would be drawn anew).
NAVIGATIONS_KEPT = 64
_navigations: dict[tuple[str | None, str | None, str], SafeString] = {}


@register.simple_tag
def main_navigation(role: str | None) -> SafeString:
    """The main navigation of `role` (casebook/_navigation.html), drawn once per role,
    language and script prefix: every signed-in page shows it, and reversing and
    translating its links each time cost more than some of the pages' own content."""
    key = (role, get_language(), get_script_prefix())
    kept = _navigations.get(key)
    if kept is None:
        if len(_navigations) >= NAVIGATIONS_KEPT:
            _navigations.clear()
        kept = render_to_string("casebook/_navigation.html", {"casebook_role": role})
        _navigations[key] = kept
    return kept


SAMPLE_REFERENCE = "CB-0000-0000"


def _case_url(name: str) -> Callable[[str], str]:
    """The URL `name` of any case, reversed once per process, script prefix and URL
    configuration: a page of fifty rows links each case two or three times, and
    reversing each link cost more than drawing its row."""
    sample = _sample_url(name, get_script_prefix(), get_urlconf())
    return lambda reference: sample.replace(SAMPLE_REFERENCE, reference)


@functools.lru_cache(maxsize=64)
def _sample_url(name: str, prefix: str, urlconf: str | None) -> str:
    """The URL `name` of the sample case (`prefix`, which reverse() reads itself, only
    tells one prefix's from another's)."""
    return reverse(name, args=[SAMPLE_REFERENCE], urlconf=urlconf)


def _dates(form: str) -> Callable[[dt.datetime], str]:
    """Moments written as `form` (strftime's) in the current time zone, looked up once."""
    zone = timezone.get_current_timezone()
    return lambda moment: moment.astimezone(zone).strftime(form)


def _drawn(template_name: str, context: dict[str, Any]) -> SafeString:
    """A part of a page drawn by Jinja2 (autoescaped) like the forms' widgets: rows of a
    table, a case's page, the case form's sections. For a page of fifty rows, Django's
    template engine spent more than the rest of the request. Each text is translated
    once per drawing (`_`), not once per row."""
    part = get_default_renderer().get_template(template_name)
    html: str = part.render({"_": functools.cache(_), **context})
    return mark_safe(html)  # noqa: S308 -- Jinja2's own output, autoescaped


@register.simple_tag
def case_page(record: Any, can_edit: bool, can_delete: bool) -> SafeString:
    """A case as its reader sees it (casebook/jinja2/casebook/case_page.html): the page
    every opening of a case draws, twenty-odd labelled fields."""
    return _drawn(
        "casebook/case_page.html",
        {
            "record": record,
            "can_edit": can_edit,
            "can_delete": can_delete,
            "day": _dates("%Y-%m-%d"),
            "linebreaks": functools.partial(linebreaks_filter, autoescape=True),
            "detail_url": _case_url("casebook:case_detail"),
            "edit_url": _case_url("casebook:case_edit"),
            "delete_url": _case_url("casebook:case_delete"),
        },
    )


@register.simple_tag
def case_form_fields(form: Any) -> SafeString:
    """The case form's fields, section by section (casebook/jinja2/casebook/
    case_form_fields.html): each field's group is mostly kept (casebook.web.forms.rendering),
    and going through twenty of them cost Django's template engine more than drawing them."""
    return _drawn("casebook/case_form_fields.html", {"form": form})


class _KeptRows:
    """Case-list rows as drawn (casebook.web.templatetags.casebook.case_rows), by what
    each shows: all dropped, at the next drawing, once `limit` are kept (a few lists'
    worth per person working in a process) or `seconds` have passed since they last
    were, so that the row of a case deleted since, or a holder's name after the grant
    was revoked, leaves the process's memory soon after it leaves the lists."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.rows: dict[tuple[Any, ...], str] = {}
        self.since = time.monotonic()

    def get(self, key: tuple[Any, ...], draw: Callable[[], str]) -> str:
        now = time.monotonic()
        if len(self.rows) >= self.limit or now - self.since > self.seconds:
            self.rows.clear()
            self.since = now
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = draw()
        return row


_kept_rows = _KeptRows(limit=10_000, seconds=300)


@register.simple_tag
def case_rows(entries: list[dict[str, Any]], is_supervisor: bool) -> SafeString:
    """The case list's rows (casebook/jinja2/casebook/case_rows.html), each row's cells
    worked out here (fifty rows of a dozen lookups each cost Jinja2 more than Python),
    and each row drawn once and kept a while, by what it shows (`_row_key`): a list is
    mostly the same rows from one look to the next, and drawing fifty of them cost as
    much as the rest of the request."""
    setting = (get_language(), timezone.get_current_timezone_name(), get_script_prefix())

    def drawing(entry: dict[str, Any]) -> Callable[[], str]:
        """What draws `entry`'s row, when it is not kept."""
        return lambda: _drawn(
            "casebook/case_rows.html", {"rows": _row_cells([entry]), "is_supervisor": is_supervisor}
        )

    return mark_safe(  # noqa: S308 -- rows drawn by Jinja2, autoescaped
        "".join(
            _kept_rows.get(_row_key(entry, is_supervisor, setting), drawing(entry))
            for entry in entries
        )
    )


def _row_key(
    entry: dict[str, Any], is_supervisor: bool, setting: tuple[Any, ...]
) -> tuple[Any, ...]:
    """Everything `entry`'s row shows (`_row_cells` works out the cells from these alone,
    and a case that cannot be opened shows no year or status) and draws it with: the
    language, the time zone and the script prefix in `setting`."""
    case, holders, openable = entry["case"], entry["holders"], entry["openable"]
    return (
        setting,
        is_supervisor,
        openable,
        case.reference,
        case.primary_category,
        case.year if openable else None,
        case.current_status if openable else None,
        case.author.get_username(),
        case.created_at,
        case.updated_at,
        (tuple(holders["teams"]), tuple(holders["users"])) if holders else holders,
    )


def _row_cells(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(reference, its page's link or "" when it cannot be opened, category, year, status,
    author, recorded, updated, holders, sharing link, break-glass link or "") per entry;
    what cannot be opened shows no year or status."""
    day = _dates("%Y-%m-%d")
    category = functools.cache(functools.partial(taxonomy.label_of, taxonomy.Category))
    status = functools.cache(functools.partial(taxonomy.label_of, taxonomy.CurrentStatus))
    detail, sharing, glass = (
        _case_url(f"casebook:{name}")
        for name in ("case_detail", "case_sharing", "case_break_glass")
    )
    cells = []
    for entry in entries:
        case, openable, reference = entry["case"], entry["openable"], entry["case"].reference
        cells.append(
            (
                reference,
                detail(reference) if openable else "",
                category(case.primary_category),
                case.year if openable else "",
                status(case.current_status) if openable else "",
                case.author.get_username(),
                day(case.created_at),
                day(case.updated_at),
                entry["holders"],
                sharing(reference),
                "" if openable else glass(reference),
            )
        )
    return cells


@register.simple_tag
def event_rows(events: list[Any], flagged: Any, break_glass: str) -> SafeString:
    """The access log's rows (casebook/jinja2/casebook/event_rows.html), each row's cells
    worked out here: `flagged` holds the actions auditors are shown first, `break_glass`
    the break-glass action."""
    return _drawn("casebook/event_rows.html", {"rows": _event_cells(events, flagged, break_glass)})


# An event row's classes, by (shown first, not allowed).
_EVENT_ROW_CLASSES = {
    (False, False): "",
    (True, False): "event-flagged",
    (False, True): "event-denied",
    (True, True): "event-flagged event-denied",
}


def _event_cells(events: list[Any], flagged: Any, break_glass: str) -> list[tuple[Any, ...]]:
    """(the row's classes, its seal's position or None while it waits, moment, actor or "",
    role, "break_glass", "flagged" or "", action, target, outcome, reason, details as
    (name, value) pairs) per event."""
    moment = _dates("%Y-%m-%d %H:%M:%S")
    role = functools.cache(role_label)
    cells = []
    for event in events:
        action, outcome = event.action, event.outcome
        shown_first = action in flagged
        marked = "break_glass" if action == break_glass else "flagged" if shown_first else ""
        classes = _EVENT_ROW_CLASSES[shown_first, outcome != "allowed"]
        seal = getattr(event, "seal", None)  # read with the event; none while it waits
        cells.append(
            (
                classes,
                seal.position if seal is not None else None,
                moment(event.occurred_at),
                event.actor_username,
                role(event.role),
                marked,
                action,
                event.target,
                outcome,
                event.reason,
                details_items(event.details),
            )
        )
    return cells
