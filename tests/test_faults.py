"""The fault suite: Casebook's production stack (entrypoint, gunicorn, the app's own
database role) on a private PostgreSQL cluster, under a bounded load of people signing
in, recording and reading cases, while the database crashes, the log's sealer is
killed in the middle of sealing, a worker dies between its INSERT and its COMMIT, and
the log becomes unwritable.

After each fault: every acknowledged case is present and opens with its testimony, no
case lacks its access event, every event is sealed exactly once into a chain that
verifies, and no answer was a 500 with a traceback; while the database was down,
requests were answered with the 503 page.

The crash and the sealer's death run in `make test`; the rest (marked fault_full) in
`make faults`.
"""

import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
from django.db import connection

from tests.faults.cluster import PrivateCluster, postgres_bin
from tests.faults.service import Casebook, Person

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="faults of PostgreSQL"),
    pytest.mark.skipif(
        postgres_bin() is None and os.environ.get("CASEBOOK_REQUIRE_POSTGRES") != "1",
        reason="PostgreSQL's server binaries are not installed (CI requires them)",
    ),
]
CLIENTS = 4
LETTERS = str.maketrans("0123456789", "ghijklmnop")
MIN_ANSWERED_DURING_OUTAGE = 5


@dataclass
class Load:
    """People recording and reading cases until stopped; what they were told."""

    casebook: Casebook
    people: list[tuple[Person, list[str]]]
    acknowledged: dict[str, tuple[Person, str, float]] = field(default_factory=dict)
    answers: list[tuple[float, int, bytes, dict[str, str]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, person: Person) -> None:
        while not self.stop.is_set():
            # Letters only: a run of digits could look like a phone number to the check.
            marker = "FICTIONAL-FAULT-" + uuid.uuid4().hex.translate(LETTERS)
            try:
                answer, reference = person.record_case(marker)
                read = person.request("GET", "/cases/")
            except OSError:
                time.sleep(0.1)
                continue
            with self.lock:
                now = time.monotonic()
                for one in (answer, read):
                    self.answers.append((now, one.status, one.body, one.headers))
                if reference:
                    self.acknowledged[reference] = (person, marker, now)
            if answer.status >= 500:
                time.sleep(0.2)

    def __enter__(self) -> "Load":
        self.threads = [
            threading.Thread(target=self.run, args=(person,), daemon=True)
            for person, _codes in self.people
        ]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


@pytest.fixture
def stack(tmp_path):
    cluster = PrivateCluster()
    cluster.start()
    casebook = Casebook(cluster, tmp_path, settings="config.fault_settings")
    try:
        casebook.serve()
        codes = casebook.seed_caseworkers(CLIENTS)
        people = []
        for username, their_codes in codes.items():
            person = Person(casebook.port, username)
            person.sign_in(their_codes.pop())
            people.append((person, their_codes))
        yield casebook, people
    finally:
        casebook.stop()
        cluster.remove()


def assert_whole(casebook: Casebook, load: Load, *, errors_allowed: bool = False) -> None:
    """Every acknowledged case present and readable; every case with its event; the
    chain verifies; no answer showed a traceback (nor was a 500, unless allowed)."""
    assert load.acknowledged, "no case was acknowledged at all"
    for reference, (person, marker, _when) in load.acknowledged.items():
        page = person.request("GET", f"/cases/{reference}/")
        assert page.status == 200 and marker.encode() in page.body, reference
    orphans = casebook.sql(
        "SELECT c.reference FROM casebook_casepattern c WHERE NOT EXISTS (SELECT 1 FROM "
        "casebook_accessevent e WHERE e.action = 'case.create' AND e.target = c.reference)"
    )
    assert orphans == []
    assert casebook.sealed_everything(), "the sealer did not catch up"
    events, seals, head = casebook.sql(
        "SELECT (SELECT count(*) FROM casebook_accessevent), "
        "(SELECT count(DISTINCT event_id) FROM casebook_accessseal), "
        "(SELECT max(position) FROM casebook_accessseal)"
    )[0]
    assert events == seals == head  # each event sealed once, the chain without gaps
    verified = casebook.manage("verify_access_log")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "waiting for their seal" not in verified.stdout
    for _when, status, body, _headers in load.answers:
        assert b"Traceback" not in body and b'File "' not in body, body[:300]
        assert errors_allowed or status != 500, (status, body[:300])


def test_a_database_crash_mid_load_loses_no_acknowledged_write(stack):
    casebook, people = stack
    with Load(casebook, people) as load:
        time.sleep(3)
        crashed = time.monotonic()
        casebook.cluster.crash()
        time.sleep(4)
        casebook.cluster.start()
        restarted = time.monotonic()
        casebook.cluster.wait_ready()
        time.sleep(4)
    during = [a for a in load.answers if crashed < a[0] < restarted]
    outage = [a for a in during if a[1] == 503]
    assert len(outage) >= MIN_ANSWERED_DURING_OUTAGE, [a[1] for a in during]
    for _when, _status, body, headers in outage:
        assert headers.get("Retry-After") == "60" and b"cannot reach its database" in body
    after = [a for a in load.answers if a[0] > restarted + 2]
    assert after and all(a[1] in (200, 302) for a in after), [a[1] for a in after]
    assert_whole(casebook, load)


def test_a_sealer_killed_mid_seal_under_load_loses_and_doubles_nothing(stack):
    """Killed with its seals written but not committed: the work goes on without it
    (appends never wait for the sealer), and a new sealer seals every event once."""
    casebook, people = stack
    armed = casebook.pause_dir / "seal_before_commit"
    with Load(casebook, people) as load:
        time.sleep(1)
        armed.touch()
        deadline = time.monotonic() + 30
        while not list(casebook.pause_dir.glob("seal_before_commit.*")):
            assert time.monotonic() < deadline, "the sealer never reached the pause"
            time.sleep(0.05)
        assert casebook.sealer is not None
        casebook.sealer.kill()
        casebook.sealer.wait(timeout=30)
        killed = time.monotonic()
        armed.unlink()
        time.sleep(3)
        restarted = time.monotonic()
        casebook.start_sealer()
        time.sleep(2)
    while_down = [w for _p, _m, w in load.acknowledged.values() if killed < w < restarted]
    assert while_down, "no case was acknowledged while the sealer was down"
    assert_whole(casebook, load)


def test_anonymous_refusals_are_bounded_across_workers(stack):
    """Two gunicorn workers share one flood window per address (kept in the database):
    a flood of refused case URLs writes one event a minute, and counts the rest."""
    casebook, _people = stack
    stranger = Person(casebook.port, "")
    for _ in range(30):
        assert stranger.request("GET", "/cases/CB-0000-0000/").status == 302
    events = casebook.sql(
        "SELECT count(*) FROM casebook_accessevent WHERE action = 'case.access' "
        "AND actor_username = ''"
    )
    assert events == [(1,)]
    assert casebook.sql("SELECT folded FROM casebook_refusalwindow") == [(29,)]


@pytest.mark.fault_full
def test_a_worker_killed_between_insert_and_commit_leaves_no_half_case(stack):
    casebook, people = stack
    person = people[0][0]
    armed = casebook.pause_dir / "case_create_before_commit"
    armed.touch()
    outcome: list[object] = []
    submit = threading.Thread(
        target=lambda: outcome.append(_attempt(person, "FICTIONAL-KILLED")), daemon=True
    )
    submit.start()
    deadline = time.monotonic() + 30
    while not list(casebook.pause_dir.glob("case_create_before_commit.*")):
        assert time.monotonic() < deadline, "the worker never reached the pause"
        time.sleep(0.05)
    pid = int(next(casebook.pause_dir.glob("case_create_before_commit.*")).suffix[1:])
    os.kill(pid, signal.SIGKILL)
    armed.unlink()
    submit.join(timeout=30)
    assert outcome and outcome[0] is None  # never acknowledged
    assert casebook.sql(
        "SELECT count(*) FROM casebook_casepattern WHERE reference IN (SELECT target FROM "
        "casebook_accessevent WHERE action = 'case.create')"
    ) == casebook.sql("SELECT count(*) FROM casebook_casepattern")
    with Load(casebook, people) as load:  # gunicorn replaced the worker: work goes on
        time.sleep(3)
    assert_whole(casebook, load)


def _attempt(person: Person, marker: str) -> str | None:
    try:
        return person.record_case(marker)[1]
    except OSError:
        return None


@pytest.mark.fault_full
def test_an_unwritable_log_refuses_actions_and_keeps_everything_whole(stack):
    casebook, people = stack
    with Load(casebook, people) as load:
        time.sleep(2)
        casebook.sql(f"REVOKE INSERT ON casebook_accessevent FROM {APP_ROLE}")
        refused_from = time.monotonic()
        time.sleep(3)
        casebook.sql(f"GRANT INSERT ON casebook_accessevent TO {APP_ROLE}")
        granted = time.monotonic()
        time.sleep(3)
    # While the log refused appends, nothing was acknowledged: no case without its event.
    window = [w for _p, _m, w in load.acknowledged.values() if refused_from + 0.5 < w < granted]
    assert window == []
    refused = [a for a in load.answers if refused_from + 0.5 < a[0] < granted]
    assert refused and all(a[1] >= 500 for a in refused if a[1] != 200)
    assert_whole(casebook, load, errors_allowed=True)  # a plain error page, no traceback


APP_ROLE = "casebook_app"
