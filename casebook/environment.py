"""Secrets handed to Casebook from outside: an environment variable, or a file.

`NAME` holds the value itself; `NAME_FILE` names a file that holds it (for secrets
mounted by Docker or systemd). Settings, the key-encryption key and the signing keys
all read their secrets through this one function. Imports nothing of Casebook.
"""

import os
from pathlib import Path


class SecretUnreadable(Exception):
    """NAME_FILE names a file that cannot be read. The message never holds its content."""


def secret_from_environment(name: str, environ: dict[str, str] | None = None) -> str | None:
    """The value of NAME, else the contents of the file named by NAME_FILE, stripped of
    surrounding whitespace; None when neither is set or both are empty."""
    env = os.environ if environ is None else environ
    value = env.get(name, "").strip()
    if value:
        return value
    path = env.get(f"{name}_FILE")
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip() or None
    except OSError as error:
        raise SecretUnreadable(f"{name}_FILE={path} cannot be read: {error.strerror}") from None
