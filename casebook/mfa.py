"""Second factor: who must have one, and a middleware that holds everyone else back.

Supervisors, auditors and administrators must enrol a TOTP device (with backup codes)
at their first sign-in and verify it at every sign-in. Caseworkers may enrol; once
they have, they verify too.
"""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

from casebook.roles import Role, role_of

MFA_ROLES = {Role.SUPERVISOR, Role.AUDITOR, Role.ADMINISTRATOR}
OPEN_PATHS = ("/static/", "/accounts/logout/")


def mfa_required(user) -> bool:
    return role_of(user) in MFA_ROLES


class MFARequiredMiddleware:
    """A signed-in user who owes a second factor reaches only enrolment or verification."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated or user.is_verified() or request.path.startswith(OPEN_PATHS):
            return self.get_response(request)
        verify, setup = reverse("mfa_verify"), reverse("mfa_setup")
        if user_has_device(user):
            if request.path != verify:
                return redirect(f"{verify}?next={request.get_full_path()}")
        elif mfa_required(user) and request.path != setup:
            return redirect(setup)
        return self.get_response(request)


def client_ip(request) -> str:
    """The client's address for lockout: the proxy's X-Forwarded-For only when trusted."""
    if settings.CASEBOOK_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()[:45]
    return request.META.get("REMOTE_ADDR", "")[:45]
