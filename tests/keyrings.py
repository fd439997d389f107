"""Switching the configured key-encryption keys inside a test."""

import base64
import os
from contextlib import contextmanager


def new_kek() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@contextmanager
def configured_keys(text: str | None):
    """Run with CASEBOOK_KEK set to `text` (None: no key at all)."""
    saved = {name: os.environ.get(name) for name in ("CASEBOOK_KEK", "CASEBOOK_KEK_FILE")}
    os.environ.pop("CASEBOOK_KEK_FILE", None)
    if text is None:
        os.environ.pop("CASEBOOK_KEK", None)
    else:
        os.environ["CASEBOOK_KEK"] = text
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
