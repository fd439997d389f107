"""Ed25519 signatures over the access log's checkpoints.

The signing key lives outside the database: CASEBOOK_AUDIT_SIGNING_KEY or
CASEBOOK_AUDIT_SIGNING_KEY_FILE (base64 of 32 bytes, made by `generate_key --signing`).
"""

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from casebook.crypto.envelope import KeyMissing, key_text

SIGNING_KEY_BYTES = 32


def load_signing_key(environ: dict[str, str] | None = None) -> Ed25519PrivateKey:
    text = key_text("CASEBOOK_AUDIT_SIGNING_KEY", environ)
    if not text:
        raise KeyMissing(
            "No audit signing key: set CASEBOOK_AUDIT_SIGNING_KEY or "
            "CASEBOOK_AUDIT_SIGNING_KEY_FILE (python manage.py generate_key --signing)."
        )
    try:
        raw = base64.urlsafe_b64decode(text.encode())
    except ValueError:
        raise KeyMissing("The audit signing key is not valid base64.") from None
    if len(raw) != SIGNING_KEY_BYTES:
        raise KeyMissing("The audit signing key is not 32 bytes.")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_text(private: Ed25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).decode()


def sign(private: Ed25519PrivateKey, message: bytes) -> str:
    return base64.urlsafe_b64encode(private.sign(message)).decode()


def signature_valid(public_key: str, message: bytes, signature: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(public_key.encode()))
        key.verify(base64.urlsafe_b64decode(signature.encode()), message)
    except (InvalidSignature, ValueError):
        return False
    return True
