"""Administrators' forms: inviting a person; accepting an invitation."""

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from casebook.accounts.services import TEAM_ROLES
from casebook.roles import Role


class InviteForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only. Not the person's real name."),
    )
    role = forms.ChoiceField(label=_("Role"))
    team = forms.ChoiceField(
        label=_("Team"),
        required=False,
        help_text=_(
            "Caseworkers and supervisors only. A caseworker sees the team's shared cases "
            "once one of its supervisors approves."
        ),
    )

    def __init__(self, *args: Any, teams: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in Role]  # type: ignore[attr-defined]
        self.fields["team"].choices = [("", _("No team"))] + [(t, t) for t in teams]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role, team = cleaned.get("role"), cleaned.get("team")
        if role and Role(role) in TEAM_ROLES and not team:
            self.add_error("team", _("Choose the team this person works in."))
        if role and Role(role) not in TEAM_ROLES and team:
            self.add_error("team", _("Only caseworkers and supervisors belong to a team."))
        return cleaned


class InvitationAcceptForm(SetPasswordForm):  # type: ignore[type-arg]
    """The invited person's own password, and the first code of their own authenticator."""

    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def code(self) -> str:
        return str(self.cleaned_data["token"]).replace(" ", "")
