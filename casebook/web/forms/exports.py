"""The supervisor's export builder: up to three dimensions and a format."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casebook.aggregates import disclosure

DIMENSION_LABELS = {
    "category": _("Category"),
    "sub_pattern": _("Sub-patterns"),
    "year": _("Year"),
    "province_china": _("Province in China"),
    "province_origin": _("Province of origin in North Korea"),
    "gender": _("Gender"),
    "age_band": _("Age at the time"),
    "perpetrator": _("Perpetrator types"),
    "current_status": _("Current status"),
}


def dimension_choices() -> list[tuple[str, Any]]:
    return [("", _("(none)"))] + [
        (name, DIMENSION_LABELS[name]) for name in disclosure.dimensions()
    ]


class ExportForm(forms.Form):
    DIMENSION_FIELDS = ("first", "second", "third")

    first = forms.ChoiceField(label=_("First dimension"), choices=dimension_choices)
    second = forms.ChoiceField(
        label=_("Second dimension"), choices=dimension_choices, required=False
    )
    third = forms.ChoiceField(label=_("Third dimension"), choices=dimension_choices, required=False)
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("csv", _("CSV (spreadsheet, with HXL tags)")), ("json", _("JSON"))],
        initial="csv",
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        chosen = [cleaned.get(name) for name in self.DIMENSION_FIELDS if cleaned.get(name)]
        if len(set(chosen)) != len(chosen):
            raise forms.ValidationError(_("Choose each dimension once."))
        return cleaned

    def dimensions(self) -> str:
        data = self.cleaned_data
        return ",".join(data[name] for name in self.DIMENSION_FIELDS if data.get(name))

    def asked(self) -> str:
        """The dimensions the fields asked for, as sent (valid or not), for the record of a
        refusal (casebook.web.decorators.record_release_refusal)."""
        return ",".join(str(self.data.get(name, "")) for name in self.DIMENSION_FIELDS)
