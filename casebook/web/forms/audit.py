"""The auditor's filters of the access log."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from casebook.audit.actions import registered_actions
from casebook.audit.queries import EventFilter
from casebook.web.forms.rendering import FixedChoiceField, KeptFieldGroup


class EventFilterForm(forms.Form):
    bound_field_class = KeptFieldGroup

    actor = forms.CharField(
        label=_("Actor (username)"),
        max_length=150,
        required=False,
        help_text=_("Any part of the username."),
    )
    action = FixedChoiceField(label=_("Action"), required=False)
    target = forms.CharField(label=_("Case reference or target"), max_length=64, required=False)
    outcome = FixedChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[
            ("", _("Any")),
            ("allowed", _("Allowed")),
            ("denied", _("Denied")),
            ("error", _("Error")),
        ],
    )
    flagged = forms.BooleanField(
        label=_("Only flagged events"),
        required=False,
        help_text=_("Break-glass openings and changes to accounts."),
    )
    date_from = forms.DateField(
        label=_("From (UTC date)"), required=False, help_text=_("YYYY-MM-DD, e.g. 2026-03-01")
    )
    date_to = forms.DateField(
        label=_("To (UTC date, inclusive)"),
        required=False,
        help_text=_("YYYY-MM-DD, e.g. 2026-03-31"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = cast(forms.ChoiceField, self.fields["action"])
        action.choices = [("", _("Any"))] + [(name, name) for name in sorted(registered_actions())]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for name in ("date_from", "date_to"):
            value = cleaned.get(name)
            if value and not 2000 <= value.year <= 2999:
                self.add_error(name, _("Choose a date between the years 2000 and 2999."))
                cleaned[name] = None
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return cleaned

    def _applied(self) -> dict[str, Any]:
        """The filters that are valid, which apply; those that are not are told on the
        page and left out. Dates in the wrong order are both left out."""
        if not self.is_bound:
            return {}
        self.is_valid()  # cleans each field: cleaned_data holds those that are valid
        applied = dict(self.cleaned_data)
        if self.non_field_errors():
            applied.pop("date_from", None)
            applied.pop("date_to", None)
        return applied

    def used(self) -> list[str]:
        """The names (never the values) of the filters in use, for the access log."""
        return sorted(name for name, value in self._applied().items() if value)

    def event_filter(self) -> EventFilter:
        """The filters as the log's queries take them: the valid ones (`_applied`)."""
        data = self._applied()
        return EventFilter(
            actor=data.get("actor", ""),
            action=data.get("action", ""),
            target=data.get("target", ""),
            outcome=data.get("outcome", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            flagged=data.get("flagged", False),
        )
