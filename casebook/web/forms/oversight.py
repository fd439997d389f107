"""What supervisors submit: whom to share a case with or revoke, and break-glass reasons."""

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casebook.cases.access import MIN_BREAK_GLASS_REASON
from casebook.models import Team


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Why must you open this case now?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=MIN_BREAK_GLASS_REASON,
        max_length=2000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Written here, in the reader's language, with the minimum filled in.
        self.fields["reason"].help_text = gettext(
            "At least %(count)d characters. Auditors see this reason next to your name. Do "
            "not write testimony or names here."
        ) % {"count": MIN_BREAK_GLASS_REASON}


class HolderForm(forms.Form):
    """One person or one team, chosen from the given ones: whom to share with or revoke."""

    holder = forms.ChoiceField(label=_("Person or team"))

    def __init__(
        self, *args: Any, people: Iterable[User], teams: Iterable[Team], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people = {f"user:{u.pk}": u for u in people}
        self.teams = {f"team:{t.pk}": t for t in teams}
        holder = cast(forms.ChoiceField, self.fields["holder"])
        holder.choices = [
            ("", _("Choose…")),
            (
                _("Teams"),
                [(key, _("Team %(name)s") % {"name": t.name}) for key, t in self.teams.items()],
            ),
            (_("People"), [(key, u.username) for key, u in self.people.items()]),
        ]

    def chosen_name(self) -> str:
        """The chosen holder as people read it."""
        user, team = self.chosen()
        if user is not None:
            return user.get_username()
        return str(_("Team %(name)s") % {"name": team.name if team else ""})

    def chosen(self) -> tuple[User | None, Team | None]:
        """The person or the team chosen (the other is None)."""
        key = self.cleaned_data["holder"]
        return self.people.get(key), self.teams.get(key)
