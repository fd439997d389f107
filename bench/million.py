"""The synthetic million: a bench database with 1,000,000 fictional cases, their grants
and wrapped data keys, and 1,000,000 sealed access-log events, built once.

Cases and grants are generated inside PostgreSQL (INSERT ... SELECT over
generate_series); data keys and events, which Python must make (a wrapped key each; a
chained hash each), are streamed in with COPY. Nothing here is real: every name is
"bench-", every case a pattern of codes without testimony, every event a log view.

Who can see what (the list benchmarks' subjects):
- 1,000 authors, `bench-author-0` .. `-999`; author u wrote the cases i with i % 1000 = u,
  so each author's 1,000 cases are spread over the whole timeline, and holds view and
  change grants on them; one case in ten is also shared with the author's team.
- 100 teams; author u is on team u % 100, except `bench-author-0`, alone on team
  `Bench Team Spread`, which thus holds exactly their 1,000 cases.
- `bench-supervisor-spread` oversees `Bench Team Spread`: 1,000 visible of 1M.
- `bench-supervisor-all` oversees every team: the unrestricted floor.
"""

import datetime as dt
import io
import json
import os
import time
from types import SimpleNamespace

MARKER = "bench_built"
AUTHORS = 1000
TEAMS = 100


def built(cursor, what: str, count: int) -> bool:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER} (what text PRIMARY KEY, n bigint)")
    cursor.execute(f"SELECT n FROM {MARKER} WHERE what = %s", [what])  # noqa: S608
    row = cursor.fetchone()
    return bool(row and row[0] == count)


def mark(cursor, what: str, count: int) -> None:
    cursor.execute(
        f"INSERT INTO {MARKER} VALUES (%s, %s) ON CONFLICT (what) DO UPDATE SET n = %s",  # noqa: S608
        [what, count, count],
    )


