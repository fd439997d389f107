"""The second factor: who must have one, authenticator devices and backup codes.

Every role must enrol a TOTP device (with backup codes) at their first sign-in and
verify it at every sign-in: caseworkers read testimony too. Nobody ever sets or sees
another person's secret.
"""

import base64
import secrets

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.roles import Role, role_of

MFA_ROLES = set(Role)
BACKUP_CODES = 10
BACKUP_CODE_BYTES = 5  # ten hexadecimal characters each


def mfa_required(user: User | AnonymousUser) -> bool:
    return role_of(user) in MFA_ROLES


def backup_codes_issue(user: User, *, device_name: str = "backup codes") -> list[str]:
    """Fresh single-use backup codes on the user's device `device_name` (replacing the
    codes it held). Shown once to their owner; stored only as django-otp stores them."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=device_name)
        device.token_set.all().delete()
        codes = [secrets.token_hex(BACKUP_CODE_BYTES) for _ in range(BACKUP_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
        device.confirmed = True
        device.save()
    return codes


def totp_device_start(user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator device with a new key; earlier unconfirmed ones
    are dropped, so a key someone else saw is never the one confirmed."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_device_pending(user: User, device_id: object) -> TOTPDevice | None:
    """The user's unconfirmed device with this id, if it still exists."""
    if not isinstance(device_id, int):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=False, pk=device_id).first()


def totp_secret_text(device: TOTPDevice) -> str:
    """The device's key in base 32, for its owner to type into an authenticator app."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_device_confirm(user: User, device: TOTPDevice) -> list[str]:
    """Confirm the device and issue the user's backup codes, in one transaction."""
    with transaction.atomic():
        device.confirmed = True
        device.save()
        return backup_codes_issue(user)
