"""The access log's sealer, run apart from the appends as production runs it: appends
take no lock; every committed event is sealed exactly once, in a gapless chain that
verifies; a crash between an event's insert and its seal, or during sealing, loses
nothing and doubles nothing; events committed out of id order are sealed in the order
they were committed. (A sealer process killed mid-seal under load: tests/test_faults.py.)
"""

import datetime as dt
import importlib
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import override_settings

from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.audit.sealing import Sealer, seal_all, seal_waiting, sealed_horizon, waiting_events
from casebook.audit.verification import verify_log
from casebook.models import AccessEvent, AccessSeal
from tests.transactional import LoggedTransactionTestCase, log_triggers_dropped

HORIZON_MIGRATION = importlib.import_module("casebook.migrations.0017_access_log_sealed_by_horizon")

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent commits need PostgreSQL"
)


def record(name: str) -> int:
    return log.record(Action.LOG_VIEW, actor=Actor.system(name))


def sealed_in_order() -> list[tuple[int, int]]:
    return list(AccessSeal.objects.order_by("position").values_list("position", "event_id"))


@contextmanager
def in_flight() -> Iterator[int]:
    """An action in another connection that has recorded its event (whose id it yields)
    and not committed yet; it commits when the block ends."""
    ids: list[int] = []
    inserted, release = threading.Event(), threading.Event()

    def slow_action() -> None:
        try:
            with transaction.atomic():
                ids.append(record("slow"))
                inserted.set()
                release.wait(30)
        finally:
            connections.close_all()

    slow = threading.Thread(target=slow_action)
    slow.start()
    try:
        assert inserted.wait(30)
        yield ids[0]
    finally:
        release.set()
        slow.join()


