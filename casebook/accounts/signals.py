"""Sign-in, failed sign-in and sign-out go to the access log."""

import logging
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp.forms import otp_verification_failed

from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.audit.flood import admitted, folded_details

logger = logging.getLogger("casebook.accounts")
# Marks a failed second step sent as a failed sign-in, so that it counts toward the
# lockout (django-axes) without being recorded a second time as a wrong password.
SECOND_STEP = "casebook_second_step"


@receiver(user_logged_in)
def login_recorded(sender: object, request: HttpRequest, user: User, **kwargs: Any) -> None:
    log.record(Action.AUTH_LOGIN, actor=Actor.of(user))


@receiver(user_logged_out)
def logout_recorded(sender: object, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    """Recorded when the log can be written; signing out never waits on it (Django sends
    this before it ends the session, and a failure here would leave the session valid)."""
    try:
        log.record(Action.AUTH_LOGOUT, actor=Actor.of(user))
    except DatabaseError as error:
        logger.error(
            "a sign-out could not be recorded (%s); the session ends", type(error).__name__
        )


def _attempted(username: object) -> Actor:
    """The account a failed attempt named, or "unknown": people sometimes type their
    password into the username field, and the log is permanent."""
    name = str(username or "")[:150]
    user = User.objects.filter(username=name).first() if name else None
    if user is None:
        return Actor(None, "unknown", "anonymous")
    return Actor(user.pk, user.get_username(), "anonymous")


@receiver(user_login_failed)
def login_failure_recorded(
    sender: object,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    if getattr(request, "axes_locked_out", False) or credentials.get(SECOND_STEP):
        # Attempts on a locked account: the lockout event below records them. A failed
        # second step was recorded as such where it happened.
        return
    log.record(
        Action.AUTH_LOGIN_FAILED,
        actor=_attempted(credentials.get("username")),
        outcome=Outcome.DENIED,
    )


@receiver(user_locked_out)
def lockout_recorded(
    sender: object, request: HttpRequest, username: str, ip_address: str, **kwargs: Any
) -> None:
    folded = admitted(f"lockout:{username}:{ip_address}")
    if folded is not None:
        log.record(
            Action.AUTH_LOCKOUT,
            actor=_attempted(username),
            outcome=Outcome.DENIED,
            details=folded_details(folded),
        )


@receiver(otp_verification_failed)
def admin_second_step_failure_recorded(sender: object, user: User, **kwargs: Any) -> None:
    """A wrong code on the admin site's own sign-in form (django-otp's OTPAuthenticationForm)."""
    log.record(Action.AUTH_MFA_FAILED, actor=Actor.of(user), outcome=Outcome.DENIED)
