"""Key management against the database: key checks, case keys, rotation.

Holds no cipher code: it calls casebook.crypto.envelope, and never sees testimony.
"""

import uuid
from dataclasses import dataclass

from django.db import connection, transaction

from casebook.crypto import envelope
from casebook.db import prepared
from casebook.models import CaseKey, CasePattern, KeyCheck

# Read before every encryption and decryption: prepared on PostgreSQL (casebook.db).
_KEY_CHECKS = "SELECT kek_version, check_value FROM casebook_keycheck"


def keyring() -> envelope.Keyring:
    """The configured keyring, checked against the database's key-check values.

    Raises KeyMissing when no key is configured and WrongKey when a configured version
    differs from the one the database was encrypted with. A version seen for the first
    time has its key-check value recorded. Checked on every call (one small query), so
    a key changed under a running process is caught at once.
    """
    ring = envelope.load_keyring()
    stored = dict(_key_checks())
    for version, kek in ring.keys.items():
        if version in stored:
            envelope.verify_key_check(kek, bytes(stored[version]), version)
        else:
            KeyCheck.objects.get_or_create(
                kek_version=version, defaults={"check_value": envelope.key_check_value(kek)}
            )
    return ring


def _key_checks() -> list[tuple[int, bytes]]:
    if connection.vendor == "postgresql":
        stored = prepared(_KEY_CHECKS, [])
    else:
        stored = list(KeyCheck.objects.values_list("kek_version", "check_value"))
    return [(version, bytes(value)) for version, value in stored]


def wrapped_key(row: CaseKey) -> envelope.WrappedKey:
    return envelope.WrappedKey(
        case_id=str(row.case_id),
        kek_version=row.kek_version,
        wrapped=bytes(row.wrapped),
        generation=row.generation,
    )


def case_key_row(case: CasePattern, key: envelope.WrappedKey) -> CaseKey:
    """The (unsaved) row that keeps `case`'s wrapped data key `key`."""
    return CaseKey(
        case=case, kek_version=key.kek_version, wrapped=key.wrapped, generation=key.generation
    )


def case_key_create(case: CasePattern, ring: envelope.Keyring) -> envelope.WrappedKey:
    """A new data key for `case`, wrapped under `ring`'s current key (from keyring())."""
    key = envelope.new_case_key(ring, case_id=str(case.pk))
    case_key_row(case, key).save(force_insert=True)
    return key


def _store_rewrapped(rewrapped: list[envelope.WrappedKey]) -> None:
    """Write a batch of re-wrapped keys: on PostgreSQL in one UPDATE ... FROM (VALUES),
    elsewhere (the embedded SQLite default) one parameterised UPDATE per key."""
    table = connection.ops.quote_name(CaseKey._meta.db_table)
    rows = [(k.kek_version, k.wrapped, uuid.UUID(k.case_id).hex) for k in rewrapped]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"UPDATE {table} SET kek_version = %s, wrapped = %s WHERE case_id = %s",  # noqa: S608
                rows,
            )
            return
        values = ", ".join(["(%s::integer, %s::bytea, %s::uuid)"] * len(rows))
        cursor.execute(
            f"UPDATE {table} AS k SET kek_version = v.kek_version, wrapped = v.wrapped "  # noqa: S608
            f"FROM (VALUES {values}) AS v(kek_version, wrapped, case_id) "
            "WHERE k.case_id = v.case_id",
            [value for row in rows for value in row],
        )


@dataclass(frozen=True)
class RotationReport:
    rotated: int
    remaining: int
    current_version: int
    versions_in_use: tuple[int, ...]


def rotate_data_keys(*, batch_size: int = 1000, max_batches: int | None = None) -> RotationReport:
    """Re-wrap every data key under the newest KEK version, batch by batch.

    Each batch commits on its own, so the work is online and an interruption loses at
    most one batch: running again resumes where it stopped. Batches go by key order
    (`pk > last`), so the whole run is linear in the number of keys; a key locked by an
    edit at that moment is left for the next run (counted in `remaining`). Testimony is
    not touched.
    """
    ring = keyring()
    current = ring.current_version
    rotated = batches = 0
    after = None  # keyset: each batch starts past the last key seen, never re-reading
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            pending = CaseKey.objects.select_for_update(skip_locked=True).exclude(
                kek_version=current
            )
            if after is not None:
                pending = pending.filter(pk__gt=after)
            rows = list(pending.order_by("pk")[:batch_size])
            if not rows:
                break
            rewrapped = [envelope.rewrap(ring, wrapped_key(row)) for row in rows]
            _store_rewrapped(rewrapped)
        after = rows[-1].pk
        rotated += len(rows)
        batches += 1
    versions = tuple(
        sorted(CaseKey.objects.values_list("kek_version", flat=True).distinct().order_by())
    )
    remaining = CaseKey.objects.exclude(kek_version=current).count()
    return RotationReport(rotated, remaining, current, versions)
