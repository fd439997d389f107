"""The scheduler: each due job once per slot, however often and however many times at
once it is started; every run and every failure in the access log."""

import datetime as dt
import io
import threading
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from casebook.jobs import runner, schedule
from casebook.jobs.runner import run_due_jobs
from casebook.models import AccessEvent, JobRun, Snapshot
from casebook.roles import Role
from tests import factories
from tests.transactional import LoggedTransactionTestCase

MONDAY = dt.datetime(2027, 3, 1, 0, 30, tzinfo=dt.UTC)


class SchedulerTests(LoggedTransactionTestCase):
    def setUp(self):
        super().setUp()
        factories.team("Test Team Alpha")
        author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        factories.case(author)

    def test_a_second_start_in_the_same_minute_runs_nothing(self):
        first = run_due_jobs(MONDAY)
        assert [(o.job, o.ran) for o in first] == [
            ("snapshot", True),
            ("dashboard", True),
            ("drafts", True),
            ("refusal_windows", True),
            ("checkpoint", True),
        ]
        second = run_due_jobs(MONDAY + dt.timedelta(seconds=30))
        assert [(o.job, o.ran, o.result) for o in second] == [
            ("snapshot", False, "already run"),
            ("dashboard", False, "already run"),
            ("drafts", False, "already run"),
            ("refusal_windows", False, "already run"),
            ("checkpoint", False, "already run"),
        ]
        assert AccessEvent.objects.filter(action="job.run").count() == 5

    def test_a_long_job_left_running_by_a_dead_process_runs_again_later(self):
        from casebook.models import VerificationRun

        asked = MONDAY - dt.timedelta(hours=7)
        VerificationRun.objects.create(requested_at=asked)
        JobRun.objects.create(job="verification", slot=asked, finished_at=asked, result="running")
        soon = [o for o in run_due_jobs(asked + dt.timedelta(hours=1)) if o.job == "verification"]
        assert [(o.ran, o.result) for o in soon] == [(False, "already run")]  # maybe still going
        later = [o for o in run_due_jobs(MONDAY) if o.job == "verification"]
        assert [(o.ran, o.result) for o in later] == [(True, "intact")]
        assert JobRun.objects.get(job="verification").result == "intact"
        assert VerificationRun.objects.get().intact is True

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
    def test_a_due_job_runs_once_when_started_twice_at_the_same_minute(self):
        barrier = threading.Barrier(2)
        outcomes = []

        def start():
            try:
                barrier.wait(timeout=10)
                outcomes.append(run_due_jobs(MONDAY))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=start) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        ran = sorted(o.job for run in outcomes for o in run if o.ran)
        assert len(outcomes) == 2
        assert ran == ["checkpoint", "dashboard", "drafts", "refusal_windows", "snapshot"]
        assert Snapshot.objects.count() == 1
        assert JobRun.objects.count() == 5
        assert AccessEvent.objects.filter(action="job.run").count() == 5

    def test_a_failing_job_is_recorded_leaves_nothing_and_runs_again(self):
        broken = schedule.Job("snapshot", schedule.JOBS[0].due, mock.Mock(side_effect=KeyError))
        with mock.patch.object(runner, "JOBS", (broken, schedule.JOBS[1])):
            outcomes = run_due_jobs(MONDAY)
        assert [(o.job, o.failed, o.result) for o in outcomes] == [("snapshot", True, "KeyError")]
        failure = AccessEvent.objects.get(action="job.failed")
        assert (failure.target, failure.outcome, failure.details) == (
            "snapshot",
            "denied",
            {"result": "KeyError"},
        )
        assert not JobRun.objects.exists() and not Snapshot.objects.exists()
        assert [o.ran for o in run_due_jobs(MONDAY)] == [True] * 5

    def test_the_command_runs_what_is_due_and_fails_loudly(self):
        out = io.StringIO()
        call_command("casebook_jobs", stdout=out)
        assert "snapshot: snapshot" in out.getvalue()
        broken = schedule.Job("snapshot", lambda now: MONDAY, mock.Mock(side_effect=OSError))
        with (
            mock.patch.object(runner, "JOBS", (broken,)),
            pytest.raises(CommandError, match="snapshot"),
        ):
            call_command("casebook_jobs", stdout=io.StringIO(), stderr=io.StringIO())
