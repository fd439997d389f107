import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError, close_old_connections, connection
from django.utils.translation import gettext as _

from casebook.audit.sealing import seal_all
from casebook.management.operator import OperatorCommand


class Command(OperatorCommand):
    help = (
        "Seal the access log's committed events into its hash chain (each its gapless "
        "position and chained hash). --follow keeps sealing, checking every --interval "
        "seconds; production runs one such sealer beside the web service."
    )

    # The sealer reads no testimony: it runs without the key-encryption key.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true", help="keep sealing until stopped")
        parser.add_argument("--interval", type=float, default=0.1)

    def handle(self, *args: Any, follow: bool, interval: float, **options: Any) -> None:
        if not 0.01 <= interval <= 60:
            raise CommandError(_("--interval must be between 0.01 and 60 seconds."))
        checks = 0
        while True:
            try:
                sealed = seal_all()
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
            if not sealed:
                time.sleep(interval)
