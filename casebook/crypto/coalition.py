"""Coalition bundles' keys: the installation's release-signing key, and sealing a bundle
so that only the coalition's combiner can open it.

- The release-signing key (Ed25519) signs coalition bundles and nothing else. It lives
  outside the database: CASEBOOK_RELEASE_SIGNING_KEY or CASEBOOK_RELEASE_SIGNING_KEY_FILE
  (base64 of 32 bytes, made by `generate_key --release-signing`). It must differ from
  the access log's key (CASEBOOK_AUDIT_SIGNING_KEY), which signs checkpoints only:
  loading refuses the same key for both.
- Sealing (ECIES, as HPKE's base mode does it): a fresh X25519 key pair for every
  sealing; the shared secret with the combiner's public X25519 key, through
  HKDF-SHA256 (salt: both public keys; info: the format), keys AES-256-GCM with a
  random 96-bit nonce, and the format and both public keys are its associated data.
  Only the holder of the combiner's private key (made by `generate_key --coalition`)
  can open it; whoever downloads it holds ciphertext only.
- Any failure raises CryptoError; nothing unauthenticated is ever returned as plaintext.
"""

import base64
import binascii
import secrets
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from casebook.crypto.envelope import KEY_BYTES, NONCE_BYTES, CryptoError, KeyMissing, key_text

SEALED_FORMAT = "casebook-coalition-sealed/1"
RELEASE_KEY = "CASEBOOK_RELEASE_SIGNING_KEY"
AUDIT_KEY = "CASEBOOK_AUDIT_SIGNING_KEY"
# The key types, named for the rooms that hold keys without importing the cipher.
ReleaseKey = Ed25519PrivateKey
CombinerKey = X25519PrivateKey


class ReleaseKeyIsLogKey(KeyMissing):
    """The release-signing key configured is the access log's own signing key."""


def _decode(text: str) -> bytes:
    """base64url (padding optional) of exactly 32 bytes, or ValueError."""
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode() + b"=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if len(raw) != KEY_BYTES:
        raise ValueError("not 32 bytes")
    return raw


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def load_release_signing_key(environ: dict[str, str] | None = None) -> Ed25519PrivateKey:
    """The installation's release-signing key; KeyMissing when it is absent, malformed,
    or the access log's own key."""
    text = key_text(RELEASE_KEY, environ)
    if not text:
        raise KeyMissing(
            "No release-signing key: set CASEBOOK_RELEASE_SIGNING_KEY or "
            "CASEBOOK_RELEASE_SIGNING_KEY_FILE (python manage.py generate_key --release-signing)."
        )
    try:
        raw = _decode(text)
    except ValueError:
        raise KeyMissing("The release-signing key is not base64 of 32 bytes.") from None
    audit = key_text(AUDIT_KEY, environ)
    if audit:
        try:
            same = secrets.compare_digest(_decode(audit), raw)
        except ValueError:
            same = False
        if same:
            raise ReleaseKeyIsLogKey(
                "The release-signing key is the access log's signing key: bundles need a "
                "key of their own (python manage.py generate_key --release-signing)."
            )
    return Ed25519PrivateKey.from_private_bytes(raw)


def signing_public_key(private: Ed25519PrivateKey) -> str:
    return _encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def signing_public_key_of(private_text: str) -> str:
    """The public key of an Ed25519 private key given as text (ValueError if malformed)."""
    return signing_public_key(Ed25519PrivateKey.from_private_bytes(_decode(private_text)))


def load_combiner_key(text: str) -> X25519PrivateKey:
    """The combiner's private X25519 key from its text (KeyMissing if malformed)."""
    try:
        return X25519PrivateKey.from_private_bytes(_decode(text))
    except ValueError:
        raise KeyMissing("The combiner's key is not base64 of 32 bytes.") from None


def combiner_public_key(private: X25519PrivateKey) -> str:
    return _encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def combiner_public_key_of(private_text: str) -> str:
    """The public key of an X25519 private key given as text (KeyMissing if malformed)."""
    return combiner_public_key(load_combiner_key(private_text))


