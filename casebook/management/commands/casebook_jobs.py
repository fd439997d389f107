import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils.translation import gettext as _

from casebook.jobs.runner import run_due_jobs
from casebook.management.operator import OperatorCommand


class Command(OperatorCommand):
    help = (
        "Run the timed jobs that are due (snapshots of counted data, the dashboard's monthly "
        "refresh). Safe to run every minute from cron or a systemd timer, and twice at once: "
        "each job runs once per scheduled slot. --loop keeps running, once a minute."
    )

    # No job reads testimony, so the scheduler runs without the key-encryption key (the
    # web service's system checks require it; these would refuse to start here).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="run every --interval seconds")
        parser.add_argument("--interval", type=int, default=60)

    def handle(self, *args: Any, loop: bool, interval: int, **options: Any) -> None:
        if interval < 1:
            raise CommandError(_("--interval must be 1 or more."))
        while True:
            try:
                failed = self._run()
            except DatabaseError as error:
                if not loop:
                    raise CommandError(
                        _("The database is unavailable: %(kind)s.") % {"kind": type(error).__name__}
                    ) from None
                self.stderr.write(
                    _("The database is unavailable (%(kind)s); retrying.")
                    % {"kind": type(error).__name__}
                )
                failed = []
            if not loop:
                if failed:
                    raise CommandError(
                        _("Failed: %(jobs)s (see the access log).") % {"jobs": ", ".join(failed)}
                    )
                return
            close_old_connections()
            time.sleep(interval)

    def _run(self) -> list[str]:
        failed = []
        for outcome in run_due_jobs():
            if outcome.failed:
                failed.append(outcome.job)
                self.stderr.write(
                    _("%(job)s: failed (%(kind)s).") % {"job": outcome.job, "kind": outcome.result}
                )
            elif outcome.ran:
                self.stdout.write(f"{outcome.job}: {outcome.result}.")
        return failed
