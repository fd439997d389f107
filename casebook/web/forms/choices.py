"""The case forms' choice lists: codes with nothing chosen at first, the years, and the
survivor picker's linkable cases."""

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.db import models
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext_lazy as _

from casebook import taxonomy
from casebook.web.forms.rendering import FixedChoiceField

BLANK = [("", "---------")]


class YearChoices(BaseChoiceIterator):
    """The years a pattern may have, newest first (up to the current year, whenever
    read), after an empty choice labelled `first`. Choices given as a function are
    worked out and checked again each time they are read, several times a form."""

    def __init__(self, first: Any) -> None:
        self.first = first

    def __iter__(self) -> Any:
        return iter([("", self.first), *taxonomy.year_choices()])


def choose(vocabulary: type[models.TextChoices]) -> list[tuple[str, str]]:
    """A code list with an empty first option, so nothing is chosen for the caseworker."""
    return BLANK + list(vocabulary.choices)


def coded(label: Any, vocabulary: type[models.TextChoices]) -> forms.ChoiceField:
    """A required choice of one of `vocabulary`'s codes, nothing chosen at first."""
    return FixedChoiceField(label=label, choices=choose(vocabulary))


SEPARATE = "separate"  # the choice that separates a case from its survivor's others
Linkable = list[tuple[str, str, int]]  # (reference, category code, year) of pickable cases


class SurvivorChoices(BaseChoiceIterator):
    """The survivor picker's choices: nothing chosen (and, when editing, separating the
    case from its survivor's others), then each linkable case as "reference · category
    · year". The cases are read the first time the choices are (`linkable` may be what
    reads them), and the list kept for the form: as choices given as a function, they
    would be normalised again, option by option, each time they are read."""

    def __init__(self, linkable: Linkable | Callable[[], Linkable], *, editing: bool) -> None:
        self.linkable, self.editing = linkable, editing

    @functools.cached_property
    def listed(self) -> list[tuple[str, Any]]:
        choices: list[tuple[str, Any]] = [
            ("", _("Unchanged") if self.editing else _("No other case"))
        ]
        if self.editing:
            choices.append((SEPARATE, _("Not the same survivor as any other case")))
        cases = self.linkable() if callable(self.linkable) else self.linkable
        # Each category's label looked up once, not once per case.
        category = functools.cache(functools.partial(taxonomy.label_of, taxonomy.Category))
        return choices + [
            (reference, f"{reference} · {category(code)} · {year}")
            for reference, code, year in cases
        ]

    def __iter__(self) -> Any:
        return iter(self.listed)
