"""Signed checkpoints of the access log's head, for auditors to keep off the host.

A checkpoint is the head's sequence number and hash, signed with the Ed25519 key in
CASEBOOK_AUDIT_SIGNING_KEY(_FILE). Kept elsewhere, it lets an auditor prove later that
nothing up to it was removed or rewritten.
"""

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from casebook.audit.actions import Action, Actor
from casebook.audit.log import record
from casebook.audit.sealing import chain_head, seal_all
from casebook.crypto import signing
from casebook.models import AccessCheckpoint


def checkpoint_message(seq: int, head_hash: str) -> bytes:
    return f"casebook-access-log|{seq}|{head_hash}".encode()


def checkpoint_create(*, actor: Actor) -> dict[str, Any]:
    """Seal what is waiting, sign the chain's head, store the checkpoint, record the
    signing, and return the checkpoint for the auditor to keep. The head stands still
    while it is signed (the sealer's lock is held to the end of the transaction).

    Raises KeyMissing (a CryptoError) when no signing key is configured.
    """
    private = signing.load_signing_key()
    with transaction.atomic():
        seal_all()
        seq, head_hash = chain_head()
        checkpoint, _ = AccessCheckpoint.objects.get_or_create(
            seq=seq,
            defaults={
                "head_hash": head_hash,
                "signed_at": timezone.now(),
                "public_key": signing.public_key_text(private),
                "signature": signing.sign(private, checkpoint_message(seq, head_hash)),
            },
        )
        record(Action.LOG_CHECKPOINT, actor=actor, details={"checkpoint": str(seq)})
    return checkpoint_as_dict(checkpoint)


def checkpoint_as_dict(checkpoint: AccessCheckpoint) -> dict[str, Any]:
    return {
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "signed_at": checkpoint.signed_at.isoformat(),
        "public_key": checkpoint.public_key,
        "signature": checkpoint.signature,
    }


def parse_checkpoint(text: str) -> dict[str, Any]:
    """A checkpoint as an auditor kept it (JSON); ValueError when it is not one."""
    try:
        data = json.loads(text)
        checkpoint = {
            "seq": int(data["seq"]),
            "head_hash": str(data["head_hash"]),
            "public_key": str(data["public_key"]),
            "signature": str(data["signature"]),
            "signed_at": str(data.get("signed_at", "")),
        }
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"Not a Casebook checkpoint: {error}") from None
    return checkpoint


def parse_checkpoints(text: str) -> list[dict[str, Any]]:
    """Every checkpoint in a file an auditor kept: one JSON object, a JSON list, or one
    object per line (the scheduler's local file); ValueError when one is not valid."""
    try:
        whole = json.loads(text)
    except ValueError:
        return [parse_checkpoint(line) for line in text.splitlines() if line.strip()]
    items = whole if isinstance(whole, list) else [whole]
    return [parse_checkpoint(json.dumps(item)) for item in items]
