"""Human case references such as CB-7K3M-Q9XD.

A reference is 40 random bits from the operating system, written in Crockford's
base 32 (no I, L, O or U to misread). It reveals nothing about when a case was
recorded or how many cases exist.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = r"CB-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}"


def new_reference() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"CB-{chars[:4]}-{chars[4:]}"
