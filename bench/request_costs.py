"""Where the fifty people's time goes: each kind of request of bench/load.py's mix, one
at a time in this process (production settings, the bench database, nothing queued),
beside the sign-in page, with the statements each runs and the Python functions it
calls (a count that, unlike the time, does not change with how busy the machine is).

Not a target. On a saturated machine the load's p95 ratio follows the mean cost of
its requests against the sign-in page's; this says which requests that mean is made
of, for whoever works on it."""

import logging
import re
import statistics
import sys
import time
from collections.abc import Callable

from setup import median_ms

REPEAT = 30


def _python_calls(run: Callable[[], object]) -> int:
    """How many Python functions one run calls: unlike its time, the same however busy
    the machine is, so that two runs (or two commits) compare."""
    calls = 0

    def counted(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        calls += event == "call"

    sys.setprofile(counted)
    try:
        run()
    finally:
        sys.setprofile(None)
    return calls


def _statements(run: Callable[[], object]) -> int:
    """How many statements one run sends (Django records them per request)."""
    from django.db import connection

    connection.force_debug_cursor = True
    try:
        run()
        return len(connection.queries)
    finally:
        connection.force_debug_cursor = False


def breakdown(codes: dict[str, list[str]]) -> str:
    """A table of each request kind's median time and statements (people from
    load.accounts(), signed in through the test client with their backup codes)."""
    from django.test import Client

    from casebook.audit.sealing import seal_all
    from tests.faults.service import CASE_FORM, PASSWORD

    # Its three sign-ins would each print django-axes' "Successful login" lines into
    # the benchmark's output.
    logging.getLogger("axes").setLevel(logging.WARNING)

    def browser() -> Client:
        return Client(headers={"host": "casebook.example", "x-forwarded-proto": "https"})

    def signed_in(prefix: str) -> Client:
        username = next(name for name in codes if name.startswith(prefix))
        client = browser()
        client.post("/accounts/login/", {"username": username, "password": PASSWORD})
        answer = client.post("/accounts/mfa/verify/", {"token": codes[username].pop()})
        assert answer.status_code == 302, f"{username} could not sign in"
        return client

    caseworker, supervisor, auditor = (
        signed_in(prefix) for prefix in ("bench-load-cw-", "bench-load-sup-", "bench-load-aud-")
    )
    stranger = browser()  # as the load's strangers, it keeps the cookies it is given
    listed = caseworker.get("/cases/").content.decode()
    reference = re.search(r'href="/cases/(CB-[0-9A-Z]{4}-[0-9A-Z]{4})/"', listed).group(1)

    def recording() -> Callable[[], object]:
        """A POST of a freshly opened case form, to send once (each needs its own)."""
        page = caseworker.get("/cases/new/").content.decode()
        values = {
            name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)
            for name in ("csrfmiddlewaretoken", "submission")
        }
        form = {**CASE_FORM, **values, "narrative": "[BENCH] fictional load " * 20}

        def send() -> object:
            answer = caseworker.post("/cases/new/", form)
            assert answer.status_code == 302, answer.status_code
            return answer

        return send

    def timed(send: Callable[[], object]) -> float:
        started = time.perf_counter()
        send()
        return (time.perf_counter() - started) * 1000

    kinds: list[tuple[str, Callable[[], object]]] = [
        ("sign-in page (the load's floor)", lambda: stranger.get("/accounts/login/")),
        ("a signed-in request that only redirects", lambda: caseworker.get("/")),
        ("caseworker's case list", lambda: caseworker.get("/cases/")),
        ("case page (testimony opened, logged)", lambda: caseworker.get(f"/cases/{reference}/")),
        ("case form", lambda: caseworker.get("/cases/new/")),
        ("supervisor's case list", lambda: supervisor.get("/cases/")),
        ("dashboard", lambda: supervisor.get("/dashboard/")),
        ("access log", lambda: auditor.get("/audit/")),
    ]
    lines = [
        "| request, alone in one process | median | statements | Python calls |",
        "| --- | --- | --- | --- |",
    ]
    for name, run in kinds:
        # What the kinds before logged, sealed (outside the timing), as the sealer beside
        # the load keeps the log: the access log counts the events still waiting.
        seal_all()
        figures = f"{median_ms(run, REPEAT):.1f} ms | {_statements(run)} | {_python_calls(run):,}"
        lines.append(f"| {name} | {figures} |")
    recorded = statistics.median(timed(recording()) for _ in range(REPEAT))
    figures = f"{recorded:.1f} ms | {_statements(recording())} | {_python_calls(recording()):,}"
    lines.append(f"| recording a case (the POST) | {figures} |")
    return "\n".join(lines)
