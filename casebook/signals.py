"""Sign-in, failed sign-in and sign-out go to the access log."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from casebook import audit
from casebook.audit import Action, Actor, Outcome


@receiver(user_logged_in)
def login_recorded(sender, request, user, **kwargs):
    audit.record(Action.AUTH_LOGIN, actor=Actor.of(user))


@receiver(user_logged_out)
def logout_recorded(sender, request, user, **kwargs):
    audit.record(Action.AUTH_LOGOUT, actor=Actor.of(user))


@receiver(user_login_failed)
def login_failure_recorded(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`; only the name is kept.
    username = str(credentials.get("username", ""))[:150]
    audit.record(
        Action.AUTH_LOGIN_FAILED,
        actor=Actor(None, username, "anonymous"),
        outcome=Outcome.DENIED,
    )


@receiver(user_locked_out)
def lockout_recorded(sender, request, username, ip_address, **kwargs):
    audit.record(
        Action.AUTH_LOCKOUT,
        actor=Actor(None, str(username or "")[:150], "anonymous"),
        outcome=Outcome.DENIED,
    )
