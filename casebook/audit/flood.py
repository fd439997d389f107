"""Bounding what a flood of refusals can write to the permanent log.

Refusals that an anonymous or locked-out client can repeat without end (case URLs
while signed out, attempts on a locked account) are recorded once a minute per key:
the first of each minute always is.
"""

from django.core.cache import cache

WINDOW_SECONDS = 60


def first_in_a_minute(key: str) -> bool:
    """True for the first call with `key` in each minute (per cache: today per process)."""
    return bool(cache.add(f"casebook:recorded:{key}", 1, timeout=WINDOW_SECONDS))
