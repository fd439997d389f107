"""Request ids for the access log, the second-factor gate, and each person's language."""

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.functional import LazyObject, empty
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp.middleware import OTPMiddleware

from casebook.accounts.devices import device_of_session, read_with_account
from casebook.accounts.preferences import language_of
from casebook.accounts.second_factor import mfa_required
from casebook.audit.log import request_id_var

ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
OPEN_PATHS = ("/static/", "/accounts/logout/", "/invitation/")
CHOSEN_LANGUAGE = "casebook_language"  # session key: the signed-in person's choice


class RequestIdMiddleware:
    """Give every request an id that its access-log events carry: a well-formed
    X-Request-ID from the proxy, else a new random one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if ACCEPTED_ID.match(offered) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class SecondFactorMiddleware(OTPMiddleware):  # type: ignore[misc]  # django-otp is untyped
    """django-otp's middleware (request.user.otp_device, is_verified()), with the
    session's device read in one prepared statement (casebook.accounts.devices)."""

    def _device_from_persistent_id(self, persistent_id: str) -> object:
        return device_of_session(self._normalize_persistent_id(persistent_id))

    def _verify_user_sync(self, request: HttpRequest, user: object) -> object:
        # The session's device is read with the account, in one statement, as django-otp
        # works the account out.
        named = request.session.get(DEVICE_ID_SESSION_KEY)
        persistent_id = self._normalize_persistent_id(named) if isinstance(named, str) else None
        with read_with_account(persistent_id):
            verified = super()._verify_user_sync(request, user)
        # The account itself rather than Django's lazy wrapper of it, once verified:
        # read through two lazy wrappers, each of a request's hundred-odd reads of
        # request.user went through two proxies.
        return _unwrapped(verified)


def _unwrapped(user: object) -> object:
    """What a lazy object stands for, once it has been worked out; else the object."""
    if isinstance(user, LazyObject) and user._wrapped is not empty:
        return user._wrapped
    return user


class MFARequiredMiddleware:
    """A signed-in user who owes a second factor reaches only its verification (or, with
    no device at all, the page that says to ask for an invitation)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        authenticated = request.user.is_authenticated  # works the account out
        # From here on the account itself: the view and its templates read it directly.
        user: Any = _unwrapped(request.user)
        request.user = user
        if (
            not authenticated
            or user.is_verified()  # set by django-otp's middleware
            or request.path.startswith(OPEN_PATHS)
        ):
            return self.get_response(request)
        verify, missing = reverse("mfa_verify"), reverse("mfa_missing")
        if user_has_device(user):
            if request.path != verify:
                return redirect(f"{verify}?next={request.get_full_path()}")
        elif mfa_required(user) and request.path != missing:
            return redirect(missing)
        return self.get_response(request)


class AccountLanguageMiddleware:
    """A signed-in person's chosen language wins over the cookie and the browser's
    Accept-Language (which Django's LocaleMiddleware, earlier, has applied)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = None
        if request.user.is_authenticated:
            # Read from the account once per session ("" when none was chosen).
            if CHOSEN_LANGUAGE not in request.session:
                request.session[CHOSEN_LANGUAGE] = language_of(request.user) or ""
            chosen = request.session[CHOSEN_LANGUAGE]
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
