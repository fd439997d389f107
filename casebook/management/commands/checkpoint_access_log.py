import json
from typing import Any

from django.core.management.base import CommandError

from casebook.audit.actions import Actor
from casebook.audit.checkpoints import checkpoint_create
from casebook.crypto.envelope import CryptoError
from casebook.management.operator import OperatorCommand


class Command(OperatorCommand):
    help = (
        "Sign the access log's current head (sequence number and hash) with the Ed25519 key "
        "in CASEBOOK_AUDIT_SIGNING_KEY(_FILE), store it, and print it: give the printed "
        "checkpoint to the auditors to keep outside Casebook."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = checkpoint_create(actor=Actor.system("checkpoint_access_log"))
        except CryptoError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(checkpoint, indent=2))
