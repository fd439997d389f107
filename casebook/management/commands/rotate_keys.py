from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.crypto import envelope, keys
from casebook.management.operator import OperatorCommand


class Command(OperatorCommand):
    help = (
        "Re-wrap every case's data key under the newest key-encryption key version, in "
        "batches, online. Safe to interrupt and run again: it resumes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError(_("--batch-size must be 1 or more."))
        try:
            report = keys.rotate_data_keys(batch_size=batch_size)
        except envelope.CryptoError as error:
            raise CommandError(str(error)) from None
        log.record(
            Action.KEYS_ROTATE,
            actor=Actor.system("rotate_keys"),
            details={"rotated": report.rotated, "key_version": report.current_version},
        )
        self.stdout.write(
            _("Re-wrapped %(count)s data keys under key version %(version)s.")
            % {"count": report.rotated, "version": report.current_version}
        )
        in_use = ", ".join(str(v) for v in report.versions_in_use) or _("none")
        self.stdout.write(
            _("Key versions still wrapping data keys: %(versions)s.") % {"versions": in_use}
        )
        if report.remaining:
            raise CommandError(
                _("%(count)s data keys are not rotated yet: run again.")
                % {"count": report.remaining}
            )
        retired = sorted(set(keys.keyring().keys) - set(report.versions_in_use))
        if retired:
            versions = ", ".join(str(v) for v in retired)
            self.stdout.write(
                _(
                    "No data key uses version %(versions)s any more: remove it from "
                    "CASEBOOK_KEK, destroy every copy, and take a fresh backup (see "
                    "docs/operations.md)."
                )
                % {"versions": versions}
            )
