from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from casebook.crypto.coalition import combiner_public_key_of, signing_public_key_of
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
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument(
            "--signing",
            action="store_true",
            help="print an Ed25519 access-log signing key (CASEBOOK_AUDIT_SIGNING_KEY) instead",
        )
        kind.add_argument(
            "--release-signing",
            action="store_true",
            help="print an Ed25519 key that signs coalition bundles "
            "(CASEBOOK_RELEASE_SIGNING_KEY) instead; its public key goes to standard error",
        )
        kind.add_argument(
            "--coalition",
            action="store_true",
            help="print the coalition combiner's X25519 private key instead; its public key "
            "goes to standard error",
        )

    def handle(
        self,
        *args: Any,
        key_version: int,
        signing: bool,
        release_signing: bool,
        coalition: bool,
        **options: Any,
    ) -> None:
        if signing or release_signing or coalition:
            key = random_key_text()
            self.stdout.write(key)
            if release_signing:
                self.stderr.write(
                    _("Public key, for the coalition's members file: %(key)s")
                    % {"key": signing_public_key_of(key)}
                )
            elif coalition:
                self.stderr.write(
                    _("Public key, for the coalition's members file: %(key)s")
                    % {"key": combiner_public_key_of(key)}
                )
            return
        if key_version < 1:
            self.stderr.write(_("--key-version must be 1 or more."))
            raise SystemExit(2)
        self.stdout.write(f"{key_version}:{random_key_text()}")
