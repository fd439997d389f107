"""The statements every request runs (casebook.db.prepared) are prepared on PostgreSQL
once per connection and planned once, without their values; Django's own queries are
never prepared."""

import datetime as dt
from unittest import mock

import psycopg
import pytest
from django.db import OperationalError, connection, transaction
from django.db.backends.postgresql.psycopg_any import BaseTzLoader

from casebook.accounts.backend import STATEMENT as ACCOUNT
from casebook.accounts.sessions import STATEMENT as SESSION
from casebook.audit.workspace import STATEMENT as WORKSPACE
from casebook.db import PREPARED_CURSOR, prepared
from casebook.roles import Role
from tests import factories
from tests.cast import CastTestCase
from tests.transactional import LoggedTransactionTestCase

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def _prepared_here() -> dict[str, tuple[int, int]]:
    """This connection's prepared statements: their text, and how many times each was
    run with a generic plan and with a custom one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {" ".join(text.split()): (generic, custom) for text, generic, custom in cursor}


def _as_prepared(statement: str) -> str:
    """The text PostgreSQL holds for `statement` (psycopg numbers its placeholders)."""
    return " ".join(statement.split())


class PreparedStatementTests(CastTestCase):
    def test_each_request_s_account_read_is_prepared_once_and_planned_once(self):
        factories.sign_in(self.client, self.author)
        for _ in range(7):
            assert self.client.get("/").status_code == 302
        held = {
            text: plans
            for text, plans in _prepared_here().items()
            if text.startswith(_as_prepared(ACCOUNT)[:60])
        }
        assert len(held) == 1, held
        [(generic, custom)] = held.values()
        # More than the five custom plans PostgreSQL would try first, and none of them.
        assert generic >= 7 and custom == 0

    def test_the_workspace_s_counts_are_planned_once_with_their_actions_written_in(self):
        factories.sign_in(self.client, self.auditor)
        for _ in range(6):
            assert self.client.get("/audit/").status_code == 200
        held = [
            plans
            for text, plans in _prepared_here().items()
            if text.startswith(_as_prepared(WORKSPACE)[:60])
        ]
        assert held and held[0][0] >= 6 and held[0][1] == 0
        # The one value it is sent is the period's start: the actions, which tell the
        # planner which index ranges are small, are in its text.
        assert "case.break_glass" in WORKSPACE and WORKSPACE.count("%(") == 1

    def test_django_s_own_queries_are_never_prepared(self):
        factories.sign_in(self.client, self.author)
        for _ in range(7):
            self.client.get("/cases/")
        held = _prepared_here()
        assert any(text.startswith(_as_prepared(SESSION)[:40]) for text in held)
        # Django's compiler names every column with its table ("table"."column").
        assert not [text for text in held if '"."' in text]

    def test_a_request_whose_prepared_read_answered_sends_no_health_check(self):
        assert connection.health_check_enabled  # as configured (conn_health_checks)
        with mock.patch.object(connection, "is_usable", wraps=connection.is_usable) as checked:
            # Django checks a connection before the first query of each request.
            connection.health_check_done = False
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            assert checked.call_count == 1
            # A prepared read that answered is that check.
            connection.health_check_done = False
            assert prepared("SELECT %s::integer", [7]) == [(7,)]
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            assert checked.call_count == 1
            # Through a whole request: the access log's page uses Django's cursor too.
            factories.sign_in(self.client, self.auditor)
            checked.reset_mock()
            assert self.client.get("/audit/").status_code == 200
            assert checked.call_count == 0


class PreparedTimestampTests(CastTestCase):
    def test_timestamps_read_prepared_are_the_datetimes_django_reads(self):
        moments = [
            dt.datetime(2019, 3, 1, 4, 5, 6, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC),
            dt.datetime(2020, 6, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        ]
        for moment in moments:
            [(prepared_moment,)] = prepared("SELECT %s::timestamptz", [moment])
            with connection.cursor() as cursor:
                cursor.execute("SELECT %s::timestamptz", [moment])
                [(django_s,)] = cursor.fetchall()
            assert prepared_moment == django_s == moment
            assert prepared_moment.tzinfo is django_s.tzinfo is dt.UTC
        # Read by psycopg's own loader, not Django's (which parses each in Python).
        loader = getattr(connection, PREPARED_CURSOR).adapters.get_loader(
            psycopg.adapters.types["timestamptz"].oid, psycopg.pq.Format.TEXT
        )
        assert not issubclass(loader, BaseTzLoader)


class ConnectionLostWhileIdleTests(LoggedTransactionTestCase):
    """A connection kept between requests that the database dropped meanwhile (a
    restart, say): the next request's first read, which stands for Django's health
    check, is sent again on a new connection; anything else that finds it lost fails."""

    def tearDown(self):
        if connection.connection is not None and connection.connection.broken:
            connection.close()
        super().tearDown()

    def _lose_the_connection(self, *, as_a_request_starts: bool = True) -> int:
        """The database ends this connection's backend; returns the backend's pid."""
        lost = connection.connection.info.backend_pid
        settings = connection.settings_dict
        with psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            dbname=settings["NAME"],
            autocommit=True,
        ) as database:
            database.execute("SELECT pg_terminate_backend(%s, 10000)", [lost])
        # What Django does as each request starts, with a connection it keeps.
        connection.health_check_done = not as_a_request_starts
        return lost

    def test_the_next_request_is_answered_on_a_new_connection(self):
        caseworker = factories.user("fictional-lost-connection", Role.CASEWORKER, "Test Team Alpha")
        factories.sign_in(self.client, caseworker)
        assert self.client.get("/cases/").status_code == 200
        lost = self._lose_the_connection()
        assert self.client.get("/cases/").status_code == 200
        assert connection.connection.info.backend_pid != lost

    def test_a_connection_lost_after_the_request_s_first_answer_is_not_hidden(self):
        assert prepared("SELECT %s::integer", [1]) == [(1,)]
        self._lose_the_connection(as_a_request_starts=False)
        with pytest.raises(OperationalError):
            prepared("SELECT %s::integer", [2])

    def test_a_connection_lost_inside_a_transaction_is_not_hidden(self):
        with pytest.raises(OperationalError), transaction.atomic():
            prepared("SELECT %s::integer", [1])
            self._lose_the_connection()
            prepared("SELECT %s::integer", [2])

    def test_only_a_plain_read_is_sent_again(self):
        prepared("SELECT %s::integer", [1])
        self._lose_the_connection()
        with pytest.raises(OperationalError):
            prepared("WITH chosen AS (SELECT %s::integer AS n) SELECT n FROM chosen", [2])
