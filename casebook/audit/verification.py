"""Proving the access log whole: chain verification against signed checkpoints.

verify_log() recomputes every seal's hash in chain order (a seal's position is the
event's sequence number) and checks every checkpoint it is given: a modified, removed,
reordered or inserted event breaks the chain at its sequence number, and a log cut
short of a checkpoint no longer reaches it. Events committed but not yet sealed are
counted apart: above the sealer's horizon they are waiting for it; at or below it (only
an event slipped in around the application lands there) the log is not intact.
"""

import os
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from casebook.audit.canonical import GENESIS_HASH
from casebook.audit.checkpoints import checkpoint_as_dict, checkpoint_message
from casebook.audit.reading import chain_pieces, unsealed_events
from casebook.audit.sealing import unsealable_event
from casebook.crypto import signing
from casebook.crypto.envelope import KeyMissing
from casebook.models import AccessCheckpoint, AccessSeal

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
    unsealed: int = 0  # events committed and waiting for their seal, not yet verified
    stranded_event: int | None = None  # an unsealed event below the sealer's horizon


def log_length() -> int:
    """The position of the newest seal (the number of sealed events in an intact log)."""
    return AccessSeal.objects.order_by("-position").values_list("position", flat=True).first() or 0


def verify_log(
    extra_checkpoints: list[dict[str, Any]] | None = None,
    trusted_key: str | None = None,
    progress: Callable[[int], object] | None = None,
) -> Verdict:
    """Recompute the chain, then check every stored and given checkpoint against it.

    With `trusted_key`, a checkpoint signed by any other key is rejected (an attacker
    with database access could otherwise sign their own). `progress` is told how many
    events have been verified, after every CHUNK of them.
    """
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    hash_at: dict[int, str] = {}
    checkpoints = [checkpoint_as_dict(c) for c in AccessCheckpoint.objects.order_by("seq")]
    checkpoints += list(extra_checkpoints or [])
    wanted = {c["seq"] for c in checkpoints}
    with closing(chain_pieces()) as pieces:  # closed at once, even when a return stops it
        for seq, event_id, stored_hash, head, tail in pieces:
            if seq != expected_seq:
                problem = "missing or inserted events before this one"
                first_bad = min(seq, expected_seq)
                return _bad(count, expected_seq, prev_hash, checkpoints, first_bad, problem)
            if event_id is None:
                return _bad(count, seq, prev_hash, checkpoints, seq, "sealed event missing")
            computed = sha256(f'{head}"{prev_hash}"{tail}'.encode()).hexdigest()
            if computed != stored_hash:
                return _bad(count, expected_seq, prev_hash, checkpoints, seq, "hash mismatch")
            prev_hash, count = stored_hash, count + 1
            if progress is not None and count % CHUNK == 0:
                progress(count)
            if seq in wanted:
                hash_at[seq] = stored_hash
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
        if not signing.signature_valid(checkpoint["public_key"], message, checkpoint["signature"]):
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
    unsealed, horizon = unsealed_events()
    stranded = next((event_id for event_id in unsealed if event_id <= horizon), None)
    problem = f"event {stranded} is neither sealed nor waiting for its seal"
    if stranded is None:
        stranded = unsealable_event(horizon)
        problem = f"event {stranded} has no canonical encoding: no pass can seal it"
    if stranded is not None:
        return Verdict(
            False,
            count,
            head_seq,
            prev_hash,
            len(checkpoints),
            head_seq + 1,
            problem,
            unsealed=len(unsealed),
            stranded_event=stranded,
        )
    return Verdict(True, count, head_seq, prev_hash, len(checkpoints), unsealed=len(unsealed))


def _bad(
    count: int,
    head_seq: int,
    head_hash: str,
    checkpoints: list[dict[str, Any]],
    first_bad_seq: int,
    problem: str,
) -> Verdict:
    return Verdict(False, count, head_seq, head_hash, len(checkpoints), first_bad_seq, problem)


def trusted_public_key() -> str | None:
    """The public key checkpoints must be signed with: CASEBOOK_AUDIT_PUBLIC_KEY (the
    auditor's side), else the configured signing key's; None when neither is set (then
    each checkpoint is checked against the key it names)."""
    if os.environ.get("CASEBOOK_AUDIT_PUBLIC_KEY"):
        return os.environ["CASEBOOK_AUDIT_PUBLIC_KEY"].strip()
    try:
        return signing.public_key_text(signing.load_signing_key())
    except KeyMissing:
        return None
