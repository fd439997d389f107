"""Cost of decryption on the case detail path, and of rotating 100,000 data keys.

Usage: .venv/bin/python bench/testimony.py [--keys 100000]
Prints, in one run: case_read with decryption against the same fetch without it, the
full detail view over HTTP (test client), and the time to re-wrap every data key.
Floors: decryption adds under 2 ms to a read; rotating 100,000 keys takes under 60 s.
"""

import argparse
import base64
import os
import time
from unittest import mock

from setup import django_on_bench_database, interleaved_medians_ms, median_ms

DECRYPT_FLOOR_MS = 2.0
ROTATE_FLOOR_S = 60.0


def kek() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=100_000)
    args = parser.parse_args()
    v1, v2 = f"1:{kek()}", f"2:{kek()}"
    os.environ["CASEBOOK_KEK"] = v1
    os.environ["CASEBOOK_ALLOWED_HOSTS"] = "testserver"
    os.environ["CASEBOOK_INSECURE_LOCAL_HTTP"] = "1"
    os.environ["CASEBOOK_DEBUG"] = "1"  # unhashed static URLs: no collectstatic needed
    django_on_bench_database("casebook_bench_testimony")

    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client

    from casebook.accounts.teams import team_add_member, team_get_or_create
    from casebook.cases import access
    from casebook.cases.services import Pattern, Testimony, case_create
    from casebook.crypto import envelope, keys
    from casebook.models import CaseKey, CasePattern, KeyCheck
    from casebook.roles import Role

    with connection.cursor() as cursor:  # start clean: keys differ on every run
        cursor.execute(
            "TRUNCATE casebook_casepattern, casebook_casekey, casebook_casetestimony, "
            "casebook_keycheck, casebook_caseusergrant, casebook_casesubpattern, "
            "casebook_caseperpetrator CASCADE"
        )
    KeyCheck.objects.all().delete()
    team, _ = team_get_or_create(name="Bench Team")
    user, created = User.objects.get_or_create(username="bench-reader")
    if created:
        user.groups.add(Group.objects.get(name=Role.CASEWORKER.value))
        team_add_member(team=team, user=user, role=Role.CASEWORKER)
    pattern = Pattern(
        "trafficking",
        frozenset({"resold"}),
        frozenset({"broker"}),
        2019,
        "jilin",
        "north_hamgyong",
        "female",
        "18-24",
        "1-3y",
        "in_china",
        "victim",
        "aggregate",
    )
    testimony = Testimony("[BENCH] fictional narrative " * 600, "[BENCH] notes " * 100, "")
    case = case_create(author=user, team=team, pattern=pattern, testimony=testimony)

    def with_decryption():
        access.case_read(user=user, reference=case.reference)

    def without_decryption():
        # The same read path (permission query, access event, keys), decryption stubbed.
        with mock.patch.object(envelope, "open_fields", return_value=testimony.as_fields()):
            access.case_read(user=user, reference=case.reference)

    client = Client()
    client.force_login(user)
    url = f"/cases/{case.reference}/"
    assert client.get(url).status_code == 200

    read_ms, fetch_ms = interleaved_medians_ms(with_decryption, without_decryption, 200)
    view_ms = median_ms(lambda: client.get(url), repeat=100)
    print(f"testimony size: {len(testimony.narrative):,} characters of narrative")
    print(f"case_read with decryption:      {read_ms:7.3f} ms (median)")
    print(f"same read, decryption stubbed:  {fetch_ms:7.3f} ms (median)")
    added = read_ms - fetch_ms
    verdict = "met" if added < DECRYPT_FLOOR_MS else "MISSED"
    print(
        f"decryption adds:                {added:7.3f} ms (floor {DECRYPT_FLOOR_MS} ms: {verdict})"
    )
    print(f"detail view over HTTP:          {view_ms:7.3f} ms (median)")

    # Rotation: n cases with wrapped keys under version 1, then re-wrap under version 2.
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO casebook_casepattern (id, reference, primary_category, year,
                 province_china, province_origin, gender, age_band, time_in_china,
                 current_status, source_proximity, consent_scope, author_id, team_id,
                 created_at, updated_at, version)
               SELECT gen_random_uuid(), 'CB-' || upper(substr(lpad(to_hex(i), 8, '0'), 1, 4))
                      || '-' || upper(substr(lpad(to_hex(i), 8, '0'), 5, 4)),
                      'detention', 2020, 'jilin', 'unknown', 'male', 'unknown', 'unknown',
                      'unknown', 'victim', 'aggregate', %s, %s, now(), now(), 1
               FROM generate_series(1, %s) AS i""",
            [user.pk, team.pk, args.keys],
        )
    ring = keys.keyring()
    ids = CasePattern.objects.exclude(pk=case.pk).values_list("pk", flat=True)
    rows = []
    for case_id in ids.iterator():
        wrapped = envelope.new_case_key(ring, case_id=str(case_id))
        rows.append(CaseKey(case_id=case_id, kek_version=1, wrapped=wrapped.wrapped))
    CaseKey.objects.bulk_create(rows, batch_size=5000)
    os.environ["CASEBOOK_KEK"] = f"{v1},{v2}"
    start = time.perf_counter()
    report = keys.rotate_data_keys(batch_size=1000)
    seconds = time.perf_counter() - start
    print(
        f"rotated {report.rotated:,} data keys in {seconds:.1f} s "
        f"({report.rotated / seconds:,.0f} keys/s; floor {ROTATE_FLOOR_S:.0f} s: "
        f"{'met' if seconds < ROTATE_FLOOR_S else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
