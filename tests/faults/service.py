"""Casebook served by docker/entrypoint.sh on a private cluster, with production settings
and the application's own database role, and people using it over HTTP."""

import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg

from tests.faults.cluster import PrivateCluster, free_port

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "casebook.example"
PASSWORD = "fictional-fault-password-5"
APP_ROLE = "casebook_app"
CASE_FORM = {
    "primary_category": "detention",
    "sub_patterns": "interrogation",
    "perpetrators": "broker",
    "year": "2018",
    "province_china": "jilin",
    "province_origin": "north_hamgyong",
    "gender": "female",
    "age_band": "25-34",
    "time_in_china": "1-3y",
    "current_status": "south_korea",
    "source_proximity": "victim",
    "consent_scope": "aggregate",
}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class Casebook:
    """The production stack on `cluster`: migrated by the owner, served as APP_ROLE."""

    def __init__(self, cluster: PrivateCluster, tmp: Path, settings: str = "config.settings"):
        self.cluster = cluster
        owner = cluster.url.rsplit("/", 1)[0]
        with psycopg.connect(cluster.url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE casebook")
            admin.execute(f"CREATE ROLE {APP_ROLE} LOGIN")
        self.owner_url = f"{owner}/casebook"
        self.app_url = f"postgres://{APP_ROLE}@127.0.0.1:{cluster.port}/casebook"
        self.port = free_port()
        self.pause_dir = tmp / "pauses"
        self.pause_dir.mkdir()
        self.env = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "DJANGO_SETTINGS_MODULE": settings,
            "CASEBOOK_SECRET_KEY": secrets.token_urlsafe(50),
            "CASEBOOK_KEK": os.environ["CASEBOOK_KEK"],
            "DATABASE_URL": self.app_url,
            "MIGRATION_DATABASE_URL": self.owner_url,
            "CASEBOOK_APP_DB_ROLE": APP_ROLE,
            "CASEBOOK_ALLOWED_HOSTS": HOST,
            "CASEBOOK_STATIC_ROOT": str(tmp / "static"),
            "CASEBOOK_BIND": f"127.0.0.1:{self.port}",
            "CASEBOOK_WORKERS": "2",
            "CASEBOOK_FAULT_PAUSE_DIR": str(self.pause_dir),
        }
        self.server: subprocess.Popen[bytes] | None = None
        self.sealer: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str, owner: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "DATABASE_URL": self.owner_url if owner else self.app_url}
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def serve(self) -> None:
        self.manage("collectstatic", "--noinput", "-v0")
        self.server = subprocess.Popen(
            ["/bin/sh", "docker/entrypoint.sh"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while not self.answers():
            if self.server.poll() is not None or time.monotonic() > deadline:
                output = self.server.stdout.read().decode() if self.server.stdout else ""
                raise RuntimeError(f"the entrypoint did not serve:\n{output[-3000:]}")
            time.sleep(0.3)
        self.start_sealer()

    def start_sealer(self) -> None:
        """The sealer as docker-compose runs it: its own process, the application role."""
        self.sealer = subprocess.Popen(
            [sys.executable, "manage.py", "seal_access_log", "--follow"],
            cwd=ROOT,
            env={k: v for k, v in self.env.items() if k != "CASEBOOK_KEK"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def sealed_everything(self, seconds: float = 30) -> bool:
        """Whether the sealer seals every committed event within `seconds`."""
        deadline = time.monotonic() + seconds
        unsealed = (
            "SELECT count(*) FROM casebook_accessevent e WHERE NOT EXISTS "
            "(SELECT 1 FROM casebook_accessseal s WHERE s.event_id = e.id)"
        )
        while self.sql(unsealed) != [(0,)]:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def answers(self) -> bool:
        try:
            return Person(self.port, "").request("GET", "/accounts/login/").status == 200
        except OSError:
            return False

    def worker_pids(self) -> set[int]:
        assert self.server is not None
        children = subprocess.run(
            ["/usr/bin/pgrep", "-P", str(self.server.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        return {int(pid) for pid in children.stdout.split()}

    def stop(self) -> str:
        output = ""
        if self.sealer is not None and self.sealer.poll() is None:
            self.sealer.kill()
            self.sealer.wait(timeout=30)
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            output = self.server.communicate(timeout=30)[0].decode()
        return output

    def seed_caseworkers(self, count: int) -> dict[str, list[str]]:
        """Caseworkers on one team, with a password and backup codes (fictional)."""
        script = (
            "import json\n"
            "from casebook.accounts.services import account_create\n"
            "from casebook.accounts.second_factor import backup_codes_issue\n"
            "from casebook.roles import Role\n"
            "codes = {}\n"
            f"for n in range({count}):\n"
            "    user = account_create(username=f'cw-fault-{n}', role=Role.CASEWORKER,\n"
            f"        password={PASSWORD!r}, team_name='Fault Team', team_approved=True)\n"
            "    codes[user.username] = backup_codes_issue(user)\n"
            "print(json.dumps(codes))\n"
        )
        done = self.manage("shell", "-c", script)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def sql(self, query: str) -> list[tuple]:
        with psycopg.connect(self.owner_url, autocommit=True) as owner:
            cursor = owner.execute(query)
            return cursor.fetchall() if cursor.description else []


def form_values_in(page: Answer) -> dict[str, str]:
    """A form page's CSRF token and single-use submission value."""
    values = {}
    for name in ("csrfmiddlewaretoken", "submission"):
        found = re.search(rf'name="{name}" value="([^"]+)"', page.body.decode())
        if found:
            values[name] = found.group(1)
    return values


@dataclass
class Person:
    """Someone using Casebook through its HTTP interface, behind a TLS proxy."""

    port: int
    username: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        headers = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}{path}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            for raw in response.msg.get_all("Set-Cookie") or []:
                cookie = SimpleCookie(raw)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
            return Answer(response.status, dict(response.getheaders()), data)
        finally:
            connection.close()

    def form_values(self, path: str) -> dict[str, str]:
        return form_values_in(self.request("GET", path))

    def sign_in(self, code: str) -> None:
        token = self.form_values("/accounts/login/")
        answer = self.request(
            "POST", "/accounts/login/", {**token, "username": self.username, "password": PASSWORD}
        )
        assert answer.status == 302, answer.status
        token = self.form_values("/accounts/mfa/verify/")
        assert self.request("POST", "/accounts/mfa/verify/", {**token, "token": code}).status == 302

    def record_case(self, marker: str) -> tuple[Answer, str | None]:
        """Record a case whose narrative carries `marker`; the reference when Casebook
        acknowledged it (redirected to the new case)."""
        values = self.form_values("/cases/new/")
        answer = self.request("POST", "/cases/new/", {**CASE_FORM, **values, "narrative": marker})
        location = answer.headers.get("Location", "")
        found = re.search(r"/cases/(CB-[0-9A-Z]{4}-[0-9A-Z]{4})/", location)
        return answer, found.group(1) if answer.status == 302 and found else None
