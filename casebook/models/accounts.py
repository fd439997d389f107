"""What an account chooses for itself."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class LanguagePreference(models.Model):
    """The interface language a person chose; their browser's language until they do."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_preference"
    )
    language = models.CharField(max_length=8)

    def __str__(self) -> str:
        return self.language


# django-otp's devices as administrators see them (in their language): the admin shows
# these proxies, never the devices' keys or codes.


class AuthenticatorDevice(TOTPDevice):  # type: ignore[misc]  # django-otp has no types
    class Meta:
        proxy = True
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")


class BackupCodeList(StaticDevice):  # type: ignore[misc]
    class Meta:
        proxy = True
        verbose_name = _("list of backup codes")
        verbose_name_plural = _("lists of backup codes")
