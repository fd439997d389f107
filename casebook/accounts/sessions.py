"""Each request's session, read on PostgreSQL in one prepared statement
(casebook.db.prepared): Django's database sessions otherwise, the same table and the
same rows. Django composes and plans that read anew on every request, which cost more
than the read did."""

from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connection
from django.utils import timezone

from casebook.db import columns_of, prepared

_FIELDS, _COLUMNS = columns_of(Session)
STATEMENT = f"""
    SELECT {_COLUMNS} FROM django_session
     WHERE session_key = %s AND expire_date > %s"""  # noqa: S608 -- constants only


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        if connection.vendor != "postgresql" or not self.session_key:
            return super()._get_session_from_db()  # type: ignore[misc]  # not in the stubs
        found = prepared(STATEMENT, [self.session_key, timezone.now()])
        if not found:
            self._session_key = None
            return None
        return Session.from_db(DEFAULT_DB_ALIAS, _FIELDS, found[0])
