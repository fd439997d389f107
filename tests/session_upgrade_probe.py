"""Run by tests/test_migrations.py in a child process, against a fresh database.

Migrates to 0017 (the last release whose sessions named Django's ModelBackend), stores
a signed-in session as that release did, an expired one and one that does not decode,
migrates to 0018, and prints, as JSON, which backend each names then, whether the
signed-in one still finds its person, and which it names after going back to 0017.
"""

import datetime as dt
import json

import django

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from casebook.accounts.backend import AccountBackend  # noqa: E402

BEFORE = ("casebook", "0017_access_log_sealed_by_horizon")
OLD = "django.contrib.auth.backends.ModelBackend"


def stored(user: User, *, expires_in: dt.timedelta) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = OLD
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["casebook_language"] = "ko"
    session.set_expiry(expires_in)
    session.save()
    return str(session.session_key)


def main() -> None:
    call_command("migrate", *BEFORE, verbosity=0)
    call_command("migrate", "sessions", verbosity=0)  # as that release had it
    user = User.objects.create_user("cw-upgrade-session", password="fictional-Passw0rd!")
    live = stored(user, expires_in=dt.timedelta(hours=1))
    expired = stored(user, expires_in=dt.timedelta(hours=1))
    Session.objects.filter(pk=expired).update(expire_date=timezone.now() - dt.timedelta(hours=1))
    Session.objects.create(
        session_key="x" * 32,
        session_data="not a session",
        expire_date=timezone.now() + dt.timedelta(hours=1),
    )
    call_command("migrate", verbosity=0)

    def backend(key: str) -> str | None:
        data = SessionStore().decode(Session.objects.get(pk=key).session_data)
        return data.get(BACKEND_SESSION_KEY)

    live_data = SessionStore().decode(Session.objects.get(pk=live).session_data)
    print(
        json.dumps(
            {
                "live": backend(live),
                "live_language_kept": live_data.get("casebook_language"),
                "expired": backend(expired),
                "undecodable_left": Session.objects.get(pk="x" * 32).session_data,
                "found_again": AccountBackend().get_user(live_data[SESSION_KEY]) == user,
                "after_going_back": going_back(live),
            }
        )
    )


def going_back(key: str) -> str | None:
    call_command("migrate", *BEFORE, verbosity=0)
    return SessionStore().decode(Session.objects.get(pk=key).session_data).get(BACKEND_SESSION_KEY)


main()
