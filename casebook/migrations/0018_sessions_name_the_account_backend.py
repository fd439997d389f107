"""Sessions signed in before this release name Django's ModelBackend, which is no longer
listed (casebook.accounts.backend.AccountBackend took its place): Django would treat
them as signed out, and a case form being typed when the release went in would be lost
at its submission. They are rewritten to name the new backend, everything else in them
as it was (a session that does not decode is left alone: it is no one's).

Going back names ModelBackend again.
"""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import migrations
from django.utils import timezone

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
ACCOUNT_BACKEND = "casebook.accounts.backend.AccountBackend"


def renamed(old: str, new: str):
    def rename(apps, schema_editor):
        from django.contrib.sessions.backends.db import SessionStore

        sessions = apps.get_model("sessions", "Session")
        store = SessionStore()
        live = sessions.objects.filter(expire_date__gt=timezone.now())
        for key, stored in live.values_list("session_key", "session_data").iterator(1000):
            data = store.decode(stored)
            if data.get(BACKEND_SESSION_KEY) == old:
                data[BACKEND_SESSION_KEY] = new
                # Only if it is as it was read: a session signed out or written by a
                # request meanwhile (the site may be serving) is left as that left it.
                sessions.objects.filter(session_key=key, session_data=stored).update(
                    session_data=store.encode(data)
                )

    return rename


class Migration(migrations.Migration):
    dependencies = [
        ("casebook", "0017_access_log_sealed_by_horizon"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            renamed(MODEL_BACKEND, ACCOUNT_BACKEND), renamed(ACCOUNT_BACKEND, MODEL_BACKEND)
        )
    ]
