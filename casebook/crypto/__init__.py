"""The case's secrets at rest: envelope encryption, key management, signatures.

Owns `envelope` (the cipher: data keys, AES-GCM fields, key-encryption keys from the
environment), `keys` (key checks, per-case data keys and rotation against the
database), `signing` (Ed25519 signatures of the access log's checkpoints) and
`coalition` (the release-signing key of coalition bundles, and sealing a bundle to the
coalition's combiner).
The only room that imports `cryptography`. May import: models, environment.
"""
