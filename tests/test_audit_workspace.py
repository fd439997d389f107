"""The auditor's workspace: filters, keyset pages, CSV, chain status, and its own trace."""

import csv
import datetime as dt
import io
import os
import re
from unittest import mock

from django.db import connection
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from casebook.audit import log, verification
from casebook.audit.actions import Action, Actor, Outcome
from casebook.jobs.runner import run_due_jobs
from casebook.models import AccessEvent, VerificationRun
from casebook.roles import Role
from tests import factories
from tests.cast import CastTestCase
from tests.transactional import LoggedTransactionTestCase, log_triggers_dropped

LOG = reverse("casebook:access_log")
CSV = reverse("casebook:access_log_csv")


class WorkspaceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.auditor = factories.user("aud-1", Role.AUDITOR)
        cls.author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha")
        cls.case = factories.case(cls.author)
        for _ in range(120):
            log.record(Action.CASE_VIEW, actor=Actor.of(cls.author), target=cls.case.reference)
        log.record(
            Action.CASE_ACCESS,
            actor=Actor.of(cls.supervisor),
            outcome=Outcome.DENIED,
            target="CB-0000-0000",
        )
        log.record(
            Action.CASE_BREAK_GLASS,
            actor=Actor.of(cls.supervisor),
            target=cls.case.reference,
            reason="Fictional review reason for the test.",
        )

    def setUp(self):
        factories.sign_in(self.client, self.auditor)

    def test_only_auditors_open_the_workspace(self):
        for user in (self.author, self.supervisor, factories.user("adm-1", Role.ADMINISTRATOR)):
            factories.sign_in(self.client, user)
            assert self.client.get(LOG).status_code == 403
            assert self.client.get(CSV).status_code == 403

    def test_filters_by_actor_action_target_outcome_and_date(self):
        by_outcome = self.client.get(LOG, {"outcome": "denied"}).context["page"].events
        assert [e.target for e in by_outcome] == ["CB-0000-0000"]
        by_action = self.client.get(LOG, {"action": "case.break_glass"}).context["page"].events
        assert [e.actor_username for e in by_action] == ["sup-alpha"]
        by_actor = self.client.get(LOG, {"actor": "sup-alpha"}).context["page"].events
        assert {e.action for e in by_actor} == {"case.access", "case.break_glass"}
        by_target = self.client.get(LOG, {"target": "CB-0000-0000"}).context["page"].events
        assert len(by_target) == 1
        future = self.client.get(LOG, {"date_from": "2999-01-01"}).context["page"].events
        assert future == []

    def test_bad_filters_get_a_clear_error_never_a_500(self):
        """Bad filters are a 400 with the form's message; a page cursor that is not a
        sequence number is ignored (the first page, 200)."""
        for params, status in (
            ({"action": "case.peek"}, 400),
            ({"date_from": "yesterday"}, 400),
            ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, 400),
            ({"actor": "x" * 500}, 400),
            ({"before": "-5"}, 200),
            ({"after": "9" * 40}, 200),
        ):
            response = self.client.get(LOG, params)
            assert response.status_code == status, params

    def test_a_filter_that_is_not_valid_is_left_out_and_the_valid_ones_apply(self):
        response = self.client.get(LOG, {"outcome": "denied", "date_from": "yesterday"})
        page = response.content.decode()
        assert response.status_code == 400
        assert "These filters were not applied (the others were)" in page
        assert '<tr class="event-denied">' in page and '<tr class="">' not in page
        # Dates in the wrong order are both left out; the other filters still apply.
        reversed_dates = {"outcome": "denied", "date_from": "2026-02-01", "date_to": "2026-01-01"}
        page = self.client.get(LOG, reversed_dates).content.decode()
        assert '<tr class="">' not in page and "event-denied" in page
        viewed = AccessEvent.objects.filter(action="log.view").order_by("-id").first()
        assert viewed.details == {"filters": ["outcome"]}

    def test_odd_digits_and_far_dates_are_refused_without_a_500(self):
        for params, status in (
            ({"before": "²"}, 200),
            ({"after": "١٢"}, 200),
            ({"date_to": "9999-12-31"}, 400),
            ({"date_from": "0001-01-01"}, 400),
        ):
            for url in (LOG, CSV):
                assert self.client.get(url, params).status_code == status, (url, params)

    def test_pages_walk_the_whole_log_by_keyset(self):
        first = self.client.get(LOG).context["page"]
        assert len(first.events) == 50 and first.newer is None and first.older is not None
        second = self.client.get(LOG, {"before": first.older}).context["page"]
        assert second.events[0].id == first.events[-1].id - 1
        assert second.events[0].seal.position == first.events[-1].seal.position - 1
        back = self.client.get(LOG, {"after": second.newer}).context["page"]
        assert [e.id for e in back.events] == [e.id for e in first.events]

    @override_settings(CASEBOOK_SEAL_INLINE=False)  # the newest event waits for its seal
    def test_the_unfiltered_pages_read_what_the_orm_reads(self):
        from casebook.audit.queries import EventFilter, event_page, filtered_events
        from casebook.audit.workspace import page_of

        details = {"method": "GET", "folded": 3, "path": "/경로/路径"}
        waiting = log.record(Action.CASE_ACCESS, actor=Actor.of(self.supervisor), details=details)
        first = page_of(EventFilter(), before=None, after=None)
        second = page_of(EventFilter(), before=first.older, after=None)
        for page, before in ((first, None), (second, first.older)):
            orm = event_page(filtered_events(EventFilter()), before=before, after=None)
            assert (page.older, page.newer) == (orm.older, orm.newer)
            read = [(e.pk, e.action, e.details, getattr(e, "seal", None)) for e in page.events]
            assert read == [
                (e.pk, e.action, e.details, getattr(e, "seal", None)) for e in orm.events
            ]
        assert first.events[0].pk == waiting and first.events[0].details == details
        assert getattr(first.events[0], "seal", None) is None
        assert first.events[1].seal.position > 0
        row = self.client.get(LOG).content.decode()
        assert "waiting for its seal" in row and "/경로/路径" in row

    def test_break_glass_stands_out_and_no_testimony_is_shown(self):
        page = self.client.get(LOG).content.decode()
        assert "BREAK-GLASS" in page and "Fictional review reason" in page
        assert "FICTIONAL-NARRATIVE" not in page

    def test_each_row_is_styled_by_whether_it_is_shown_first_and_whether_it_was_allowed(self):
        log.record(Action.ACCOUNT_UNLOCK, actor=Actor.of(self.supervisor), outcome=Outcome.DENIED)

        def classes_by_action() -> dict[str, str]:
            page = self.client.get(LOG).content.decode()
            return {
                re.search(r"<code>([a-z_]+\.[a-z_]+)</code></td>", row).group(1): row.split('"')[0]
                for row in page.split('<tr class="')[1:]
            }

        classes = classes_by_action()
        assert classes[Action.CASE_BREAK_GLASS] == "event-flagged"
        assert classes[Action.ACCOUNT_UNLOCK] == "event-flagged event-denied"
        assert classes[Action.CASE_ACCESS] == "event-denied"
        assert classes[Action.CASE_VIEW] == ""

    def test_each_row_reads_in_the_auditor_s_words_and_escapes_what_was_recorded(self):
        log.record(
            Action.CASE_ACCESS,
            actor=Actor.of(self.supervisor),
            outcome=Outcome.DENIED,
            target="<b>typed</b>",
            details={"method": "GET", "folded": 3},
        )
        for language, words in (
            ("en", ("Supervisor", "denied", "attempt: <code>GET</code>", "repeats folded")),
            ("ko", ("책임자", "거부", "시도: <code>GET</code>", "반복")),
        ):
            self.client.cookies["django_language"] = language
            page = self.client.get(LOG, {"outcome": "denied"}).content.decode()
            row = page[page.index('<tr class="event-denied">') :]
            row = " ".join(row[: row.index("</tr>")].split())
            assert "<code>&lt;b&gt;typed&lt;/b&gt;</code>" in row and "<b>" not in row
            assert "<code>sup-alpha</code>" in row
            for word in words:
                assert word in row, (language, word)

    @override_settings(CASEBOOK_SEAL_INLINE=False)  # as in production: the sealer apart
    def test_the_chain_s_head_is_read_once_with_the_alerts_counts_and_one_checkpoint(self):
        from django.test.utils import CaptureQueriesContext

        from casebook.audit.workspace import STATEMENT

        with CaptureQueriesContext(connection) as seen:
            assert self.client.get(LOG).status_code == 200
        statements = [query["sql"] for query in seen.captured_queries]
        assert statements.count(STATEMENT) == 1
        assert not [sql for sql in statements if 'FROM "casebook_accessseal"' in sql]
        checkpoints = [sql for sql in statements if "FROM casebook_accesscheckpoint" in sql]
        assert len(checkpoints) == 1, statements
        # The waiting events are counted above the horizon written into the statement.
        waiting = [sql for sql in statements if "SELECT 1 FROM casebook_accessseal AS" in sql]
        assert len(waiting) == 1 and re.search(r"WHERE event\.id > [0-9]+\s", waiting[0]), waiting

    @override_settings(CASEBOOK_SEAL_INLINE=False)
    def test_the_statement_counts_what_the_orm_counts(self):
        from casebook.audit.queries import log_counts
        from casebook.audit.workspace import counted

        now = timezone.now()
        seen = [counted(now)]
        assert seen[0] == log_counts(now)
        for action, outcome in (
            (Action.CASE_DECRYPT_FAILED, Outcome.ERROR),
            (Action.ACCOUNT_DEACTIVATE, Outcome.ALLOWED),
            (Action.LOG_VERIFY, Outcome.DENIED),
            (Action.LOG_CHECKPOINT_SENT, Outcome.ERROR),
        ):
            log.record(action, actor=Actor.of(self.supervisor), outcome=outcome)  # waits
            seen.append(counted(now))
            assert seen[-1] == log_counts(now), action
        later = now + dt.timedelta(days=30)  # nothing in the period, all still waiting
        assert counted(later) == log_counts(later)
        first, last = seen[0], seen[-1]
        assert (last.waiting, last.decrypt_failures, last.broken_verifications) == (
            first.waiting + 4,
            first.decrypt_failures + 1,
            first.broken_verifications + 1,
        )
        assert last.account_changes == first.account_changes + 1 and last.last_send_failed
        assert last.oldest_waiting is not None and counted(later).break_glass == 0

    def test_the_chain_s_status_and_the_latest_run_read_what_the_orm_reads(self):
        from casebook.audit.checkpoints import checkpoint_create
        from casebook.audit.queries import chain_status
        from casebook.audit.verification_runs import latest_verification, verification_request
        from casebook.audit.workspace import counted, status_and_run
        from tests.keyrings import new_kek  # 32 random bytes: a signing key as well

        def both():
            counts = counted(timezone.now())
            return status_and_run(counts), (chain_status(counts), latest_verification())

        assert both()[0] == both()[1] == both()[0]  # nothing verified, checkpointed or asked
        log.record(
            Action.LOG_VERIFY, actor=Actor.of(self.auditor), details={"result": "intact 키 验"}
        )
        with mock.patch.dict(os.environ, {"CASEBOOK_AUDIT_SIGNING_KEY": new_kek()}):
            checkpoint_create(actor=Actor.of(self.auditor))
        verification_request(auditor=self.auditor)
        (status, run), (orm_status, orm_run) = both()
        assert status == orm_status and run == orm_run and run is not None
        assert status.last_verification.details == {"result": "intact 키 验"}
        assert (status.last_checkpoint.seq, status.last_checkpoint.signature) == (
            orm_status.last_checkpoint.seq,
            orm_status.last_checkpoint.signature,
        )
        assert (run.requested_at, run.requested_by_id) == (orm_run.requested_at, self.auditor.pk)

    def test_viewing_and_downloading_are_themselves_recorded(self):
        before = AccessEvent.objects.count()
        self.client.get(LOG, {"actor": "sup-alpha"})
        viewed = AccessEvent.objects.order_by("-id").first()
        assert (viewed.action, viewed.actor_username, viewed.details) == (
            "log.view",
            "aud-1",
            {"filters": ["actor"]},
        )
        response = self.client.get(CSV, {"outcome": "denied"})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:4] == ["position", "id", "occurred_at", "actor_id"]
        assert rows[0][-1] == "hash"
        assert [row[7] for row in rows[1:]] == ["CB-0000-0000"]
        denied = AccessEvent.objects.get(outcome="denied")
        assert rows[1][0] == str(denied.seal.position) and rows[1][-1] == denied.seal.hash
        exported = AccessEvent.objects.order_by("-id").first()
        assert exported.action == "log.export"
        assert AccessEvent.objects.count() == before + 2

    def test_csv_cells_cannot_run_as_spreadsheet_formulas(self):
        log.record(
            Action.AUTH_LOGIN_FAILED,
            actor=Actor(None, '=HYPERLINK("x")', "anonymous"),
            outcome=Outcome.DENIED,
        )
        response = self.client.get(CSV, {"action": "auth.login_failed"})
        content = b"".join(response.streaming_content).decode()
        assert "'=HYPERLINK" in content

    def test_chain_status_shows_the_head(self):
        status = self.client.get(LOG).context["status"]
        assert status.head_seq == AccessEvent.objects.order_by("-id").first().seal.position
        assert status.waiting == 0
        assert status.last_checkpoint is None


