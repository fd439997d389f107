"""Aggregate export at a million cases: the export request against a raw GROUP BY.

Usage: .venv/bin/python bench/exports.py [--cases 1000000]
Uses (and if needed builds, via bench/case_list.py's builder) the `casebook_bench`
database. Prints, in one run, the median time of GET /exports/aggregate for
category,year (counting, noise, post-processing, ledger, rendering) against the raw SQL
GROUP BY for the same table, and the export's peak memory.
Floors: the export takes under 3x the raw GROUP BY plus 200 ms; peak Python memory
under 50 MB.
"""

import argparse
import os
import tracemalloc

from setup import django_on_bench_database, median_ms

EXTRA_MS_FLOOR = 200.0
MEMORY_FLOOR_MB = 50.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.update(
        CASEBOOK_SUPERVISOR_BUDGET="9000",
        CASEBOOK_GLOBAL_BUDGET="9000",
        CASEBOOK_ALLOWED_HOSTS="testserver",
        CASEBOOK_INSECURE_LOCAL_HTTP="1",
        CASEBOOK_KEK="1:" + "A" * 43 + "=",
    )
    django_on_bench_database("casebook_bench")
    from case_list import populate
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from casebook.accounts.teams import team_add_member, team_get_or_create
    from casebook.models import DatasetVersion
    from casebook.roles import Role

    populate(args.cases)
    supervisor, created = User.objects.get_or_create(username="bench-supervisor")
    if created:
        supervisor.groups.add(Group.objects.get(name=Role.SUPERVISOR.value))
        team_add_member(
            team=team_get_or_create(name="Bench Team 0")[0], user=supervisor, role=Role.SUPERVISOR
        )
    client = Client()
    client.force_login(supervisor)
    # Supervisors need a verified second factor: give the bench account one.
    device, _ = TOTPDevice.objects.get_or_create(user=supervisor, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    def export():
        DatasetVersion.bump()  # a new data version each time: a real, charged release
        response = client.get(
            "/exports/aggregate", {"dimensions": "category,year", "format": "json"}
        )
        assert response.status_code == 200, response.content[:300]

    def raw_group_by():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT primary_category, year, COUNT(*) FROM casebook_casepattern "
                "WHERE consent_scope = 'aggregate' GROUP BY primary_category, year"
            )
            cursor.fetchall()

    export_ms, raw_ms = median_ms(export, 7), median_ms(raw_group_by, 7)
    tracemalloc.start()
    export()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = peak / 2**20
    floor_ms = 3 * raw_ms + EXTRA_MS_FLOOR
    print(f"cases: {args.cases:,}")
    print(f"export request (category,year, json): {export_ms:8.1f} ms (median)")
    print(f"raw SQL GROUP BY, same table:         {raw_ms:8.1f} ms (median)")
    print(
        f"export floor (3x raw + {EXTRA_MS_FLOOR:.0f} ms = {floor_ms:.0f} ms): "
        f"{'met' if export_ms < floor_ms else 'MISSED'}"
    )
    print(
        f"export peak Python memory: {peak_mb:.1f} MB (floor {MEMORY_FLOOR_MB:.0f} MB: "
        f"{'met' if peak_mb < MEMORY_FLOOR_MB else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
