"""Invitations: the only way a person sets a password and a second factor.

An invitation is a single-use link, valid for INVITATION_HOURS, made by an
administrator (in the browser or with `add_user`). Through it the invited person
sets their own password and enrols their own authenticator; nobody else ever sets
or sees either. A re-invitation (a lost device or a forgotten password) first
removes the old password and every device, which also ends the person's sessions.
Only a digest of the token is stored, and making a new invitation voids older ones.
"""

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.accounts.second_factor import totp_device_confirm
from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.models import Invitation

INVITATION_HOURS = 72


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def invitation_issue(user: User, *, made_by: User | None, replace_credentials: bool) -> str:
    """A new invitation for `user`; returns its token (shown once, never stored).

    With `replace_credentials`, the person's password and second-factor devices are
    removed first: whoever holds the lost device or the old password can no longer
    sign in, and every session of theirs ends with the password.
    """
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    actor = Actor.system("add_user") if made_by is None else Actor.of(made_by)
    with transaction.atomic():
        Invitation.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        if replace_credentials:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
        Invitation.objects.create(
            user=user,
            digest=_digest(token),
            made_by=made_by,
            made_at=now,
            expires_at=now + dt.timedelta(hours=INVITATION_HOURS),
            replaced_credentials=replace_credentials,
        )
        log.record(
            Action.ACCOUNT_REINVITE if replace_credentials else Action.ACCOUNT_INVITE,
            actor=actor,
            target=user.get_username(),
        )
    return token


def _open_invitations() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("user").filter(
        used_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True
    )


def invitation_find(token: str) -> Invitation | None:
    """The open invitation with this token: unused, unexpired, for an active account."""
    if not token or len(token) > 100:
        return None
    return _open_invitations().filter(digest=_digest(token)).first()


def invitation_by_id(invitation_id: object) -> Invitation | None:
    """The open invitation with this id (as kept in the session once its link was opened)."""
    if not isinstance(invitation_id, int):
        return None
    return _open_invitations().filter(pk=invitation_id).first()


class InvitationSpent(Exception):
    """The invitation was used, voided or expired while the person was filling it in."""


def invitation_accept(invitation: Invitation, *, password: str, device: TOTPDevice) -> list[str]:
    """Set the person's own password, confirm their authenticator and spend the
    invitation, all at once. Returns the backup codes, to be shown once."""
    with transaction.atomic():
        current = (
            Invitation.objects.select_for_update()
            .filter(pk=invitation.pk, used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if current is None:
            raise InvitationSpent
        user = invitation.user
        user.set_password(password)
        user.save(update_fields=["password"])
        # Only the device enrolled now: whatever the person had before stops working.
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        StaticDevice.objects.filter(user=user).delete()
        codes = totp_device_confirm(user, device)
        current.used_at = timezone.now()
        current.save(update_fields=["used_at"])
        log.record(Action.ACCOUNT_INVITE_ACCEPT, actor=Actor.of(user), target=user.get_username())
    return codes
