"""The case's secrets at rest: envelope encryption, key management, signatures.

Owns `envelope` (the cipher: data keys, AES-GCM fields, key-encryption keys from the
environment), `keys` (key checks, per-case data keys and rotation against the
database) and `signing` (Ed25519 signatures of the access log's checkpoints).
The only room that imports `cryptography`. May import: models, environment.
"""
