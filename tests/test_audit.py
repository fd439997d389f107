"""The access log: what is recorded, the append-only rule, and the hash chain."""

import base64
import io
import json
import os
import tempfile
import threading
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.test import TestCase
from django.urls import reverse

from casebook.audit import canonical, log
from casebook.audit.actions import Action, Actor, register
from casebook.audit.sealing import seal_all, sealed_horizon
from casebook.cases import access
from casebook.cases.sharing import case_share, case_unshare
from casebook.crypto import envelope
from casebook.models import AccessEvent, AccessSeal
from casebook.roles import Role
from tests import factories
from tests.keyrings import configured_keys, new_kek
from tests.transactional import LoggedTransactionTestCase, log_triggers_dropped


def events_since(event_id: int) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(id__gt=event_id).order_by("id"))


def head() -> int:
    return AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


class RecordedActionsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alpha = factories.team("Test Team Alpha")
        cls.author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        cls.colleague = factories.user("cw-colleague", Role.CASEWORKER, "Test Team Alpha")
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha")
        cls.auditor = factories.user("aud-1", Role.AUDITOR)
        cls.case = factories.case(cls.author)

    def one_event(self, since: int) -> AccessEvent:
        new = events_since(since)
        assert len(new) == 1, [(e.action, e.outcome) for e in new]
        return new[0]

    def test_reading_testimony_writes_one_case_view_event(self):
        factories.sign_in(self.client, self.author)
        start = head()
        assert (
            self.client.get(reverse("casebook:case_detail", args=[self.case.reference])).status_code
            == 200
        )
        event = self.one_event(start)
        assert (event.action, event.outcome, event.target) == (
            "case.view",
            "allowed",
            self.case.reference,
        )
        assert (event.actor_id, event.actor_username, event.role) == (
            self.author.pk,
            "cw-author",
            "caseworker",
        )
        assert len(event.request_id) == 32 and event.reason == ""

    def test_denied_and_missing_case_urls_write_one_denied_event_each(self):
        factories.sign_in(self.client, self.colleague)
        for reference in (self.case.reference, "CB-0000-0000"):
            for name in (
                "case_detail",
                "case_edit",
                "case_delete",
                "case_sharing",
                "case_break_glass",
            ):
                start = head()
                assert (
                    self.client.get(reverse(f"casebook:{name}", args=[reference])).status_code
                    == 404
                )
                event = self.one_event(start)
                assert (event.action, event.outcome, event.target) == (
                    "case.access",
                    "denied",
                    reference,
                )
                assert event.actor_username == "cw-colleague"

    def test_anonymous_case_url_is_recorded_as_denied(self):
        start = head()
        self.client.get(reverse("casebook:case_detail", args=[self.case.reference]))
        event = self.one_event(start)
        assert (event.actor_username, event.role, event.outcome) == ("", "anonymous", "denied")

    def test_role_refusal_is_recorded(self):
        factories.sign_in(self.client, self.auditor)
        start = head()
        assert self.client.get(reverse("casebook:case_list")).status_code == 403
        event = self.one_event(start)
        assert (event.action, event.outcome, event.target) == (
            "page.denied",
            "denied",
            "casebook:case_list",
        )

    def test_create_update_and_delete_are_recorded_with_field_names_only(self):
        factories.sign_in(self.client, self.author)
        start = head()
        self.client.post(
            reverse("casebook:case_create"), factories.form_data(narrative="SECRET-ONE")
        )
        created = self.one_event(start)
        assert created.action == "case.create"
        start = head()
        url = reverse("casebook:case_edit", args=[created.target])
        self.client.post(url, factories.form_data(version="1", year="2011", narrative="SECRET-TWO"))
        updated = self.one_event(start)
        assert updated.action == "case.update"
        assert updated.details == {"changed": ["year", "narrative"]}
        start = head()
        self.client.post(
            reverse("casebook:case_delete", args=[created.target]), {"reference": created.target}
        )
        assert self.one_event(start).action == "case.delete"
        dump = " ".join(str(e.__dict__) for e in AccessEvent.objects.all())
        assert "SECRET" not in dump and "FICTIONAL" not in dump

    def test_share_unshare_and_break_glass_are_recorded(self):
        start = head()
        case_share(supervisor=self.supervisor, case=self.case, user=self.colleague)
        shared = self.one_event(start)
        assert (shared.action, shared.details) == ("case.share", {"holder": "user:cw-colleague"})
        start = head()
        case_unshare(supervisor=self.supervisor, case=self.case, team=self.alpha)
        assert self.one_event(start).details == {"holder": "team:Test Team Alpha"}
        factories.sign_in(self.client, self.supervisor)
        start = head()
        reason = "Fictional urgent safeguarding review requested by the director."
        url = reverse("casebook:case_break_glass", args=[self.case.reference])
        response = self.client.post(url, {"reason": reason}, follow=True)
        assert response.redirect_chain == [(url, 302)]  # the reading is the GET after the POST
        assert response.status_code == 200 and "FICTIONAL-NARRATIVE" in response.content.decode()
        event = self.one_event(start)
        assert (event.action, event.reason, event.actor_username) == (
            "case.break_glass",
            reason,
            "sup-alpha",
        )
        reloaded = self.client.get(url)  # a reload asks for a reason again
        assert reloaded.status_code == 200 and "FICTIONAL" not in reloaded.content.decode()
        assert self.one_event(start) == event

    def test_break_glass_without_a_written_reason_opens_nothing(self):
        factories.sign_in(self.client, self.supervisor)
        start = head()
        response = self.client.post(
            reverse("casebook:case_break_glass", args=[self.case.reference]), {"reason": "because"}
        )
        assert response.status_code == 400 and "FICTIONAL" not in response.content.decode()
        assert events_since(start) == []

    def test_login_failed_login_and_logout_are_recorded(self):
        start = head()
        self.client.post(reverse("login"), {"username": "cw-author", "password": "wrong-password"})
        failed = self.one_event(start)
        assert (failed.action, failed.outcome, failed.actor_username) == (
            "auth.login_failed",
            "denied",
            "cw-author",
        )
        start = head()
        self.client.post(
            reverse("login"), {"username": "cw-author", "password": factories.PASSWORD}
        )
        assert self.one_event(start).action == "auth.login"
        start = head()
        self.client.post(reverse("logout"))
        assert self.one_event(start).action == "auth.logout"

    def test_no_log_no_access(self):
        """When the event cannot be written, the testimony is neither decrypted nor served."""
        with (
            mock.patch.object(log, "record", side_effect=DatabaseError("log unavailable")),
            mock.patch.object(envelope, "open_fields") as decrypt,
            pytest.raises(DatabaseError),
        ):
            access.case_read(user=self.author, reference=self.case.reference)
        decrypt.assert_not_called()

    def test_rotation_and_account_creation_commands_are_recorded(self):
        start = head()
        with configured_keys(f"{os.environ['CASEBOOK_KEK']},2:{new_kek()}"):
            call_command("rotate_keys", stdout=open(os.devnull, "w"))  # noqa: SIM115
        event = self.one_event(start)
        assert (event.action, event.actor_username, event.role) == (
            "keys.rotate",
            "system:rotate_keys",
            "system",
        )
        assert event.details == {"rotated": 1, "key_version": 2}
        start = head()
        factories.user("new-auditor", Role.AUDITOR)
        assert self.one_event(start).action == "account.create"