class VerifyNowTests(LoggedTransactionTestCase):
    """The chain verified from the browser: queued, run by the scheduler, its verdict
    shown and recorded."""

    def setUp(self):
        super().setUp()
        factories.team("Test Team Alpha")
        self.auditor = factories.user("aud-verify", Role.AUDITOR)
        author = factories.user("cw-verify", Role.CASEWORKER, "Test Team Alpha")
        factories.case(author)
        factories.sign_in(self.client, self.auditor)

    def verify_now(self) -> str:
        assert self.client.post(reverse("casebook:access_log_verify")).status_code == 302
        waiting = self.client.get(LOG).content.decode()
        assert "waiting for the scheduler" in waiting
        run_due_jobs()
        return self.client.get(LOG).content.decode()

    def test_verify_now_reports_intact_then_the_first_bad_event_after_tampering(self):
        assert "Intact:" in self.verify_now()
        verdict = AccessEvent.objects.filter(action="log.verify").order_by("-id").first()
        assert (verdict.outcome, verdict.details) == ("allowed", {"result": "intact"})
        with log_triggers_dropped(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE casebook_accessevent SET target = 'rewritten' WHERE id = "
                "(SELECT event_id FROM casebook_accessseal WHERE position = 3)"
            )
        page = self.verify_now()
        assert "Broken: the first bad event is number 3" in page
        assert "A verification found the chain broken." in page  # an alert stays up
        assert AccessEvent.objects.filter(action="log.verify_request").count() == 2

    def test_a_running_verification_shows_how_far_it_has_got(self):
        seen = []

        def watch(count):
            seen.append((count, self.client.get(LOG).content.decode()))

        self.client.post(reverse("casebook:access_log_verify"))
        with mock.patch("casebook.audit.verification.CHUNK", 2):
            original = verification.verify_log

            def spy(*args, progress=None, **kwargs):
                def both(count):
                    progress(count)
                    watch(count)

                return original(*args, progress=both, **kwargs)

            with mock.patch("casebook.audit.verification_runs.verify_log", spy):
                run_due_jobs()
        count, page = seen[0]
        total = VerificationRun.objects.get().to_check
        assert count == 2 and f"Verifying: 2 of {total} events checked so far" in page
        assert "Intact:" in self.client.get(LOG).content.decode()

    def test_a_run_whose_scheduler_stopped_is_replaced_by_a_new_request(self):
        self.client.post(reverse("casebook:access_log_verify"))
        hours_ago = timezone.now() - dt.timedelta(hours=7)
        VerificationRun.objects.update(requested_at=hours_ago, started_at=hours_ago)
        self.client.post(reverse("casebook:access_log_verify"))
        assert VerificationRun.objects.count() == 2
        assert "did not finish" not in self.client.get(LOG).content.decode()  # newest shown
        stopped = VerificationRun.objects.order_by("requested_at").first()
        assert stopped.finished_at is not None and stopped.intact is None


