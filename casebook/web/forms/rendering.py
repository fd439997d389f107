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


# Drawings kept per process: one per field, language, attributes and chosen code in use
# (each a few kB); only drawings of no code or of one valid code are kept.
DRAWINGS_KEPT = 512
_drawings: dict[tuple[Any, ...], SafeString] = {}


def _label_key(label: Any) -> Any:
    """A label as what it says in any language: a lazy translation by its message (the
    language is in the key), anything else as itself."""
    if isinstance(label, Promise):
        return ("lazy", getattr(label, "_args", None) or str(label))
    return label


def _choices_key(choices: Any) -> tuple[Any, ...]:
    """The codes and labels of `choices` (each group's, for grouped choices), without
    translating a label: what a drawing depends on besides the language."""
    key = []
    for value, label in choices:
        if isinstance(label, list | tuple):  # a group: its name, then its own choices
            key.append((_label_key(value), _choices_key(label)))
        else:
            key.append((value, _label_key(label)))
    return tuple(key)


def _codes_of(choices: Any) -> set[str]:
    """Every code `choices` offers (each group's, for grouped choices)."""
    codes = set()
    for value, label in choices:
        if isinstance(label, list | tuple):
            codes |= {str(code) for code, _ in label}
        else:
            codes.add(str(value))
    return codes


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value


class DrawnOnce:
    """A widget whose choices are fixed, the same for everyone (the taxonomy's codes,
    the access log's actions): drawn with no code or one valid code chosen, it is drawn
    once per language, name, code and attributes, and the drawing kept. The case form
    draws about two hundred codes each time it opens, which cost more than everything
    else the request did. Anything else submitted (several codes, or values that are
    none) is drawn each time: what a person types never fills the memory of the
    process."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = cast(ChoiceWidget, self)
        chosen = [str(code) for code in widget.format_value(value) if code not in ("", None)]
        if len(chosen) > 1 or not set(chosen) <= _codes_of(widget.choices):
            drawn: SafeString = super().render(name, value, attrs, renderer)  # type: ignore[misc]
            return drawn
        key = (
            type(self),
            type(renderer),
            get_language(),
            name,
            tuple(chosen),
            _frozen(widget.build_attrs(widget.attrs, attrs)),
            _choices_key(widget.choices),
        )
        kept = _drawings.get(key)
        if kept is None:
            kept = super().render(name, value, attrs, renderer)  # type: ignore[misc]
            if len(_drawings) >= DRAWINGS_KEPT:
                _drawings.clear()
            _drawings[key] = kept
        return kept


class FixedSelect(DrawnOnce, forms.Select):
    """One of a fixed list of choices."""


class FixedCheckboxes(DrawnOnce, forms.CheckboxSelectMultiple):
    """Any number of a fixed list of choices."""
