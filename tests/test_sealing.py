"""The access log's sealer, run apart from the appends as production runs it: appends
take no lock; every committed event is sealed exactly once, in a gapless chain that
verifies; a crash between an event's insert and its seal, or during sealing, loses
nothing and doubles nothing; events committed out of id order are sealed in the order
they were committed. (A sealer process killed mid-seal under load: tests/test_faults.py.)
"""

import datetime as dt
import threading
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.test import override_settings

from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.audit.sealing import seal_all, seal_waiting
from casebook.audit.verification import verify_log
from casebook.models import AccessEvent, AccessSeal, UnsealedEvent
from tests.transactional import LoggedTransactionTestCase

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent commits need PostgreSQL"
)


def record(name: str) -> AccessEvent:
    return log.record(Action.LOG_VIEW, actor=Actor.system(name))


def sealed_in_order() -> list[tuple[int, int]]:
    return list(AccessSeal.objects.order_by("position").values_list("position", "event_id"))


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
        assert not UnsealedEvent.objects.exists()
        verdict = verify_log()
        assert verdict.ok and verdict.events == 150 and verdict.unsealed == 0

    def test_an_event_committed_after_a_later_one_is_sealed_after_it(self):
        record("before")
        seal_all()
        early_ids: list[int] = []
        inserted, release = threading.Event(), threading.Event()

        def slow_action() -> None:
            try:
                with transaction.atomic():
                    early_ids.append(record("slow").id)
                    inserted.set()
                    release.wait(30)
            finally:
                connections.close_all()

        slow = threading.Thread(target=slow_action)
        slow.start()
        inserted.wait(30)
        late = record("fast")  # commits first, with the higher id
        assert late.id > early_ids[0]
        assert seal_all() == 1  # the slow one is not committed: not visible, not sealed
        release.set()
        slow.join()
        assert seal_all() == 1
        assert sealed_in_order()[-2:] == [(2, late.id), (3, early_ids[0])]
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
        assert not AccessSeal.objects.exists() and UnsealedEvent.objects.count() == 3
        record("after-the-crash")
        assert seal_all() == 4 and seal_all() == 0
        assert [position for position, _ in sealed_in_order()] == [1, 2, 3, 4]
        assert verify_log().ok

    def test_an_event_queued_again_after_its_seal_is_not_sealed_twice(self):
        event = record("once")
        seal_all()
        UnsealedEvent.objects.create(event_id=event.id)  # as only tampering could
        assert seal_all() == 1 and not UnsealedEvent.objects.exists()
        assert AccessSeal.objects.filter(event_id=event.id).count() == 1
        assert verify_log().ok

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
        assert AccessEvent.objects.filter(id=appended.id).exists()
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
