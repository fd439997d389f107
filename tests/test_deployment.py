"""The container's entrypoint, run here against the local PostgreSQL with production settings."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the entrypoint runs against PostgreSQL"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def test_entrypoint_migrates_checks_and_serves_securely(production_database, tmp_path):
    port = free_port()
    env = {
        # The entrypoint calls `python` and `gunicorn`: those of this environment.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CASEBOOK_SECRET_KEY": secrets.token_urlsafe(50),
        "CASEBOOK_KEK": os.environ["CASEBOOK_KEK"],
        "DATABASE_URL": production_database,
        "CASEBOOK_ALLOWED_HOSTS": "casebook.example",
        "CASEBOOK_STATIC_ROOT": str(tmp_path / "static"),
        "CASEBOOK_BIND": f"127.0.0.1:{port}",
        "CASEBOOK_WORKERS": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
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
    try:
        https = {"Host": "casebook.example", "X-Forwarded-Proto": "https"}
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, body = fetch(f"{base}/accounts/login/", https)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"entrypoint did not serve:\n{output}")
                time.sleep(0.3)
        assert status == 200
        assert b"Sign in" in body
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert headers["Referrer-Policy"] == "same-origin"

        plain_status, plain_headers, _ = fetch(
            f"{base}/accounts/login/", {"Host": "casebook.example"}
        )
        assert plain_status == 301
        assert plain_headers["Location"].startswith("https://casebook.example/")

        css_status, css_headers, css = fetch(f"{base}/static/casebook/casebook.css", https)
        assert css_status == 200 and b"--accent" in css

        bad_host, _, _ = fetch(f"{base}/accounts/login/", {"Host": "evil.example"})
        assert bad_host == 400
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
