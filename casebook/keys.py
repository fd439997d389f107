"""Key management against the database: key checks, case keys, rotation.

Holds no cipher code: it calls casebook.crypto, and never sees testimony.
"""

from dataclasses import dataclass

from django.db import transaction

from casebook import crypto
from casebook.models import CaseKey, CasePattern, KeyCheck

_verified: set[tuple[bytes, ...]] = set()


def keyring() -> crypto.Keyring:
    """The configured keyring, checked against the database's key-check values.

    Raises KeyMissing when no key is configured and WrongKey when a configured version
    differs from the one the database was encrypted with. A version seen for the first
    time has its key-check value recorded.
    """
    ring = crypto.load_keyring()
    fingerprint = tuple(crypto.key_check_value(ring.keys[v]) for v in sorted(ring.keys))
    if fingerprint in _verified:
        return ring
    stored = dict(KeyCheck.objects.values_list("kek_version", "check_value"))
    for version, kek in ring.keys.items():
        if version in stored:
            crypto.verify_key_check(kek, stored[version], version)
        else:
            KeyCheck.objects.get_or_create(
                kek_version=version, defaults={"check_value": crypto.key_check_value(kek)}
            )
    if stored.keys() >= ring.keys.keys():
        _verified.add(fingerprint)
    return ring


def forget_verified_keyrings() -> None:
    """Make the next keyring() call check the database again (tests, key changes)."""
    _verified.clear()


def wrapped_key(row: CaseKey) -> crypto.WrappedKey:
    return crypto.WrappedKey(
        case_id=str(row.case_id),
        kek_version=row.kek_version,
        wrapped=bytes(row.wrapped),
        generation=row.generation,
    )


def case_key_create(case: CasePattern) -> crypto.WrappedKey:
    key = crypto.new_case_key(keyring(), case_id=str(case.pk))
    CaseKey.objects.create(
        case=case, kek_version=key.kek_version, wrapped=key.wrapped, generation=key.generation
    )
    return key


@dataclass(frozen=True)
class RotationReport:
    rotated: int
    remaining: int
    current_version: int
    versions_in_use: tuple[int, ...]


def rotate_data_keys(*, batch_size: int = 1000, max_batches: int | None = None) -> RotationReport:
    """Re-wrap every data key under the newest KEK version, batch by batch.

    Each batch commits on its own, so the work is online and an interruption loses at
    most one batch: running again resumes where it stopped. Testimony is not touched.
    """
    ring = keyring()
    current = ring.current_version
    rotated = batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            rows = list(
                CaseKey.objects.select_for_update(skip_locked=True)
                .exclude(kek_version=current)
                .order_by("pk")[:batch_size]
            )
            if not rows:
                break
            for row in rows:
                new = crypto.rewrap(ring, wrapped_key(row))
                row.kek_version, row.wrapped = new.kek_version, new.wrapped
            CaseKey.objects.bulk_update(rows, ["kek_version", "wrapped"])
        rotated += len(rows)
        batches += 1
    versions = tuple(
        sorted(CaseKey.objects.values_list("kek_version", flat=True).distinct().order_by())
    )
    remaining = CaseKey.objects.exclude(kek_version=current).count()
    return RotationReport(rotated, remaining, current, versions)
