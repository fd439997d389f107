from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from casebook.crypto.envelope import random_key_text
from casebook.management.operator import OperatorCommand


class Command(OperatorCommand):
    help = (
        "Print a new random 256-bit key-encryption key as VERSION:KEY, ready to add to "
        "CASEBOOK_KEK. Store it apart from the database and its backups."
    )

    requires_system_checks = []  # it runs before any key exists

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--key-version", type=int, default=1)
        parser.add_argument(
            "--signing",
            action="store_true",
            help="print an Ed25519 access-log signing key (CASEBOOK_AUDIT_SIGNING_KEY) instead",
        )

    def handle(self, *args: Any, key_version: int, signing: bool, **options: Any) -> None:
        if signing:
            self.stdout.write(random_key_text())
            return
        if key_version < 1:
            self.stderr.write(_("--key-version must be 1 or more."))
            raise SystemExit(2)
        self.stdout.write(f"{key_version}:{random_key_text()}")
