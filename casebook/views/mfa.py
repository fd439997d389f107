import secrets

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.views import PasswordChangeView
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook import audit

BACKUP_CODES = 10
SETUP_SESSION_KEY = "casebook_mfa_setup_device"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app, or a backup code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    """Second step of sign-in for accounts with a device."""
    if not request.user.is_authenticated:
        return redirect("login")
    if request.user.is_verified():
        return redirect(_safe_next(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            audit.record(audit.Action.AUTH_MFA, actor=audit.Actor.of(request.user))
            return redirect(_safe_next(request))
        audit.record(
            audit.Action.AUTH_MFA_FAILED,
            actor=audit.Actor.of(request.user),
            outcome=audit.Outcome.DENIED,
        )
        form.add_error("token", _("That code is not valid. Try the current one."))
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "registration/mfa_verify.html",
        {"form": form, "next": _safe_next(request)},
        status=status,
    )


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def mfa_setup(request):
    """Enrolment: a TOTP device confirmed by one code, then backup codes shown once."""
    if not request.user.is_authenticated:
        return redirect("login")
    if any(devices_for_user(request.user, confirmed=True)):
        messages.info(request, _("Your second factor is already set up."))
        return redirect("/")
    if request.method == "GET":
        # A new key on every visit, tied to this session: a key seen by someone else
        # (who had the password) is never the one the real user confirms.
        TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
        request.session[SETUP_SESSION_KEY] = device.pk
    else:
        device = TOTPDevice.objects.filter(
            user=request.user, confirmed=False, pk=request.session.get(SETUP_SESSION_KEY)
        ).first()
        if device is None:
            messages.error(request, _("Set-up expired. Scan the new code below."))
            return redirect("mfa_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].replace(" ", "")):
            codes = _confirm(request.user, device)
            otp_login(request, device)
            audit.record(audit.Action.AUTH_MFA_ENROL, actor=audit.Actor.of(request.user))
            return render(request, "registration/mfa_backup_codes.html", {"codes": codes})
        audit.record(
            audit.Action.AUTH_MFA_FAILED,
            actor=audit.Actor.of(request.user),
            outcome=audit.Outcome.DENIED,
        )
        form.add_error("token", _("That code is not valid. Check the clock of your device."))
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "registration/mfa_setup.html",
        {"form": form, "qr": qr, "secret": _base32(device)},
        status=status,
    )


def _base32(device) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


def _confirm(user, device) -> list[str]:
    with transaction.atomic():
        device.confirmed = True
        device.save()
        static, _ = StaticDevice.objects.get_or_create(user=user, name="backup codes")
        static.token_set.all().delete()
        codes = [secrets.token_hex(5) for _ in range(BACKUP_CODES)]
        for code in codes:
            StaticToken.objects.create(device=static, token=code)
        static.confirmed = True
        static.save()
    return codes


class CasebookPasswordChangeView(PasswordChangeView):
    """Changing the password keeps this session and ends every other one."""

    success_url = reverse_lazy("casebook:case_list")
    template_name = "registration/password_change.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(audit.Action.AUTH_PASSWORD_CHANGE, actor=audit.Actor.of(self.request.user))
        messages.success(self.request, _("Password changed. Other sessions were signed out."))
        return response
