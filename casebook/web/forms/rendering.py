"""How forms are drawn: by Jinja2 (autoescaped), about twice as fast as Django's
template engine for a form with hundreds of options. Each field with its label, help
and errors is casebook/jinja2/casebook/field.html ({{ field.as_field_group }}); the
widgets are Django's own templates, except that select and multiple_input.html draw
each of their options in their own loop (casebook/jinja2/django/forms/widgets/), where
Django's include two or four templates per option. A widget whose template exists for
Django's engine only (the admin's, for one) is drawn by that engine instead of failing.
"""

from functools import cached_property
from pathlib import Path
from typing import Any, cast

import jinja2
from django import forms
from django.forms.renderers import DjangoTemplates, Jinja2
from django.forms.widgets import ChoiceWidget
from django.template import TemplateDoesNotExist
from django.template.backends.jinja2 import Jinja2 as Jinja2Backend
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

OWN_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "jinja2"
DJANGO_TEMPLATES = Path(forms.__file__).resolve().parent / "jinja2"


def _resolved(value: Any) -> Any:
    """A lazy text as the text it stands for, as Django's own escaping takes it: a lazy
    safe text (the password validators' help, a list in HTML) stays safe."""
    return str(value) if isinstance(value, Promise) else value


def environment(**options: Any) -> jinja2.Environment:
    """Jinja2's environment for forms and tables: `_` is Django's gettext, so that what
    its templates say is in the catalogue (makemessages reads `{{ _("...") }}`), and
    each lazy text is escaped as Django's templates escape it."""
    env = jinja2.Environment(finalize=_resolved, **options)  # noqa: S701 -- autoescaped by Django's backend
    env.globals["_"] = gettext
    return env


class WidgetRenderer(Jinja2):
    field_template_name = "casebook/field.html"

    @cached_property
    def engine(self) -> Jinja2Backend:
        return Jinja2Backend(
            {
                "APP_DIRS": True,
                "DIRS": [OWN_TEMPLATES, DJANGO_TEMPLATES],  # ours first
                "NAME": "casebookforms",
                "OPTIONS": {"environment": "casebook.web.forms.rendering.environment"},
            }
        )

    @cached_property
    def _django(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)


# Drawings kept per process: a few per field, language and value in use (each a few kB).
DRAWINGS_KEPT = 512
_drawings: dict[tuple[Any, ...], SafeString] = {}


def _codes(choices: Any) -> tuple[Any, ...]:
    """The codes of `choices` (of each group's, for grouped choices), not their labels:
    what a drawing depends on besides the language."""
    return tuple(
        _codes(label) if isinstance(label, list | tuple) else value for value, label in choices
    )


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value


class DrawnOnce:
    """A widget whose choices are fixed, the same for everyone (the taxonomy's codes,
    the access log's actions): it is drawn once per language, name, value and
    attributes, and the drawing kept. The case form draws about two hundred codes each
    time it opens, which cost more than everything else the request did."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = cast(ChoiceWidget, self)
        key = (
            type(self),
            type(renderer),
            get_language(),
            name,
            _frozen(widget.format_value(value)),
            _frozen(widget.build_attrs(widget.attrs, attrs)),
            _codes(widget.choices),
        )
        drawn = _drawings.get(key)
        if drawn is None:
            drawn = super().render(name, value, attrs, renderer)  # type: ignore[misc]
            if len(_drawings) >= DRAWINGS_KEPT:
                _drawings.clear()
            _drawings[key] = drawn
        return drawn


class FixedSelect(DrawnOnce, forms.Select):
    """One of a fixed list of choices."""


class FixedCheckboxes(DrawnOnce, forms.CheckboxSelectMultiple):
    """Any number of a fixed list of choices."""
