"""Proving the access log whole: chain verification and signed checkpoints.

verify_log() recomputes every hash in sequence order and checks every checkpoint it
is given: a modified, removed, reordered or inserted event breaks the chain at its
sequence number, and a log cut short of a checkpoint no longer reaches it.
"""

import json
from dataclasses import dataclass
from types import SimpleNamespace

from django.utils import timezone

from casebook import audit, crypto
from casebook.models import AccessCheckpoint, AccessEvent

CHUNK = 5000


@dataclass(frozen=True)
class Verdict:
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    checkpoints: int
    first_bad_seq: int | None = None
    problem: str = ""


def checkpoint_message(seq: int, head_hash: str) -> bytes:
    return f"casebook-access-log|{seq}|{head_hash}".encode()


def checkpoint_create() -> dict:
    """Sign the current head, store the checkpoint, and return it for the auditor to keep."""
    private = crypto.load_signing_key()
    head = AccessEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, head_hash = head if head else (0, audit.GENESIS_HASH)
    checkpoint, _ = AccessCheckpoint.objects.get_or_create(
        seq=seq,
        defaults={
            "head_hash": head_hash,
            "signed_at": timezone.now(),
            "public_key": crypto.public_key_text(private),
            "signature": crypto.sign(private, checkpoint_message(seq, head_hash)),
        },
    )
    return checkpoint_as_dict(checkpoint)


def checkpoint_as_dict(checkpoint: AccessCheckpoint) -> dict:
    return {
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "signed_at": checkpoint.signed_at.isoformat(),
        "public_key": checkpoint.public_key,
        "signature": checkpoint.signature,
    }


def parse_checkpoint(text: str) -> dict:
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


def _stored_events():
    """Events in sequence order, in chunks by keyset, as light records (not models)."""
    last = 0
    while True:
        rows = list(
            AccessEvent.objects.filter(seq__gt=last)
            .order_by("seq")
            .values_list(*audit.EVENT_COLUMNS)[:CHUNK]
        )
        if not rows:
            return
        for row in rows:
            yield SimpleNamespace(**dict(zip(audit.EVENT_COLUMNS, row, strict=True)))
        last = rows[-1][0]


def verify_log(
    extra_checkpoints: list[dict] | None = None, trusted_key: str | None = None
) -> Verdict:
    """Recompute the chain, then check every stored and given checkpoint against it.

    With `trusted_key`, a checkpoint signed by any other key is rejected (an attacker
    with database access could otherwise sign their own).
    """
    expected_seq, prev_hash, count = 1, audit.GENESIS_HASH, 0
    hash_at: dict[int, str] = {}
    checkpoints = [checkpoint_as_dict(c) for c in AccessCheckpoint.objects.order_by("seq")]
    checkpoints += list(extra_checkpoints or [])
    wanted = {c["seq"] for c in checkpoints}
    for event in _stored_events():
        if event.seq != expected_seq:
            problem = "missing or inserted events before this one"
            return _bad(
                count, expected_seq, prev_hash, checkpoints, min(event.seq, expected_seq), problem
            )
        fields = audit.hashed_fields(event)
        if event.prev_hash != prev_hash or audit.event_hash(fields, prev_hash) != event.hash:
            return _bad(count, expected_seq, prev_hash, checkpoints, event.seq, "hash mismatch")
        prev_hash, count = event.hash, count + 1
        if event.seq in wanted:
            hash_at[event.seq] = event.hash
        expected_seq += 1
    head_seq = expected_seq - 1
    for checkpoint in checkpoints:
        seq = checkpoint["seq"]
        message = checkpoint_message(seq, checkpoint["head_hash"])
        if trusted_key and checkpoint["public_key"] != trusted_key:
            return _bad(
                count,
                head_seq,
                prev_hash,
                checkpoints,
                seq,
                "checkpoint signed by an untrusted key",
            )
        if not crypto.signature_valid(checkpoint["public_key"], message, checkpoint["signature"]):
            return _bad(
                count, head_seq, prev_hash, checkpoints, seq, "checkpoint signature invalid"
            )
        if seq == 0:
            continue
        if seq > head_seq:
            return _bad(
                count,
                head_seq,
                prev_hash,
                checkpoints,
                head_seq + 1,
                "log cut short of a checkpoint",
            )
        if hash_at.get(seq) != checkpoint["head_hash"]:
            return _bad(
                count, head_seq, prev_hash, checkpoints, seq, "event differs from its checkpoint"
            )
    return Verdict(True, count, head_seq, prev_hash, len(checkpoints))


def _bad(count, head_seq, head_hash, checkpoints, first_bad_seq, problem) -> Verdict:
    return Verdict(False, count, head_seq, head_hash, len(checkpoints), first_bad_seq, problem)
