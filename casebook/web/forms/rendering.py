"""How forms are drawn: by Jinja2 (autoescaped), about twice as fast as Django's
template engine for a form with hundreds of options. Each field with its label, help
and errors is casebook/jinja2/casebook/field.html ({{ field.as_field_group }}); the
widgets are Django's own templates, except that select and multiple_input.html draw
each of their options in their own loop (casebook/jinja2/django/forms/widgets/), where
Django's include two or four templates per option; OwnSelect draws someone's own
choices (the survivor picker's) without a context per option. A widget whose template
exists for Django's engine only (the admin's, for one) is drawn by that engine instead
of failing.
"""

import copy
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import jinja2
from django import forms
from django.forms.boundfield import BoundField
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


def _fixed_code(widget: ChoiceWidget, value: Any) -> tuple[str, ...] | None:
    """The code a fixed-choice widget shows: () for none, (code,) for one valid code,
    None for anything else (several codes, or values that are none)."""
    chosen = [str(code) for code in widget.format_value(value) if code not in ("", None)]
    if len(chosen) > 1 or not set(chosen) <= _codes_of(widget.choices):
        return None
    return tuple(chosen)


def _kept(key: tuple[Any, ...], draw: Any) -> SafeString:
    """The drawing kept under `key`, drawn by `draw()` the first time."""
    kept = _drawings.get(key)
    if kept is None:
        kept = draw()
        if len(_drawings) >= DRAWINGS_KEPT:
            _drawings.clear()
        _drawings[key] = kept
    return kept


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
        chosen = _fixed_code(widget, value)
        drawn = super().render  # type: ignore[misc]
        if chosen is None:
            return cast(SafeString, drawn(name, value, attrs, renderer))
        key = (
            type(self),
            type(renderer),
            get_language(),
            name,
            chosen,
            _frozen(widget.build_attrs(widget.attrs, attrs)),
            _choices_key(widget.choices),
        )
        return _kept(key, lambda: drawn(name, value, attrs, renderer))

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """Each form's copy shares the fixed choices (Django's copies them one by one,
        and checks each again, for every form built)."""
        copied = cast(ChoiceWidget, copy.copy(self))
        copied.attrs = cast(ChoiceWidget, self).attrs.copy()
        memo[id(self)] = copied
        return copied


class FixedSelect(DrawnOnce, forms.Select):
    """One of a fixed list of choices."""


class FixedCheckboxes(DrawnOnce, forms.CheckboxSelectMultiple):
    """Any number of a fixed list of choices."""


class SharedChoices:
    """A choice field whose choices are fixed (with a FixedSelect or FixedCheckboxes):
    each form's copy of it shares them, where Django's copies every choice, lazy label
    and all, for every form built. Choices are replaced, never changed in place."""

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return forms.Field.__deepcopy__(cast(forms.Field, self), memo)


class FixedChoiceField(SharedChoices, forms.ChoiceField):
    widget = FixedSelect


class FixedTypedChoiceField(SharedChoices, forms.TypedChoiceField):
    widget = FixedSelect


class FixedMultipleChoiceField(SharedChoices, forms.MultipleChoiceField):
    widget = FixedCheckboxes


class OwnSelect(forms.Select):
    """One of someone's own choices (the survivor picker's cases: up to a thousand, and
    different for each caseworker, so never kept), drawn in one loop over (code,
    label, chosen) with the markup of Select's. Django's builds a dictionary of a dozen
    entries for each option (optgroups, create_option), which cost the case form more
    than the rest of its drawing. Flat choices only, as Select chooses: the first
    option whose code is the value."""

    template_name = "casebook/own_select.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = forms.Widget.get_context(self, name, value, attrs)
        shown = set(context["widget"]["value"])
        options, chosen = [], False
        for code, label in self.choices:
            code = "" if code is None else code
            selected = not chosen and str(code) in shown
            chosen |= selected
            options.append((code, label, selected))
        context["widget"]["options"] = options
        return context


def _nothing(value: Any) -> bool:
    """Whether a field's value shows nothing (0 is a value, though 0 == False)."""
    return value is None or value is False or (isinstance(value, str) and value == "")


class KeptFieldGroup(BoundField):
    """A field with its label, help and widget ({{ field.as_field_group }}) drawn once
    per language, form, field and attributes, and the drawing kept, when it shows
    nothing anyone typed or chose apart from a fixed code: no errors, and no value, or
    one valid code of a fixed-choice widget. The case form is mostly such fields, the
    same for everyone who opens it. Anything else is drawn each time."""

    def as_field_group(self) -> SafeString:
        key = self._kept_key()
        if key is None:
            return super().as_field_group()
        return _kept(key, super().as_field_group)

    def _kept_key(self) -> tuple[Any, ...] | None:
        field, widget, form = self.field, self.field.widget, self.form
        if self.errors or field.show_hidden_initial:
            return None
        if isinstance(widget, DrawnOnce):
            shown = _fixed_code(cast(ChoiceWidget, widget), self.value())
            offered = _choices_key(cast(ChoiceWidget, widget).choices)
        elif isinstance(widget, ChoiceWidget) or not _nothing(self.value()):
            return None  # choices of someone's own (their cases, their teams), or a value
        else:
            shown, offered = (), ()
        if shown is None:
            return None
        return (
            KeptFieldGroup,
            type(form),
            type(form.renderer),
            get_language(),
            self.html_name,
            self.auto_id,
            shown,
            offered,
            _label_key(self.label),
            _label_key(self.help_text),
            field.required,
            field.disabled,
            form.use_required_attribute,
            form.label_suffix,
            field.label_suffix,
            type(widget),
            _frozen(widget.attrs),
        )