def say(text: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {text}", flush=True)


def people_and_teams() -> None:
    from django.contrib.auth.models import Group, User

    from casebook.accounts.teams import team_add_member, team_get_or_create
    from casebook.roles import Role

    caseworkers = Group.objects.get(name=Role.CASEWORKER.value)
    supervisors = Group.objects.get(name=Role.SUPERVISOR.value)
    teams = [team_get_or_create(name=f"Bench Team {t}")[0] for t in range(TEAMS)]
    spread = team_get_or_create(name="Bench Team Spread")[0]
    existing = set(
        User.objects.filter(username__startswith="bench-author-").values_list("username", flat=True)
    )
    User.objects.bulk_create(
        [
            User(username=f"bench-author-{u}", password="!")
            for u in range(AUTHORS)
            if f"bench-author-{u}" not in existing
        ]
    )
    authors = {u.username: u for u in User.objects.filter(username__startswith="bench-author-")}
    for u in range(AUTHORS):
        user = authors[f"bench-author-{u}"]
        if not user.groups.exists():
            user.groups.add(caseworkers, (spread if u == 0 else teams[u % TEAMS]).group)
    for name, overseen in (
        ("bench-supervisor-spread", [spread]),
        ("bench-supervisor-all", [*teams, spread]),
    ):
        supervisor, created = User.objects.get_or_create(username=name, defaults={"password": "!"})
        if created:
            supervisor.groups.add(supervisors)
            for team in overseen:
                team_add_member(team=team, user=supervisor, role=Role.SUPERVISOR)


def cases(cursor, count: int) -> None:
    from django.contrib.auth.models import Permission

    from casebook.models import Team

    say(f"{count:,} cases, grants (INSERT ... SELECT)")
    view = Permission.objects.get(codename="view_casepattern").pk
    change = Permission.objects.get(codename="change_casepattern").pk
    cursor.execute(
        "CREATE TEMP TABLE bench_author_team AS SELECT substring(u.username from 14)::int AS u, "
        "u.id AS user_id, t.id AS team_id FROM auth_user u "
        "JOIN auth_user_groups ug ON ug.user_id = u.id JOIN casebook_team t ON t.group_id = "
        "ug.group_id WHERE u.username LIKE 'bench-author-%%'"
    )
    assert Team.objects.filter(name="Bench Team Spread").exists()
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
               2000 + mod(i, 25),
               (ARRAY['jilin','liaoning','heilongjiang','shandong'])[1 + mod(i / 7, 4)],
               'north_hamgyong',
               (ARRAY['female','male'])[1 + mod(i / 3, 2)],
               (ARRAY['18-24','25-34','35-44'])[1 + mod(i / 11, 3)],
               '1-3y', 'in_china', 'victim', 'aggregate',
               a.user_id, a.team_id,
               timestamp '2026-01-01' - make_interval(secs => i * 20), now(), 1,
               gen_random_uuid()
        FROM generate_series(1, %s) AS i JOIN bench_author_team a ON a.u = mod(i, 1000)
        """,
        [count],
    )
    for permission in (view, change):
        cursor.execute(
            "INSERT INTO casebook_caseusergrant "
            "(permission_id, user_id, content_object_id, case_created_at) "
            "SELECT %s, author_id, id, created_at FROM casebook_casepattern",
            [permission],
        )
    cursor.execute(
        "INSERT INTO casebook_casegroupgrant "
        "(permission_id, group_id, content_object_id, case_created_at) "
        "SELECT %s, t.group_id, c.id, c.created_at FROM casebook_casepattern c "
        "JOIN casebook_team t ON t.id = c.team_id WHERE c.reference LIKE '%%0'",
        [view],
    )


def data_keys(connection, cursor) -> None:
    """A wrapped data key for every case (under KEK version 1), streamed in with COPY."""
    from casebook.crypto import envelope, keys

    say("a wrapped data key per case (COPY)")
    ring = keys.keyring()
    cursor.execute(
        "SELECT id FROM casebook_casepattern WHERE id NOT IN (SELECT case_id FROM casebook_casekey)"
    )
    ids = [row[0] for row in cursor.fetchall()]
    raw = connection.connection  # psycopg's own connection, for COPY
    with (
        raw.cursor() as copy_cursor,
        copy_cursor.copy(
            "COPY casebook_casekey (case_id, kek_version, wrapped, generation) FROM STDIN"
        ) as copy,
    ):
        for case_id in ids:
            wrapped = envelope.new_case_key(ring, case_id=str(case_id))
            copy.write_row((case_id, wrapped.kek_version, wrapped.wrapped, wrapped.generation))


def events(connection, count: int) -> None:
    """`count` events (log views by fictional auditors, some with details, some at whole
    seconds), chained and sealed exactly as the sealer would, streamed in with COPY."""
    from casebook.audit.canonical import GENESIS_HASH, event_hash, hashed_fields

    say(f"{count:,} sealed access-log events (COPY)")
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    prev = GENESIS_HASH
    raw = connection.connection
    events_text, seals_text = io.StringIO(), io.StringIO()

    def flush() -> None:
        with raw.cursor() as cursor:
            for table, columns, buffer in (
                (
                    "casebook_accessevent",
                    "id, occurred_at, actor_id, actor_username, role, "
                    "action, target, outcome, reason, request_id, details",
                    events_text,
                ),
                (
                    "casebook_accessseal",
                    "position, event_id, hash, sealed_at, horizon",
                    seals_text,
                ),
            ):
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()

    # The ids are the ones written here: the trigger that draws an append's id is off
    # while they go in (this runs in one transaction).
    with raw.cursor() as cursor:
        cursor.execute("ALTER TABLE casebook_accessevent DISABLE TRIGGER event_id_after_xid")
    for n in range(1, count + 1):
        when = start + dt.timedelta(milliseconds=n * 30, microseconds=0 if n % 10 == 0 else 7)
        details = {"filters": ["actor"]} if n % 5 == 0 else {}
        event = SimpleNamespace(
            occurred_at=when,
            actor_id=n % 7 + 1,
            actor_username=f"bench-auditor-{n % 7}",
            role="auditor",
            action="log.view",
            target="",
            outcome="allowed",
            reason="",
            request_id=f"{n:032x}",
            details=details,
        )
        prev = event_hash(hashed_fields(event, n), prev)
        events_text.write(
            f"{n}\t{when.isoformat()}\t{event.actor_id}\t{event.actor_username}\tauditor\t"
            f"log.view\t\tallowed\t\t{event.request_id}\t{json.dumps(details)}\n"
        )
        seals_text.write(f"{n}\t{n}\t{prev}\t{when.isoformat()}\t{n}\n")
        if n % 50_000 == 0:
            flush()
    flush()
    with raw.cursor() as cursor:
        cursor.execute("ALTER TABLE casebook_accessevent ENABLE TRIGGER event_id_after_xid")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('casebook_accessevent', 'id'), "
            "(SELECT max(id) FROM casebook_accessevent))"
        )


def build(count: int = 1_000_000, *, with_keys: bool = True, with_events: bool = True) -> None:
    """Build what is missing of the synthetic million (or of `count`) in the current
    database: cases and grants, and unless told otherwise data keys and events."""
    from django.db import connection, transaction

    from casebook.models import AccessEvent

    with connection.cursor() as cursor:
        if built(cursor, "million", count):
            say("the synthetic million is already built")
            return
    say("building the synthetic million (once; a few minutes)")
    with transaction.atomic():
        people_and_teams()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM casebook_casepattern")
            if cursor.fetchone()[0] < count:
                cases(cursor, count)
    if with_keys:
        with transaction.atomic(), connection.cursor() as cursor:
            data_keys(connection, cursor)
    if with_events and AccessEvent.objects.count() < count:
        with connection.cursor() as cursor:
            for table in ("casebook_accessevent", "casebook_accessseal"):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                cursor.execute(f"TRUNCATE {table} CASCADE")
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        with transaction.atomic():
            events(connection, count)
    say("VACUUM ANALYZE")
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
        admin.execute("VACUUM ANALYZE")
    with connection.cursor() as cursor:
        mark(cursor, "million", count)
