"""The case list's filters, validated against the taxonomy."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casebook import taxonomy
from casebook.web.forms.choices import YearChoices
from casebook.web.forms.rendering import (
    FixedChoiceField,
    FixedTypedChoiceField,
    KeptFieldGroup,
)


class CaseFilterForm(forms.Form):
    """Filters of the case list. Those that are not valid are told on the page and left
    out; the others apply."""

    bound_field_class = KeptFieldGroup

    category = FixedChoiceField(
        label=_("Category"),
        choices=[("", _("All categories")), *taxonomy.Category.choices],
        required=False,
    )
    year = FixedTypedChoiceField(
        label=_("Year"),
        coerce=int,
        empty_value=None,
        choices=YearChoices(_("All years")),
        required=False,
    )
    status = FixedChoiceField(
        label=_("Current status"),
        choices=[("", _("All statuses")), *taxonomy.CurrentStatus.choices],
        required=False,
    )
    reference = forms.RegexField(
        label=_("Reference"),
        regex=r"^[0-9A-Za-z-]{1,12}$",
        required=False,
        help_text=_("The whole reference, or its beginning (CB-7K3M)."),
        error_messages={"invalid": _("A reference has letters, digits and dashes only.")},
    )
    mine = forms.BooleanField(label=_("Only cases I recorded"), required=False)
    sort = FixedChoiceField(
        label=_("Order"),
        choices=[("created", _("Newest recorded first")), ("updated", _("Newest changed first"))],
        required=False,
    )

    ORDERS = {"created": ("-created_at", "-id"), "updated": ("-updated_at", "-id")}

    def _valid(self) -> dict[str, Any]:
        """The filters that are valid, which apply (an unbound form has none)."""
        if not self.is_bound:
            return {}
        self.is_valid()  # cleans each field: cleaned_data holds those that are valid
        return self.cleaned_data

    def filters(self, user: Any = None) -> dict[str, object]:
        """The lookups chosen (what the reader may see of a case only)."""
        data = self._valid()
        lookups = {
            "primary_category": data.get("category"),
            "year": data.get("year"),
            "current_status": data.get("status"),
            "reference__startswith": (data.get("reference") or "").upper(),
            "author_id": user.pk if data.get("mine") and user is not None else None,
        }
        return {key: value for key, value in lookups.items() if value not in ("", None)}

    def order(self) -> tuple[str, ...]:
        chosen = self._valid().get("sort")
        return self.ORDERS.get(chosen or "created", self.ORDERS["created"])
