import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError, close_old_connections, connection
from django.utils.translation import gettext as _

from casebook.audit.sealing import BATCH, Sealer, seal_all
from casebook.management.operator import OperatorCommand


class Command(OperatorCommand):
    help = (
        "Seal the access log's committed events into its hash chain (each its gapless "
        "position and chained hash). --follow keeps sealing, a batch every --interval "
        "seconds (at once while batches come full); production runs one such sealer "
        "beside the web service."
    )

    # The sealer reads no testimony: it runs without the key-encryption key.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true", help="keep sealing until stopped")
        parser.add_argument("--interval", type=float, default=0.1)

    def handle(self, *args: Any, follow: bool, interval: float, **options: Any) -> None:
        if not 0.01 <= interval <= 60:
            raise CommandError(_("--interval must be between 0.01 and 60 seconds."))
        checks, sealer = 0, Sealer()
        while True:
            try:
                # Following: one batch a pass, and a pause unless it came full. A pass
                # costs a commit and a few statements whatever it seals, so under load
                # the sealer seals what an interval brought in one go instead of
                # competing with the writers pass by pass; the lag stays about one
                # interval. The same Sealer pass after pass: it moves the horizon on.
                sealed = sealer.seal() if follow else seal_all()
            except DatabaseError as error:
                if not follow:
                    raise CommandError(
                        _("The database is unavailable: %(kind)s.") % {"kind": type(error).__name__}
                    ) from None
                self.stderr.write(
                    _("The database is unavailable (%(kind)s); retrying.")
                    % {"kind": type(error).__name__}
                )
                connection.close()  # a new connection on the next pass
                time.sleep(1)
                continue
            except Exception as error:
                if not follow:
                    raise
                # Whatever else went wrong rolled back whole: keep sealing, never exit
                # into a restart loop (only the kind is written: a message could carry data).
                self.stderr.write(
                    _("Sealing failed (%(kind)s); retrying.") % {"kind": type(error).__name__}
                )
                time.sleep(1)
                continue
            if not follow:
                self.stdout.write(_("Sealed %(count)s events.") % {"count": sealed})
                return
            checks += 1
            if checks % 600 == 0:
                close_old_connections()  # renews the connection when it has aged out
            if sealed < BATCH:
                time.sleep(interval)
