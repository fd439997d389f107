"""Invitations, the only way into an account, and caseworkers waiting to join a team."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Invitation(models.Model):
    """A single-use link through which one person sets their own password and second
    factor. Only a digest of the link's token is kept: the link itself is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    digest = models.CharField(max_length=64, unique=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    made_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True)
    # A re-invitation removed the password and devices the person had before.
    replaced_credentials = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class MembershipRequest(models.Model):
    """A caseworker who joins a team's shared cases once its supervisor approves."""

    team = models.ForeignKey("casebook.Team", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership_requests"
    )
    requested_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_request_per_team_and_user")
        ]

    def __str__(self) -> str:
        return f"membership request {self.pk}"
