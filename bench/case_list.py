"""Case-list page time with a million cases: visible_cases against guardian's query.

Usage: .venv/bin/python bench/case_list.py [--cases 1000000]
Builds (once) a database `casebook_bench` on the local PostgreSQL (or BENCH_DATABASE_BASE),
then times the first page of the case list for one caseworker, both ways, in the same run.
Floor: a page through visible_cases takes under 50 ms (median).
"""

import argparse
import os

import psycopg
from setup import django_on_bench_database, median_ms

FLOOR_MS = 50.0


def populate(case_count: int) -> None:
    from django.contrib.auth.models import Group, Permission, User
    from django.db import connection

    from casebook.models import CasePattern, Team

    if CasePattern.objects.count() >= case_count:
        return
    print(f"building {case_count:,} cases (once)...", flush=True)
    teams = []
    for t in range(20):
        group, _ = Group.objects.get_or_create(name=f"team:Bench Team {t}")
        teams.append(Team.objects.get_or_create(name=f"Bench Team {t}", group=group)[0])
    users = []
    for u in range(200):
        user, _ = User.objects.get_or_create(username=f"bench-caseworker-{u}")
        user.groups.add(teams[u % 20].group)
        users.append(user)
    view = Permission.objects.get(codename="view_casepattern").pk
    change = Permission.objects.get(codename="change_casepattern").pk
    first_user, first_team = users[0].pk, teams[0].pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO casebook_casepattern (id, reference, primary_category, year,
                province_china, province_origin, gender, age_band, time_in_china,
                current_status, source_proximity, consent_scope, author_id, team_id,
                created_at, updated_at, version, survivor_group)
            SELECT gen_random_uuid(),
                   'CB-' || upper(substr(lpad(to_hex(i), 8, '0'), 1, 4)) || '-' ||
                   upper(substr(lpad(to_hex(i), 8, '0'), 5, 4)),
                   (ARRAY['trafficking','forced_marriage','detention',
                          'forcible_repatriation'])[1 + mod(i, 4)],
                   2000 + mod(i, 25), 'jilin', 'north_hamgyong', 'female', '18-24', '1-3y',
                   'in_china', 'victim', 'aggregate',
                   %s + mod(i, 200), %s + mod(mod(i, 200), 20),
                   now() - make_interval(secs => i), now(), 1, gen_random_uuid()
            FROM generate_series(1, %s) AS i
            """,
            [first_user, first_team, case_count],
        )
        for permission in (view, change):
            cursor.execute(
                """INSERT INTO casebook_caseusergrant (permission_id, user_id, content_object_id)
                   SELECT %s, author_id, id FROM casebook_casepattern""",
                [permission],
            )
        # One case in ten is also shared with its author's whole team.
        cursor.execute(
            """INSERT INTO casebook_casegroupgrant (permission_id, group_id, content_object_id)
               SELECT %s, t.group_id, c.id FROM casebook_casepattern c
               JOIN casebook_team t ON t.id = c.team_id
               WHERE c.reference LIKE '%%0'""",
            [view],
        )
        # A caseworker with 30 grants, all on the oldest cases: guardian's worst case.
        sparse, _ = User.objects.get_or_create(username="bench-caseworker-sparse")
        cursor.execute(
            """INSERT INTO casebook_caseusergrant (permission_id, user_id, content_object_id)
               SELECT %s, %s, id FROM casebook_casepattern ORDER BY created_at LIMIT 30""",
            [view, sparse.pk],
        )
    # Autovacuum would do this in production; without it index-only scans are not used.
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.setdefault("CASEBOOK_KEK", "1:" + "A" * 43 + "=")  # no testimony is read
    django_on_bench_database("casebook_bench")
    from django.contrib.auth.models import Group, User
    from guardian.shortcuts import get_objects_for_user

    from casebook.cases.selectors import visible_cases
    from casebook.models import CasePattern

    populate(args.cases)
    # visible_cases opens cases to caseworkers (and supervisors) only.
    caseworkers = Group.objects.get(name="caseworker")
    caseworkers.user_set.add(*User.objects.filter(username__startswith="bench-caseworker"))
    total = CasePattern.objects.count()
    print(f"cases in database: {total:,}")
    missed = False
    for username in ("bench-caseworker-7", "bench-caseworker-sparse"):
        user = User.objects.get(username=username)

        def ours(user=user):
            return list(visible_cases(user).order_by("-created_at", "-id")[:50])

        def guardians(user=user):
            return list(
                get_objects_for_user(
                    user,
                    "casebook.view_casepattern",
                    with_superuser=False,
                    accept_global_perms=False,
                ).order_by("-created_at", "-id")[:50]
            )

        assert [c.pk for c in ours()] == [c.pk for c in guardians()], "same page both ways"
        ours_ms, guardian_ms = median_ms(ours), median_ms(guardians)
        missed |= ours_ms >= FLOOR_MS
        print(f"{username}: {visible_cases(user).count():,} visible cases")
        print(f"  page of 50, visible_cases:        {ours_ms:8.2f} ms (median)")
        print(f"  page of 50, get_objects_for_user: {guardian_ms:8.2f} ms (median)")
    print(
        f"floor: every visible_cases page under {FLOOR_MS:.0f} ms: {'MISSED' if missed else 'met'}"
    )


if __name__ == "__main__":
    main()