class RegistryTests(TestCase):
    def test_registering_an_action_twice_is_an_error(self):
        with pytest.raises(ValueError, match="already registered"):
            register("case.view", "again")

    def test_unregistered_actions_and_unknown_details_are_refused(self):
        with pytest.raises(ValueError, match="Unregistered"):
            log.record("case.peek", actor=Actor.system("test"))
        with pytest.raises(ValueError, match="may not carry"):
            log.record(Action.CASE_VIEW, actor=Actor.system("test"), details={"narrative": "x"})

    def test_the_chain_links_each_event_to_the_previous(self):
        log.record(Action.LOG_VIEW, actor=Actor.system("test"))
        log.record(Action.LOG_VIEW, actor=Actor.system("test"))
        first, second = AccessSeal.objects.order_by("-position")[:2][::-1]
        assert second.position == first.position + 1
        stored = AccessEvent.objects.get(id=second.event_id)
        fields = canonical.hashed_fields(stored, second.position)
        assert second.hash == canonical.event_hash(fields, first.hash)


class AppendOnlyTests(TestCase):
    def test_the_database_refuses_update_delete_and_truncate(self):
        log.record(Action.LOG_VIEW, actor=Actor.system("test"))
        table = AccessEvent._meta.db_table
        statements = [f"UPDATE {table} SET target = 'x'", f"DELETE FROM {table}"]  # noqa: S608
        if connection.vendor == "postgresql":
            statements.append(f"TRUNCATE {table} CASCADE")
        for statement in statements:
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                connection.cursor().execute(statement)
        assert AccessEvent.objects.filter(target="x").count() == 0
        assert AccessEvent.objects.count() >= 1

    def test_the_orm_cannot_change_or_delete_an_event_either(self):
        event = AccessEvent.objects.get(id=log.record(Action.LOG_VIEW, actor=Actor.system("test")))
        with pytest.raises(DatabaseError), transaction.atomic():
            AccessEvent.objects.filter(pk=event.pk).update(outcome="denied")
        with pytest.raises(DatabaseError), transaction.atomic():
            event.delete()