def signing_public_key_text(text: object) -> str:
    """An Ed25519 public key in its one written form (base64url, padded), whichever
    base64 alphabet or padding `text` used; ValueError if it is not one."""
    if not isinstance(text, str):
        raise ValueError("not text")
    raw = _decode(text)
    Ed25519PublicKey.from_public_bytes(raw)
    return _encode(raw)


def combiner_public_key_text(text: object) -> str:
    """An X25519 public key in its one written form, checked by a trial key exchange:
    a low-order point (all zeros, say), with which no secret can be agreed, is a
    ValueError like any malformed key."""
    if not isinstance(text, str):
        raise ValueError("not text")
    raw = _decode(text)
    X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(raw))
    return _encode(raw)


def sign(private: Ed25519PrivateKey, message: bytes) -> str:
    return _encode(private.sign(message))


def signature_valid(public_key: str, message: bytes, signature: object) -> bool:
    """Whether `signature` is the Ed25519 signature of `message` by `public_key`."""
    if not isinstance(signature, str) or not signature:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(_decode(public_key))
        key.verify(base64.urlsafe_b64decode(signature.encode()), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False  # a malformed key or signature is a bad signature
    return True


def _sealing_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=ephemeral + recipient,
        info=SEALED_FORMAT.encode(),
    ).derive(shared)


def _aad(ephemeral: bytes, recipient: bytes) -> bytes:
    return SEALED_FORMAT.encode() + b"|" + ephemeral + recipient


def seal_to(recipient_public_key: str, plaintext: bytes) -> dict[str, str]:
    """`plaintext` sealed to the holder of the private key of `recipient_public_key`."""
    try:
        recipient = _decode(recipient_public_key)
        recipient_key = X25519PublicKey.from_public_bytes(recipient)
    except ValueError:
        raise KeyMissing("The combiner's public key is not base64 of 32 bytes.") from None
    ephemeral_private = X25519PrivateKey.generate()
    ephemeral = ephemeral_private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    try:
        shared = ephemeral_private.exchange(recipient_key)
    except ValueError:  # a low-order point: no secret can be agreed with it
        raise KeyMissing("The combiner's public key is not a usable X25519 key.") from None
    nonce = secrets.token_bytes(NONCE_BYTES)
    key = _sealing_key(shared, ephemeral, recipient)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, _aad(ephemeral, recipient))
    return {
        "format": SEALED_FORMAT,
        "to": _encode(recipient),
        "ephemeral_key": _encode(ephemeral),
        "nonce": _encode(nonce),
        "ciphertext": _encode(ciphertext),
    }


def open_sealed(private: X25519PrivateKey, sealed: Any) -> bytes:
    """The plaintext of `sealed`, or CryptoError when it is malformed, was sealed to
    another key, or was changed in any way."""
    if not isinstance(sealed, dict) or sealed.get("format") != SEALED_FORMAT:
        raise CryptoError("Not a sealed coalition bundle.")
    ephemeral_text, nonce_text, ciphertext_text = (
        sealed.get("ephemeral_key"),
        sealed.get("nonce"),
        sealed.get("ciphertext"),
    )
    if not (
        isinstance(ephemeral_text, str)
        and isinstance(nonce_text, str)
        and isinstance(ciphertext_text, str)
    ):
        raise CryptoError("The sealed bundle is malformed.")
    try:
        ephemeral = _decode(ephemeral_text)
        nonce = base64.urlsafe_b64decode(nonce_text.encode())
        ciphertext = base64.urlsafe_b64decode(ciphertext_text.encode())
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    except (ValueError, binascii.Error):
        raise CryptoError("The sealed bundle is malformed.") from None
    if len(nonce) != NONCE_BYTES:
        raise CryptoError("The sealed bundle is malformed.")
    recipient = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key = _sealing_key(shared, ephemeral, recipient)
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, _aad(ephemeral, recipient))
    except InvalidTag:
        raise CryptoError(
            "The sealed bundle failed authentication (changed, or sealed to another key)."
        ) from None
