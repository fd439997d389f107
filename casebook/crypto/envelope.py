"""Envelope encryption of testimony: the only module that imports the cipher.

- Each case has its own random 256-bit data key.
- Testimony is encrypted with AES-256-GCM under that key, with a fresh 96-bit nonce per
  encryption and associated data naming table, row, field and data-key generation, so a
  ciphertext moved to another row or field fails to decrypt.
- Data keys are stored wrapped (AES-256-GCM, bound to the case) by a key-encryption key
  (KEK) that never enters the database: CASEBOOK_KEK or CASEBOOK_KEK_FILE, holding
  versioned keys "1:<base64>,2:<base64>". The highest version wraps new data keys.
- Each KEK version has a key-check value in the database, so a wrong key is detected
  before any data is touched.
- Any failure raises CryptoError; nothing ever returns ciphertext as if it were text.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from casebook.environment import SecretUnreadable, secret_from_environment

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_V1 = b"\x01"
KCV_LABEL = b"casebook key-check value v1"


class CryptoError(Exception):
    """Encryption or decryption failed. The message never contains plaintext or keys."""


class KeyMissing(CryptoError):
    pass


class WrongKey(CryptoError):
    pass


@dataclass(frozen=True)
class Keyring:
    """The KEK versions held by this process; the highest one wraps new data keys."""

    keys: dict[int, bytes]

    @property
    def current_version(self) -> int:
        return max(self.keys)

    def key(self, version: int) -> bytes:
        try:
            return self.keys[version]
        except KeyError:
            raise KeyMissing(
                f"Key-encryption key version {version} is not in CASEBOOK_KEK: "
                "it was retired or never configured."
            ) from None


def random_key_text() -> str:
    """A new random 256-bit key, base64url-encoded: a key-encryption key or a signing key."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def parse_keyring(text: str) -> Keyring:
    """Parse "1:<base64>,2:<base64>" (commas or newlines). Errors never echo key material."""
    keys: dict[int, bytes] = {}
    for number, entry in enumerate(text.replace("\n", ",").split(","), start=1):
        entry = entry.strip()
        if not entry:
            continue
        version_text, sep, encoded = entry.partition(":")
        if not sep or not version_text.isdigit() or int(version_text) < 1:
            raise KeyMissing(f"CASEBOOK_KEK entry {number} is not 'VERSION:BASE64KEY'.")
        try:
            key = base64.urlsafe_b64decode(encoded.strip().encode())
        except ValueError:
            raise KeyMissing(f"CASEBOOK_KEK entry {number} is not valid base64.") from None
        if len(key) != KEY_BYTES:
            raise KeyMissing(f"CASEBOOK_KEK entry {number} is not a 256-bit key.")
        version = int(version_text)
        if version in keys:
            raise KeyMissing(f"CASEBOOK_KEK names version {version} twice.")
        keys[version] = key
    if not keys:
        raise KeyMissing("CASEBOOK_KEK holds no key.")
    return Keyring(keys)


def key_text(name: str, environ: dict[str, str] | None = None) -> str | None:
    """A key's text from NAME or NAME_FILE; an unreadable file is a missing key."""
    try:
        return secret_from_environment(name, environ)
    except SecretUnreadable as error:
        raise KeyMissing(str(error)) from None


def load_keyring(environ: dict[str, str] | None = None) -> Keyring:
    """The keyring from CASEBOOK_KEK, or from the file named by CASEBOOK_KEK_FILE."""
    text = key_text("CASEBOOK_KEK", environ)
    if not text:
        raise KeyMissing(
            "No key-encryption key: set CASEBOOK_KEK or CASEBOOK_KEK_FILE "
            "(python manage.py generate_key makes one)."
        )
    return parse_keyring(text)


def key_check_value(kek: bytes) -> bytes:
    """A value that identifies a KEK without revealing it (HMAC of a fixed label)."""
    return hmac.new(kek, KCV_LABEL, hashlib.sha256).digest()


