"""The container's entrypoint, run here against the local PostgreSQL with production settings."""

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.faults.cluster import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the entrypoint runs against PostgreSQL"
)


def fetch(url: str, headers: dict) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 -- loopback only
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def production_database():
    settings = connection.settings_dict
    base = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
    name = f"casebook_entrypoint_{secrets.token_hex(4)}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(database_url: str, tmp_path, port: int) -> dict:
    return {
        # The entrypoint calls `python` and `gunicorn`: those of this environment.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CASEBOOK_SECRET_KEY": secrets.token_urlsafe(50),
        "CASEBOOK_KEK": os.environ["CASEBOOK_KEK"],
        "DATABASE_URL": database_url,
        "CASEBOOK_ALLOWED_HOSTS": "casebook.example",
        "CASEBOOK_STATIC_ROOT": str(tmp_path / "static"),
        "CASEBOOK_BIND": f"127.0.0.1:{port}",
        "CASEBOOK_WORKERS": "1",
    }


HTTPS = {"Host": "casebook.example", "X-Forwarded-Proto": "https"}


@contextmanager
def entrypoint_serving(env: dict):
    """Run docker/entrypoint.sh; yield its base URL once the login page answers."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": env.get("MIGRATION_DATABASE_URL", env["DATABASE_URL"])},
        check=True,
    )
    server = subprocess.Popen(
        ["/bin/sh", "docker/entrypoint.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{env['CASEBOOK_BIND'].rsplit(':', 1)[1]}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fetch(f"{base}/accounts/login/", HTTPS)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"entrypoint did not serve:\n{output}")
                time.sleep(0.3)
        yield base
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)


def test_entrypoint_migrates_checks_and_serves_securely(production_database, tmp_path):
    env = production_env(production_database, tmp_path, free_port())
    with entrypoint_serving(env) as base:
        status, headers, body = fetch(f"{base}/accounts/login/", HTTPS)
        assert status == 200
        assert b"Sign in" in body
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert headers["Referrer-Policy"] == "same-origin"
        assert "default-src 'self'" in headers["Content-Security-Policy"]

        plain_status, plain_headers, _ = fetch(
            f"{base}/accounts/login/", {"Host": "casebook.example"}
        )
        assert plain_status == 301
        assert plain_headers["Location"].startswith("https://casebook.example/")

        css_status, _, css = fetch(f"{base}/static/casebook/casebook.css", HTTPS)
        assert css_status == 200 and b"--accent" in css

        bad_host, _, _ = fetch(f"{base}/accounts/login/", {"Host": "evil.example"})
        assert bad_host == 400


DASHBOARD_REFRESH = (
    "from casebook.aggregates.dashboard import dashboard_refresh, month_of; "
    "from casebook.aggregates.snapshots import current_snapshot; "
    "taken = current_snapshot(); "
    "print(dashboard_refresh(month=month_of(taken.taken_for), snapshot=taken))"
)


def test_application_role_can_only_append_to_the_log(production_database, tmp_path):
    """With MIGRATION_DATABASE_URL, the owner migrates and the app runs as its own role,
    which cannot rewrite the access log or the ledger, nor disable their triggers."""
    role = f"casebook_app_{secrets.token_hex(3)}"
    base_url, name = production_database.rsplit("/", 1)
    with psycopg.connect(production_database, autocommit=True) as owner:
        owner.execute(f"CREATE ROLE {role} LOGIN")
    app_url = f"postgres://{role}@{base_url.split('@', 1)[1]}/{name}"
    env = {
        **production_env(app_url, tmp_path, free_port()),
        "MIGRATION_DATABASE_URL": production_database,
        "CASEBOOK_APP_DB_ROLE": role,
    }
    try:
        with entrypoint_serving(env) as base:
            assert fetch(f"{base}/accounts/login/", HTTPS)[0] == 200
        with psycopg.connect(app_url, autocommit=True) as app:
            app.execute(
                "INSERT INTO casebook_accessevent (occurred_at, actor_username, role, "
                "action, target, outcome, reason, request_id, details) "
                "VALUES (now(), 'x', 'system', 'log.view', '', 'allowed', '', '', '{}')"
            )
        # The sealer runs as the same role, as docker-compose's sealer service does.
        sealer = subprocess.run(
            [sys.executable, "manage.py", "seal_access_log"],
            cwd=ROOT,
            env={k: v for k, v in env.items() if k != "CASEBOOK_KEK"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert sealer.returncode == 0, sealer.stderr[-2000:]
        assert "Sealed" in sealer.stdout and "Sealed 0 " not in sealer.stdout
        with psycopg.connect(app_url, autocommit=True) as app:
            for statement in (
                "UPDATE casebook_accessevent SET target = 'rewritten'",
                "UPDATE casebook_accessseal SET hash = 'rewritten'",
                "DELETE FROM casebook_accessseal",
                "DELETE FROM casebook_privacycharge",
                "ALTER TABLE casebook_accessevent DISABLE TRIGGER USER",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(statement)
            app.execute("UPDATE casebook_casepattern SET version = version")  # ordinary table
        # The scheduler runs as the same role, as docker-compose's jobs service does: no
        # key-encryption key, and it can take (and drop) snapshots and refresh the dashboard.
        jobs_env = {k: v for k, v in env.items() if k != "CASEBOOK_KEK"}

        def as_jobs(*command: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=jobs_env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        jobs = as_jobs("casebook_jobs")
        assert jobs.returncode == 0, jobs.stderr[-2000:]
        assert "snapshot: snapshot" in jobs.stdout
        # The dashboard's refresh waits for its month's first snapshot, which in a month's
        # first days is not taken yet: refreshed here from the snapshot just taken, by the
        # same role, whatever today's date.
        refresh = as_jobs("shell", "-v", "0", "-c", DASHBOARD_REFRESH)
        assert refresh.returncode == 0, refresh.stderr[-2000:]
        assert "charts_4_of_4_" in refresh.stdout.splitlines()[-1], refresh.stdout
    finally:
        with psycopg.connect(production_database, autocommit=True) as owner:
            owner.execute(f"DROP OWNED BY {role}")
        with psycopg.connect(base_url + "/postgres", autocommit=True) as admin:
            admin.execute(f'REVOKE ALL ON DATABASE "{name}" FROM {role}')
            admin.execute(f"DROP ROLE {role}")
