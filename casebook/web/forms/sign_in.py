"""The second step of sign-in."""

from django import forms
from django.utils.translation import gettext_lazy as _


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"),
        max_length=16,
        # Backup codes have letters: no numeric keypad.
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def code(self) -> str:
        """The code as typed, without the spaces people put in to read it."""
        return str(self.cleaned_data["token"]).replace(" ", "")