def verify_key_check(kek: bytes, stored: bytes, version: int) -> None:
    if not hmac.compare_digest(key_check_value(kek), bytes(stored)):
        raise WrongKey(
            f"The configured key-encryption key version {version} is not the one this "
            "database was encrypted with. Nothing was read or changed."
        )


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return FORMAT_V1 + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    sealed = bytes(sealed)
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != FORMAT_V1:
        raise CryptoError("Ciphertext is malformed.")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise CryptoError(
            "Ciphertext failed authentication (modified, moved, or wrong key)."
        ) from None


@dataclass(frozen=True)
class WrappedKey:
    """A case's data key as stored: wrapped under KEK `kek_version`, bound to the case."""

    case_id: str
    kek_version: int
    wrapped: bytes
    generation: int = 1


def _wrap_aad(case_id: str, kek_version: int, generation: int) -> bytes:
    return f"casebook_casekey|{case_id}|kek:{kek_version}|dk:{generation}".encode()


def _unwrap(keyring: Keyring, key: WrappedKey) -> bytes:
    aad = _wrap_aad(key.case_id, key.kek_version, key.generation)
    data_key = _open(keyring.key(key.kek_version), key.wrapped, aad)
    if len(data_key) != KEY_BYTES:
        raise CryptoError("Unwrapped data key has the wrong length.")
    return data_key


def _wrap(keyring: Keyring, data_key: bytes, case_id: str, generation: int) -> WrappedKey:
    version = keyring.current_version
    aad = _wrap_aad(case_id, version, generation)
    wrapped = _seal(keyring.key(version), data_key, aad)
    return WrappedKey(case_id, version, wrapped, generation)


def new_case_key(keyring: Keyring, *, case_id: str) -> WrappedKey:
    """A fresh random data key for one case, wrapped under the current KEK."""
    return _wrap(keyring, secrets.token_bytes(KEY_BYTES), case_id, generation=1)


def rewrap(keyring: Keyring, key: WrappedKey) -> WrappedKey:
    """The same data key, wrapped under the current KEK (key rotation)."""
    return _wrap(keyring, _unwrap(keyring, key), key.case_id, key.generation)


def _field_aad(table: str, key: WrappedKey, field: str) -> bytes:
    return f"{table}|{key.case_id}|{field}|dk:{key.generation}".encode()


def seal_fields(
    keyring: Keyring, key: WrappedKey, *, table: str, fields: dict[str, str]
) -> dict[str, bytes]:
    """Encrypt each text field under the case's data key, with a fresh nonce each."""
    data_key = _unwrap(keyring, key)
    return {
        name: _seal(data_key, text.encode("utf-8"), _field_aad(table, key, name))
        for name, text in fields.items()
    }


def field_digests(
    keyring: Keyring, key: WrappedKey, *, table: str, fields: dict[str, str]
) -> dict[str, str]:
    """Keyed digests (HMAC under the case's data key) that tell whether a field changed.

    Without the data key they reveal nothing; they let an update name the fields it
    changed without decrypting the old testimony.
    """
    data_key = _unwrap(keyring, key)
    return {
        name: hmac.new(
            data_key, _field_aad(table, key, name) + b"|" + text.encode("utf-8"), hashlib.sha256
        ).hexdigest()[:32]
        for name, text in fields.items()
    }


def open_fields(
    keyring: Keyring, key: WrappedKey, *, table: str, sealed: dict[str, bytes]
) -> dict[str, str]:
    """Decrypt each field. Only casebook.cases.access may call this (tests/test_boundaries.py)."""
    data_key = _unwrap(keyring, key)
    opened = {}
    for name, ciphertext in sealed.items():
        if ciphertext is None:
            raise CryptoError(f"Field {name} has no ciphertext.")
        plaintext = _open(data_key, ciphertext, _field_aad(table, key, name))
        try:
            opened[name] = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise CryptoError(f"Field {name} did not decrypt to text.") from None
    return opened