class WorkspaceReadingTests(CastTestCase):
    def setUp(self):
        factories.sign_in(self.client, self.auditor)

    def test_details_read_as_words_actor_matches_in_part_and_csv_runs_as_the_page(self):
        log.record(
            Action.CASE_UPDATE,
            actor=Actor.of(self.author),
            target=self.case.reference,
            details={"changed": ["narrative", "year"]},
        )
        page = self.client.get(LOG, {"actor": "AUTH"}).content.decode()
        assert "fields changed: <code>narrative, year</code>" in page and "{'" not in page
        assert "cw-author" in page
        rows = list(
            csv.reader(io.StringIO(b"".join(self.client.get(CSV).streaming_content).decode()))
        )
        seqs = [int(row[0]) for row in rows[1:]]
        assert seqs == sorted(seqs, reverse=True)  # newest first, as on the page

    def test_alerts_name_break_glass_openings_and_a_missing_checkpoint(self):
        log.record(Action.CASE_BREAK_GLASS, actor=Actor.of(self.supervisor), target="CB-0000-0000")
        page = self.client.get(LOG).content.decode()
        assert "1 break-glass opening in the last 7 days" in page
        assert "No signed checkpoint yet" in page
        assert "YYYY-MM-DD" in page


class DecryptFailureTests(CastTestCase):
    def test_testimony_that_will_not_decrypt_records_its_own_flagged_event(self):
        from casebook.models import CaseTestimony

        row = CaseTestimony.objects.get(case=self.case)
        tampered = bytearray(bytes(row.narrative))
        tampered[-1] ^= 1
        CaseTestimony.objects.filter(pk=row.pk).update(narrative=bytes(tampered))
        factories.sign_in(self.client, self.author)
        self.client.raise_request_exception = False
        with self.assertLogs("django.request", level="ERROR") as logs:
            response = self.client.get(
                reverse("casebook:case_detail", args=[self.case.reference]),
                headers={"X-Request-ID": "fault-request-0001"},
            )
        assert "request fault-request-0001 failed" in logs.output[0]
        assert self.case.reference not in "".join(logs.output)
        assert response.status_code == 500 and "FICTIONAL" not in response.text
        assert self.case.reference not in response.text
        event = AccessEvent.objects.order_by("-id").first()
        assert (event.action, event.outcome, event.target) == (
            "case.decrypt_failed",
            "error",
            self.case.reference,
        )
        assert event.details["key_version"] == 1 and "narrative" not in str(event.details)
        assert event.request_id == "fault-request-0001"  # the server log's line names it
        assert not AccessEvent.objects.filter(action="case.view").exists()  # rolled back
        self.client.logout()
        factories.sign_in(self.client, self.auditor)
        page = self.client.get(LOG).content.decode()
        assert "1 case would not decrypt in the last 7 days" in page
        assert "FLAGGED" in page


def test_alerts_count_only_the_last_seven_days(db):
    """The counts start at the period's first event (found once by time), so an older
    break-glass or account change is not counted, and a recent one is."""
    from casebook.audit.queries import alerts

    now = timezone.now()
    for days_ago in (8, 0):
        with mock.patch(
            "casebook.audit.log.timezone.now", return_value=now - dt.timedelta(days=days_ago)
        ):
            log.record(Action.CASE_BREAK_GLASS, actor=Actor.system("old-and-new"))
            log.record(Action.ACCOUNT_UNLOCK, actor=Actor.system("old-and-new"))
    found = alerts(now)
    assert (found.break_glass, found.account_changes) == (1, 1)
    assert alerts(now + dt.timedelta(days=30)).break_glass == 0
