"""Fifty signed-in people on gunicorn (production settings, the sealer running) for a
minute: caseworkers listing, opening and recording cases, supervisors on their list and
the dashboard, auditors on the access log. The floor: the same number of people
loading the sign-in page for the same time, in the same run, the two taking turns in
six rounds of ten seconds each (ROUNDS)."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from report import Row
from setup import ROOT, vacuumed

sys.path.insert(0, str(ROOT))
from tests.faults.cluster import free_port  # noqa: E402
from tests.faults.service import (  # noqa: E402
    CASE_FORM,
    HOST,
    PASSWORD,
    Answer,
    Person,
    form_values_in,
)

CASEWORKERS, SUPERVISORS, AUDITORS = 40, 5, 5
# The floor and the load take turns, in rounds of a sixth of the time each: this shared
# machine's speed drifts by half and more within minutes, and drift then moves both.
ROUNDS = 6
LOG = ROOT / "var" / "bench-server.log"
TEAM = "Bench Load Team"
STARTING_CASES = 3  # per caseworker, at the start of every run


def accounts() -> dict[str, list[str]]:
    """The load's people (made once), each with fresh backup codes to sign in with, and
    each caseworker with the same three cases at the start of every run (the cases a
    run records are deleted before the next: a form's list of linkable cases, and so
    its cost, would otherwise grow from run to run)."""
    from django.contrib.auth.models import User

    from casebook.accounts.second_factor import backup_codes_issue
    from casebook.accounts.services import account_create
    from casebook.cases.selectors import deletable_cases
    from casebook.cases.services import Pattern, Testimony, case_create, case_delete
    from casebook.models import Team
    from casebook.roles import Role

    codes = {}
    for prefix, role, count in (
        ("bench-load-cw", Role.CASEWORKER, CASEWORKERS),
        ("bench-load-sup", Role.SUPERVISOR, SUPERVISORS),
        ("bench-load-aud", Role.AUDITOR, AUDITORS),
    ):
        for n in range(count):
            username = f"{prefix}-{n}"
            user = User.objects.filter(username=username).first() or account_create(
                username=username,
                role=role,
                password=PASSWORD,
                team_name=None if role == Role.AUDITOR else TEAM,
                team_approved=True,
            )
            codes[username] = backup_codes_issue(user)
            recorded = deletable_cases(user).filter(author=user).order_by("created_at", "id")
            for case in recorded[STARTING_CASES:]:
                case_delete(actor=user, case=case)
            if role == Role.CASEWORKER and not user.authored_cases.exists():
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
                for _ in range(STARTING_CASES):
                    case_create(
                        author=user,
                        team=Team.objects.get(name=TEAM),
                        pattern=pattern,
                        testimony=Testimony("[BENCH] fictional " * 200, "", ""),
                    )
    return codes


class Server:
    """docker/entrypoint.sh (migrate, deploy checks, gunicorn) and the sealer."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = {
            **env,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",  # the venv's python
            "CASEBOOK_ALLOWED_HOSTS": HOST,
            "CASEBOOK_BIND": f"127.0.0.1:{self.port}",
        }

    def __enter__(self) -> "Server":
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        self.output = open(LOG, "w")  # noqa: SIM115 -- closed in __exit__
        self.web = subprocess.Popen(
            ["/bin/sh", "docker/entrypoint.sh"],
            cwd=ROOT,
            env=self.env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.sealer = subprocess.Popen(
            [sys.executable, "manage.py", "seal_access_log", "--follow"],
            cwd=ROOT,
            env=self.env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while True:
            try:
                if Person(self.port, "").request("GET", "/accounts/login/").status == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline or self.web.poll() is not None:
                self.__exit__()
                raise RuntimeError(f"gunicorn did not serve: see {LOG}")
            time.sleep(0.5)

    def __exit__(self, *exc: object) -> None:
        for process in (self.web, self.sealer):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=60)
        self.output.close()


class Timings:
    """Every request's time and status, and whether it opened the case form, over the
    rounds of one half of the benchmark; and each caseworker's cases, from round to round."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: list[int] = []
        self.forms: list[bool] = []
        self.recorded: dict[str, list[str]] = {}


def _run(people: list[tuple[Person, str]], seconds: float, timings: Timings) -> None:
    """One round of `people` at work for `seconds`, timed into `timings`."""
    latencies, statuses, forms = timings.latencies, timings.statuses, timings.forms
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def timed(person: Person, method: str, path: str, form=None) -> Answer:
        started = time.perf_counter()
        try:
            answer = person.request(method, path, form)
        except OSError:
            answer = Answer(0, {}, b"")
        with lock:
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(answer.status)
            forms.append(method == "GET" and path == "/cases/new/")
        return answer

    def loop(person: Person, kind: str) -> None:
        own = timings.recorded.setdefault(person.username, [])
        while time.monotonic() < end:
            if kind == "signin":
                timed(person, "GET", "/accounts/login/")
            elif kind == "caseworker":
                timed(person, "GET", "/cases/")
                if own:
                    timed(person, "GET", f"/cases/{random.choice(own)}/")
                values = form_values_in(timed(person, "GET", "/cases/new/"))
                form = {**CASE_FORM, **values, "narrative": "[BENCH] fictional load " * 20}
                location = timed(person, "POST", "/cases/new/", form).headers.get("Location", "")
                if "/cases/CB-" in location:
                    own.append(location.split("/cases/")[1].strip("/"))
            elif kind == "supervisor":
                timed(person, "GET", "/cases/")
                timed(person, "GET", "/dashboard/")
            else:
                timed(person, "GET", "/audit/")

    threads = [threading.Thread(target=loop, args=pair) for pair in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(len(ordered) * 0.95) - 1]


def measure(env: dict[str, str], seconds: float) -> list[Row]:
    codes = accounts()
    vacuumed()  # the previous run's cases, just deleted, as autovacuum would leave them
    with Server(env) as server:
        people = []
        for username, their_codes in codes.items():
            person = Person(server.port, username)
            person.sign_in(their_codes.pop())
            kind = (
                "caseworker"
                if "-cw-" in username
                else "supervisor"
                if "-sup-" in username
                else "auditor"
            )
            people.append((person, kind))
        strangers = [(Person(server.port, ""), "signin") for _ in people]
        floor, load = Timings(), Timings()
        for _ in range(ROUNDS):
            _run(strangers, seconds / ROUNDS, floor)
            _run(people, seconds / ROUNDS, load)
    floor_ms, floor_status = floor.latencies, floor.statuses
    load_ms, load_status, opened_form = load.latencies, load.statuses, load.forms
    errors = sum(1 for status in load_status if status not in (200, 302))
    # The previous release timed every request but the case form's opening.
    untimed_before = [ms for ms, form in zip(load_ms, opened_form, strict=True) if not form]
    assert all(status == 200 for status in floor_status), set(floor_status)
    return [
        Row(
            f"{len(people)} signed-in people, mixed work, p95",
            _p95(load_ms),
            _p95(floor_ms),
            "ms",
            "<= 3x",
            3.0,
            floor_name="sign-in page, same concurrency",
        ),
        Row(
            "the same, without opening the case form (as the previous release timed it)",
            _p95(untimed_before),
            _p95(floor_ms),
            "ms",
            "(not a target)",
            float("inf"),
            floor_name="sign-in page, same concurrency",
        ),
        Row(f"errors among {len(load_status):,} requests", errors, 0, "", "none", 0, absolute=True),
    ]
