import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from casebook import audit, crypto
from casebook.log_verification import checkpoint_create


class Command(BaseCommand):
    help = (
        "Sign the access log's current head (sequence number and hash) with the Ed25519 key "
        "in CASEBOOK_AUDIT_SIGNING_KEY(_FILE), store it, and print it: give the printed "
        "checkpoint to the auditors to keep outside Casebook."
    )

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                audit._lock_the_chain()  # a stable head while signing
                checkpoint = checkpoint_create()
                audit.record(
                    audit.Action.LOG_CHECKPOINT,
                    actor=audit.Actor.system("checkpoint_access_log"),
                    details={"checkpoint": str(checkpoint["seq"])},
                )
        except crypto.CryptoError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(checkpoint, indent=2))
