"""The second factor at sign-in, accounts without one, and password changes.

Enrolment happens only through an invitation (casebook.web.views.invitation)."""

import logging
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import LogoutView, PasswordChangeView
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from casebook.accounts.demo_codes import demo_codes_mark_used
from casebook.accounts.signals import SECOND_STEP
from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.web.client import session_cookie_dropped, submitted
from casebook.web.forms.sign_in import TokenForm

logger = logging.getLogger("casebook.web")
MISSING_RECORDED_KEY = "casebook_mfa_missing_recorded"


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
            if settings.CASEBOOK_DEMO_CODES_FILE:
                demo_codes_mark_used(settings.CASEBOOK_DEMO_CODES_FILE, request.user)
            return redirect(_safe_next(request))
        if locked := second_step_failed(request, request.user):
            return locked
        form.add_error("token", _("That code is not valid. Try the current one."))
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "registration/mfa_verify.html",
        {"form": form, "next": _safe_next(request)},
        status=status,
    )


@never_cache
@require_GET
def mfa_missing(request):
    """An account without a second factor goes no further than this page: only a new
    invitation (from an administrator) enrols one. Recorded once per session."""
    if not request.user.is_authenticated:
        return redirect("login")
    if user_has_device(request.user):
        return redirect("/")
    if not request.session.get(MISSING_RECORDED_KEY):
        log.record(
            Action.PAGE_DENIED,
            actor=Actor.of(request.user),
            outcome=Outcome.DENIED,
            target="mfa_missing",
        )
        request.session[MISSING_RECORDED_KEY] = True
    return render(request, "registration/mfa_missing.html", status=403)


def second_step_failed(request: HttpRequest, user: Any) -> HttpResponse | None:
    """A wrong second-step code (a guess inside django-otp's throttle delay included) is
    recorded and counts toward the same lockout as a wrong password; at the limit the
    person is signed out and sees the lockout page."""
    log.record(Action.AUTH_MFA_FAILED, actor=Actor.of(user), outcome=Outcome.DENIED)
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), SECOND_STEP: True},
        request=request,
    )
    if not getattr(request, "axes_locked_out", False):
        return None
    logout(request)
    return render(request, "registration/locked_out.html", status=429)


# What the sign-in and password forms answer: Django's form views would also take PUT as
# a POST (and, with no form data read from it, draw the page again).
FORM_METHODS = ["get", "post", "head", "options"]


class CasebookPasswordChangeView(PasswordChangeView):
    """Changing the password keeps this session and ends every other one."""

    http_method_names = FORM_METHODS
    success_url = reverse_lazy("casebook:case_list")
    template_name = "registration/password_change.html"

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        log.record(Action.AUTH_PASSWORD_CHANGE, actor=Actor.of(self.request.user))
        messages.success(self.request, _("Password changed. Other sessions were signed out."))
        return response


class CasebookLogoutView(LogoutView):
    """Sign-out always ends the session: when even the session store cannot be reached,
    the browser's session cookie is deleted all the same."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)
        except DatabaseError as error:
            logger.error("sign-out without the database (%s)", type(error).__name__)
            # An empty session in its place: the session middleware then deletes the
            # cookie instead of trying to save the old session.
            request.session = import_module(settings.SESSION_ENGINE).SessionStore()
            return session_cookie_dropped(redirect("login"))
