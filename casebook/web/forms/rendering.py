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
from typing import Any

import jinja2
from django import forms
from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from django.template.backends.jinja2 import Jinja2 as Jinja2Backend
from django.utils.functional import Promise
from django.utils.translation import gettext

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
