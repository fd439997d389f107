"""The second factor at sign-in (verification and enrolment) and password changes."""

import segno
from django.contrib import messages
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login

from casebook.accounts.second_factor import (
    totp_device_confirm,
    totp_device_pending,
    totp_device_start,
    totp_secret_text,
)
from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.web.client import submitted
from casebook.web.forms.sign_in import TokenForm

SETUP_SESSION_KEY = "casebook_mfa_setup_device"


def _safe_next(request: HttpRequest) -> str:
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
    form = TokenForm(submitted(request))
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.code())
        if device is not None:
            otp_login(request, device)
            log.record(Action.AUTH_MFA, actor=Actor.of(request.user))
            return redirect(_safe_next(request))
        log.record(Action.AUTH_MFA_FAILED, actor=Actor.of(request.user), outcome=Outcome.DENIED)
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
        device = totp_device_start(request.user)
        request.session[SETUP_SESSION_KEY] = device.pk
    else:
        device = totp_device_pending(request.user, request.session.get(SETUP_SESSION_KEY))
        if device is None:
            messages.error(request, _("Set-up expired. Scan the new code below."))
            return redirect("mfa_setup")
    form = TokenForm(submitted(request))
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.code()):
            codes = totp_device_confirm(request.user, device)
            otp_login(request, device)
            log.record(Action.AUTH_MFA_ENROL, actor=Actor.of(request.user))
            return render(request, "registration/mfa_backup_codes.html", {"codes": codes})
        log.record(Action.AUTH_MFA_FAILED, actor=Actor.of(request.user), outcome=Outcome.DENIED)
        form.add_error("token", _("That code is not valid. Check the clock of your device."))
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "registration/mfa_setup.html",
        {"form": form, "qr": qr, "secret": totp_secret_text(device)},
        status=status,
    )


class CasebookPasswordChangeView(PasswordChangeView):
    """Changing the password keeps this session and ends every other one."""

    success_url = reverse_lazy("casebook:case_list")
    template_name = "registration/password_change.html"

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        log.record(Action.AUTH_PASSWORD_CHANGE, actor=Actor.of(self.request.user))
        messages.success(self.request, _("Password changed. Other sessions were signed out."))
        return response
