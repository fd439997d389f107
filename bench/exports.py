"""Aggregate exports against the raw GROUP BY of the same snapshot (run by bench/run.py
once per database size, in a process of its own).

Usage: exports.py DATABASE_NAME CASES
Takes a fresh snapshot, then exports six two-dimension tables from it through the
whole request path (Django's test client, production settings: middleware, the ledger,
noise, post-processing, the access event, rendering), each a fresh, charged release,
and times the raw SQL GROUP BY of the same table on the same snapshot. Prints the
medians as JSON.
"""

import json
import statistics
import sys
import time
from datetime import timedelta

from setup import django_on_bench_database

TABLES = [
    ("category", "year"),
    ("category", "province_china"),
    ("year", "gender"),
    ("category", "gender"),
    ("year", "age_band"),
    ("province_china", "age_band"),
]
COLUMNS = {
    "category": "primary_category",
    "year": "year",
    "province_china": "province_china",
    "gender": "gender",
    "age_band": "age_band",
}


def signed_in_supervisor():
    from django.contrib.auth.models import User
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    supervisor = User.objects.get(username="bench-supervisor-all")
    client = Client()
    client.force_login(supervisor)
    device, _ = TOTPDevice.objects.get_or_create(user=supervisor, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def main() -> None:
    name, cases = sys.argv[1], int(sys.argv[2])
    django_on_bench_database(name)
    from django.db import connection
    from django.utils import timezone
    from million import build

    from casebook.aggregates.snapshots import snapshot_slot, snapshot_take
    from casebook.models import Release, Snapshot

    build(cases, with_keys=False, with_events=False)
    newest = Snapshot.objects.order_by("-taken_for").values_list("taken_for", flat=True).first()
    taken_for = max(snapshot_slot(timezone.now()), newest or timezone.now()) + timedelta(weeks=1)
    snapshot = snapshot_take(taken_for=taken_for)
    client = signed_in_supervisor()
    export_ms, raw_ms = [], []
    for pair in TABLES:
        releases = Release.objects.count()
        started = time.perf_counter()
        response = client.get(
            "/exports/aggregate",
            {"dimensions": ",".join(pair), "format": "json"},
            headers={"x-forwarded-proto": "https"},
            secure=True,
        )
        export_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
        assert Release.objects.count() == releases + 1  # a fresh, charged release
        first, second = (COLUMNS[d] for d in pair)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {first}, {second}, count(*) FROM casebook_snapshotcase "  # noqa: S608
                f"WHERE snapshot_id = %s GROUP BY 1, 2",
                [snapshot.pk],
            )
            cursor.fetchall()
        raw_ms.append((time.perf_counter() - started) * 1000)
    print(
        json.dumps({"export_ms": statistics.median(export_ms), "raw_ms": statistics.median(raw_ms)})
    )


if __name__ == "__main__":
    main()