class ConcurrentAppendTests(LoggedTransactionTestCase):
    def test_threads_appending_at_once_leave_a_gapless_valid_chain(self):
        from casebook.audit.verification import verify_log

        errors = []

        def writer(number: int):
            try:
                for _ in range(15):
                    log.record(Action.LOG_VIEW, actor=Actor.system(f"writer-{number}"))
            except Exception as error:  # noqa: BLE001 -- reported below
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        positions = list(AccessSeal.objects.order_by("position").values_list("position", flat=True))
        assert positions == list(range(1, 91))
        verdict = verify_log()
        assert verdict.ok and verdict.events == 90


def signing_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="tampering is simulated on PostgreSQL"
)
class TamperingTests(LoggedTransactionTestCase):
    """An attacker with database access drops the trigger and rewrites the log."""

    def setUp(self):
        super().setUp()
        for number in range(10):
            log.record(Action.LOG_VIEW, actor=Actor.system(f"seed-{number}"))
        self.key = signing_key()

    def verify(self, *args) -> tuple[bool, str]:
        out = io.StringIO()
        with mock.patch.dict(os.environ, {"CASEBOOK_AUDIT_SIGNING_KEY": self.key}):
            try:
                call_command("verify_access_log", *args, stdout=out)
            except CommandError as error:
                return False, str(error)
        return True, out.getvalue()

    def tamper(self, sql: str, params=()):
        with log_triggers_dropped(), connection.cursor() as cursor:
            cursor.execute(sql, params)

    def test_intact_log_verifies(self):
        ok, message = self.verify()
        assert ok and "Access log intact: 10 events" in message

    def event_at(self, position: int) -> int:
        return AccessSeal.objects.get(position=position).event_id

    def test_modified_event_is_named(self):
        self.tamper(
            "UPDATE casebook_accessevent SET actor_username = 'someone-else' WHERE id = %s",
            [self.event_at(4)],
        )
        ok, message = self.verify()
        assert not ok and "first bad sequence number 4" in message

    def test_deleted_event_is_named(self):
        self.tamper("DELETE FROM casebook_accessevent WHERE id = %s", [self.event_at(6)])
        ok, message = self.verify()
        assert not ok and "first bad sequence number 6 (sealed event missing)" in message

    def test_deleted_seal_is_named(self):
        self.tamper("DELETE FROM casebook_accessseal WHERE position = 6")
        ok, message = self.verify()
        assert not ok and "first bad sequence number 6" in message

    def test_seals_deleted_over_more_than_a_chunk_are_named(self):
        # Chunks of two positions: positions 4 to 7 gone leave two chunks with no seal.
        self.tamper("DELETE FROM casebook_accessseal WHERE position BETWEEN 4 AND 7")
        with mock.patch("casebook.audit.reading.FETCH", 2):
            ok, message = self.verify()
        assert not ok and "first bad sequence number 4" in message

    def test_reordered_events_are_named(self):
        third, seventh = self.event_at(3), self.event_at(7)
        self.tamper("UPDATE casebook_accessseal SET event_id = -1 WHERE position = 3")
        self.tamper("UPDATE casebook_accessseal SET event_id = %s WHERE position = 7", [third])
        self.tamper("UPDATE casebook_accessseal SET event_id = %s WHERE position = 3", [seventh])
        ok, message = self.verify()
        assert not ok and "first bad sequence number 3" in message

    def test_inserted_event_is_named(self):
        self.tamper("UPDATE casebook_accessseal SET position = position + 1000 WHERE position >= 5")
        self.tamper(
            "UPDATE casebook_accessseal SET position = position - 999 WHERE position >= 1000"
        )
        self.tamper(
            "INSERT INTO casebook_accessevent (id, occurred_at, actor_id, actor_username, role, "
            "action, target, outcome, reason, request_id, details) "
            "VALUES (900000, now(), NULL, 'forger', 'system', 'log.view', '', 'allowed', '', '', "
            "'{}')"
        )
        self.tamper(
            "INSERT INTO casebook_accessseal (position, event_id, hash) VALUES (5, 900000, %s)",
            ["f" * 64],
        )
        ok, message = self.verify()
        assert not ok and "first bad sequence number 5" in message

    def test_an_event_slipped_in_below_the_sealers_horizon_is_named(self):
        """Below the horizon every event is sealed: an unsealed one there was written
        around the application (with its id-drawing trigger dropped), into a gap a
        rolled-back append left."""
        with transaction.atomic():
            log.record(Action.LOG_VIEW, actor=Actor.system("rolled back"))
            transaction.set_rollback(True)
        log.record(Action.LOG_VIEW, actor=Actor.system("after the gap"))
        seal_all()
        seal_all()  # a sealer that keeps running: its horizon passes what it sealed
        log.record(Action.LOG_VIEW, actor=Actor.system("carries the horizon"))
        sealed = set(AccessEvent.objects.values_list("id", flat=True))
        gap = next(i for i in range(sealed_horizon(), 0, -1) if i not in sealed)
        self.tamper(
            "INSERT INTO casebook_accessevent (id, occurred_at, actor_id, actor_username, role, "
            "action, target, outcome, reason, request_id, details) "
            "VALUES (%s, now(), NULL, 'forger', 'system', 'log.view', '', 'allowed', '', '', "
            "'{}')",
            [gap],
        )
        assert AccessEvent.objects.filter(id=gap).exists()  # the trigger was not there to move it
        ok, message = self.verify()
        assert not ok and f"event {gap} is neither sealed nor waiting for its seal" in message

    def test_events_waiting_for_the_sealer_are_counted_not_failed(self):
        with self.settings(CASEBOOK_SEAL_INLINE=False):
            log.record(Action.LOG_VIEW, actor=Actor.system("late"))
            log.record(Action.LOG_VIEW, actor=Actor.system("late"))
        ok, message = self.verify()
        assert ok and "Access log intact: 10 events" in message
        assert "2 events are waiting for their seal and are not verified yet" in message

    def test_log_cut_short_of_a_checkpoint_is_detected(
        self,
    ):
        import io

        out = io.StringIO()
        with mock.patch.dict(os.environ, {"CASEBOOK_AUDIT_SIGNING_KEY": self.key}):
            call_command("checkpoint_access_log", stdout=out)
        checkpoint = json.loads(out.getvalue())
        assert checkpoint["seq"] == 10
        path = Path(tempfile.mkdtemp()) / "checkpoint.json"
        path.write_text(json.dumps(checkpoint))
        ok, _ = self.verify("--checkpoint", str(path))
        assert ok
        # Remove the tail (events 9 onward, and the stored checkpoint with them).
        self.tamper(
            "DELETE FROM casebook_accessevent WHERE id IN "
            "(SELECT event_id FROM casebook_accessseal WHERE position >= 9)"
        )
        self.tamper("DELETE FROM casebook_accessseal WHERE position >= 9")
        self.tamper("DELETE FROM casebook_accesscheckpoint")
        ok, message = self.verify("--checkpoint", str(path))
        assert not ok and "first bad sequence number 9" in message and "cut short" in message

    def test_a_checkpoint_signed_with_another_key_is_rejected(self):
        out = io.StringIO()
        with mock.patch.dict(os.environ, {"CASEBOOK_AUDIT_SIGNING_KEY": signing_key()}):
            call_command("checkpoint_access_log", stdout=out)
        ok, message = self.verify()
        assert not ok and "untrusted key" in message


def test_details_carry_no_floats_whose_hash_the_database_could_change(db):
    import pytest as _pytest

    from casebook.audit import log as audit_log
    from casebook.audit.actions import Action as A
    from casebook.audit.actions import Actor as Who

    with _pytest.raises(audit_log.DetailNotAllowed):
        audit_log.record(A.LOG_VIEW, actor=Who.system("tests"), details={"epsilon": 0.5})