@override_settings(CASEBOOK_SEAL_INLINE=False)
class SealerTests(LoggedTransactionTestCase):
    def test_appends_from_many_writers_while_the_sealer_runs_are_each_sealed_once(self):
        errors: list[BaseException] = []
        writing = threading.Event()
        writing.set()

        def writer(number: int) -> None:
            try:
                for _ in range(25):
                    record(f"writer-{number}")
            except Exception as error:  # noqa: BLE001 -- reported below
                errors.append(error)
            finally:
                connections.close_all()

        def sealer() -> None:
            try:
                while writing.is_set():
                    seal_all()
            except Exception as error:  # noqa: BLE001 -- reported below
                errors.append(error)
            finally:
                connections.close_all()

        sealing = threading.Thread(target=sealer)
        sealing.start()
        writers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
        writing.clear()
        sealing.join()
        assert errors == []
        seal_all()  # whatever committed after the sealer's last pass
        seals = sealed_in_order()
        assert [position for position, _ in seals] == list(range(1, 151))
        event_ids = sorted(AccessEvent.objects.values_list("id", flat=True))
        assert sorted(event_id for _, event_id in seals) == event_ids  # each exactly once
        assert not waiting_events().exists()
        verdict = verify_log()
        assert verdict.ok and verdict.events == 150 and verdict.unsealed == 0

    def test_an_event_committed_after_a_later_one_is_sealed_after_it(self):
        record("before")
        seal_all()
        with in_flight() as early:
            late = record("fast")  # commits first, with the higher id
            assert late > early
            assert seal_all() == 1  # the slow one is not committed: not visible, not sealed
        assert seal_all() == 1
        assert sealed_in_order()[-2:] == [(2, late), (3, early)]
        assert verify_log().ok

    def test_a_crash_between_insert_and_seal_loses_nothing(self):
        """The events committed while no sealer ran wait for it; verification counts
        them apart, and a sealer started later seals each of them once."""
        for number in range(4):
            record(f"unsealed-{number}")
        waiting = verify_log()
        assert waiting.ok and waiting.events == 0 and waiting.unsealed == 4
        assert seal_all() == 4
        sealed = verify_log()
        assert sealed.ok and sealed.events == 4 and sealed.unsealed == 0

    def test_a_crash_during_sealing_leaves_nothing_half_sealed(self):
        for number in range(3):
            record(f"first-{number}")
        with (
            mock.patch("casebook.audit.sealing.fault_pause", side_effect=SystemExit("killed")),
            pytest.raises(SystemExit),
        ):
            seal_waiting()
        assert not AccessSeal.objects.exists() and waiting_events().count() == 3
        record("after-the-crash")
        assert seal_all() == 4 and seal_all() == 0
        assert [position for position, _ in sealed_in_order()] == [1, 2, 3, 4]
        assert verify_log().ok

    def test_the_horizon_waits_for_an_event_in_flight_below_what_was_sealed(self):
        """A sealer that keeps running moves its horizon past what it sealed only once
        every transaction in flight at its pass has ended: an id drawn before a later
        one committed is sealed when its own transaction commits, however many passes
        ran meanwhile."""
        record("before")
        sealer = Sealer()
        sealer.seal()
        with in_flight() as early:
            late = [record(f"fast-{number}") for number in range(3)]
            for _ in range(4):  # pass after pass while the slow one is in flight
                sealer.seal()
            assert sealer.horizon < early and sealed_horizon() < early
        assert sealer.seal() == 1
        assert sealed_in_order()[-1] == (5, early)
        sealer.seal()  # nothing in flight now: the horizon reaches the newest event
        record("after")
        sealer.seal()
        assert sealed_horizon() >= max(late)
        verdict = verify_log()
        assert verdict.ok and verdict.events == 6 and verdict.unsealed == 0

    def test_a_pass_that_rolls_back_does_not_move_the_horizon(self):
        record("first")
        sealer = Sealer()
        with (
            mock.patch("casebook.audit.sealing.fault_pause", side_effect=SystemExit("killed")),
            pytest.raises(SystemExit),
        ):
            sealer.seal()
        assert sealer.horizon == 0 and not AccessSeal.objects.exists()
        assert sealer.seal() == 1 and verify_log().ok

    def test_a_pass_in_a_caller_s_transaction_is_remembered_only_if_it_commits(self):
        record("first")
        sealer = Sealer()
        sealer.seal()
        before = (sealer.horizon, list(sealer.passes), sealer.head)
        record("second")
        with pytest.raises(RuntimeError), transaction.atomic():
            assert sealer.seal() == 1
            raise RuntimeError("the caller's action fails after the pass")
        assert (sealer.horizon, sealer.passes, sealer.head) == before
        assert not AccessSeal.objects.filter(position=2).exists()
        with transaction.atomic():
            assert sealer.seal() == 1
            assert sealer.head == 1  # not yet: the caller has not committed
        assert sealer.head == 2 and verify_log().ok

    def test_without_the_id_trigger_an_append_fails_and_writes_nothing(self):
        """An event the sealer could never reach (an id not drawn after its transaction's
        id) is never written: without 0017's trigger the append refuses."""
        record("before")
        with connection.schema_editor() as editor:
            HORIZON_MIGRATION.drop_triggers(None, editor)
        try:
            with pytest.raises(DatabaseError), transaction.atomic():
                record("without the trigger")
        finally:
            with connection.schema_editor() as editor:
                HORIZON_MIGRATION.create_triggers(None, editor)
        assert AccessEvent.objects.count() == 1
        assert seal_all() == 1 and verify_log().ok

    def test_an_append_does_not_wait_for_a_sealer_that_holds_its_lock(self):
        """A sealer stuck mid-pass (holding its lock) delays seals, never actions."""
        record("first")
        stuck, release = threading.Event(), threading.Event()

        def stuck_sealer() -> None:
            try:
                with mock.patch(
                    "casebook.audit.sealing.fault_pause",
                    side_effect=lambda point: (stuck.set(), release.wait(30)),
                ):
                    seal_waiting()
            finally:
                connections.close_all()

        sealer = threading.Thread(target=stuck_sealer)
        sealer.start()
        assert stuck.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        try:
            appended = record("while the sealer is stuck")  # would time out on a lock
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
            release.set()
            sealer.join()
        assert AccessEvent.objects.filter(id=appended).exists()
        assert seal_all() == 1 and verify_log().ok

    def test_auditors_are_alerted_when_events_wait_over_a_minute_for_their_seal(self):
        from django.utils import timezone

        from casebook.audit.queries import alerts, chain_status

        now = timezone.now()
        with mock.patch(
            "casebook.audit.log.timezone.now", return_value=now - dt.timedelta(minutes=2)
        ):
            record("long ago")
        record("just now")
        assert alerts(now).sealer_behind and chain_status().waiting == 2
        seal_all()
        assert not alerts(now).sealer_behind and chain_status().waiting == 0


@override_settings(CASEBOOK_SEAL_INLINE=False)
class SealerRobustnessTests(LoggedTransactionTestCase):
    """What an independent review found: each of these stalled the sealer, hung
    verification, or made a tamper-free log look tampered."""

    def test_a_seal_written_around_the_sealer_with_a_far_horizon_hides_no_event(self):
        """The horizon is outside the hashes: one claimed far beyond the sealed events
        neither stops the sealer nor silences the alert (verification fails on it)."""
        record("sealed")
        seal_all()
        forged = record("forged seal")
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO casebook_accessseal (position, event_id, hash, sealed_at, horizon) "
                "VALUES (2, %s, %s, now(), %s)",
                [forged, "0" * 64, 10**15],
            )
        later = record("after the forged seal")
        assert sealed_horizon() == forged
        assert list(waiting_events().values_list("id", flat=True)) == [later]
        assert Sealer().seal() == 1
        assert not verify_log().ok

    def test_whether_an_event_is_waiting_is_read_in_the_same_statement_as_its_seal(self):
        from django.test.utils import CaptureQueriesContext

        from casebook.audit.reading import unsealed_events

        record("sealed")
        seal_all()
        waiting = record("waiting")
        with CaptureQueriesContext(connection) as queries:
            unsealed, horizon = unsealed_events()
        assert len(queries) == 1  # the sealer committing between two reads cannot interleave
        assert unsealed == [waiting] and horizon < waiting

    def test_verification_that_stops_early_does_not_wait_on_its_reader(self):
        for number in range(40):
            record(f"many-{number}")
        seal_all()
        with connection.cursor() as cursor, log_triggers_dropped():
            cursor.execute(
                "UPDATE casebook_accessseal SET hash = %s WHERE position = 1", ["f" * 64]
            )
        verdicts = []
        with mock.patch("casebook.audit.reading.FETCH", 15):  # three chunks: all handed over
            checking = threading.Thread(target=lambda: verdicts.append(verify_log()))
            checking.start()
            checking.join(60)  # a hang, not a duration: it returns at once when it works
        assert not checking.is_alive(), "verification hung on its reader"
        assert not verdicts[0].ok and verdicts[0].first_bad_seq == 1

    def test_an_event_the_sealer_cannot_encode_waits_where_the_alert_finds_it(self):
        from casebook.audit import sealing

        real = sealing.split_of_row

        def unencodable_odd(position, when, actor_id, username, *rest):
            if username == "system:odd":
                return None
            return real(position, when, actor_id, username, *rest)

        record("plain-1")
        odd = record("odd")
        record("plain-2")
        sealer = Sealer()
        with mock.patch("casebook.audit.sealing.split_of_row", side_effect=unencodable_odd):
            assert sealer.seal() == 2 and sealer.seal() == 0
            assert sealed_horizon() < odd  # never past it: later passes still look at it
            assert list(waiting_events().values_list("id", flat=True)) == [odd]
            verdict = verify_log()  # it can never be sealed: not merely waiting
        assert not verdict.ok and verdict.events == 2 and verdict.unsealed == 1
        assert verdict.stranded_event == odd and "no canonical encoding" in verdict.problem

    def test_an_event_without_a_canonical_encoding_is_a_broken_chain_not_a_crash(self):
        for number in range(3):
            record(f"plain-{number}")
        seal_all()
        from casebook.audit import canonical

        real = canonical.split

        def unencodable_second(position, *args):
            if position == 2:
                raise TypeError("no encoding")
            return real(position, *args)

        with mock.patch("casebook.audit.canonical.split", side_effect=unencodable_second):
            verdict = verify_log()
        assert not verdict.ok and verdict.first_bad_seq == 2 and verdict.problem == "hash mismatch"

    def test_the_database_refuses_an_event_no_chain_could_encode(self):
        statement = (
            "INSERT INTO casebook_accessevent (occurred_at, actor_username, role, action, "
            "target, outcome, reason, request_id, details) VALUES (%s, 'x', 'system', "
            "'log.view', '', 'allowed', '', '', %s::jsonb)"
        )
        for when, details in (
            ("infinity", "{}"),
            ("0005-01-01 00:00:00+00 BC", "{}"),
            ("2026-11-29 12:00:00+00", "[1, 2]"),
            ("2026-11-29 12:00:00+00", '{"rows": "' + "x" * 9000 + '"}'),
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                connection.cursor().execute(statement, [when, details])

    def test_the_sealer_keeps_sealing_after_an_unexpected_failure(self):
        out, err = io.StringIO(), io.StringIO()
        with (
            mock.patch(
                "casebook.management.commands.seal_access_log.Sealer.seal",
                side_effect=[TypeError("boom"), 0, KeyboardInterrupt],
            ),
            mock.patch("casebook.management.commands.seal_access_log.time.sleep"),
            pytest.raises(KeyboardInterrupt),
        ):
            call_command("seal_access_log", "--follow", stdout=out, stderr=err)
        assert "Sealing failed (TypeError); retrying." in err.getvalue()
        assert "boom" not in err.getvalue()
