"""Checkpoints that leave the host by themselves: the scheduler signs the head, keeps a
local copy, and POSTs it to a receiver the auditors control; a failed send is an alert;
verify_access_log takes the whole file and says what is not yet covered."""

import base64
import http.server
import io
import json
import os
import threading
from unittest import mock

from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.audit.checkpoint_shipping import UnsafeDestination, checkpoint_ship, destination
from casebook.audit.checkpoints import checkpoint_message
from casebook.crypto import signing
from casebook.models import AccessEvent
from tests import factories
from tests.cast import CastTestCase
from tests.faults.cluster import free_port


class Receiver:
    """A small HTTP endpoint, started by the test, that keeps what is POSTed to it."""

    def __init__(self, status: int = 201) -> None:
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 -- the standard library's name
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(status)
                if status == 301:
                    self.send_header("Location", "/elsewhere")
                self.end_headers()

            def do_GET(self):  # noqa: N802 -- a redirect followed would arrive here
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/checkpoints"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class CheckpointShippingTests(CastTestCase):
    def setUp(self):
        self.key = base64.urlsafe_b64encode(os.urandom(32)).decode()
        patcher = mock.patch.dict(os.environ, {"CASEBOOK_AUDIT_SIGNING_KEY": self.key})
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_a_scheduled_checkpoint_reaches_the_receiver_and_the_local_file(self):
        receiver = Receiver()
        self.addCleanup(receiver.close)
        local = os.path.join(self.enterContext(_tmpdir()), "checkpoints.jsonl")
        with override_settings(
            CASEBOOK_CHECKPOINT_URL=receiver.url, CASEBOOK_CHECKPOINT_FILE=local
        ):
            assert checkpoint_ship(None).startswith("sent_")
        [sent] = receiver.received
        message = checkpoint_message(sent["seq"], sent["head_hash"])
        assert signing.signature_valid(sent["public_key"], message, sent["signature"])
        with open(local, encoding="utf-8") as file:
            assert json.loads(file.readline()) == sent
        event = AccessEvent.objects.filter(action="log.checkpoint_sent").get()
        assert (event.outcome, event.details["result"]) == ("allowed", "sent")
        # Nothing new since: the next run signs nothing.
        with override_settings(CASEBOOK_CHECKPOINT_URL=receiver.url):
            assert checkpoint_ship(None) == "unchanged"
        assert len(receiver.received) == 1

    def test_a_failed_send_is_recorded_and_raises_an_auditor_alert(self):
        closed = f"http://127.0.0.1:{free_port()}/checkpoints"
        with override_settings(CASEBOOK_CHECKPOINT_URL=closed):
            assert checkpoint_ship(None).startswith("send_failed_")
        event = AccessEvent.objects.filter(action="log.checkpoint_sent").get()
        assert event.outcome == "error"
        factories.sign_in(self.client, self.auditor)
        page = self.client.get(reverse("casebook:access_log")).content.decode()
        assert "The newest checkpoint could not be sent off the host." in page

    def test_a_redirect_is_a_failed_send_and_a_quiet_log_is_signed_again_later(self):
        import datetime as dt

        from casebook.models import AccessCheckpoint

        moved = Receiver(status=301)
        self.addCleanup(moved.close)
        with override_settings(CASEBOOK_CHECKPOINT_URL=moved.url):
            assert checkpoint_ship(None).startswith("send_failed_")
            # The failed send is tried again at the next run, although nothing happened.
            assert checkpoint_ship(None).startswith("send_failed_")
        receiver = Receiver()
        self.addCleanup(receiver.close)
        with override_settings(CASEBOOK_CHECKPOINT_URL=receiver.url):
            assert checkpoint_ship(None).startswith("sent_")
            assert checkpoint_ship(None) == "unchanged"
            later = AccessCheckpoint.objects.order_by("-seq").first().signed_at
            with mock.patch(
                "casebook.audit.checkpoint_shipping.timezone.now",
                return_value=later + dt.timedelta(minutes=45),
            ):
                assert checkpoint_ship(None).startswith("sent_")  # before the alert's age

    def test_only_https_or_this_machine_is_a_destination(self):
        with override_settings(CASEBOOK_CHECKPOINT_URL="http://auditors.example/c"):
            try:
                destination()
            except UnsafeDestination:
                pass
            else:
                raise AssertionError("a plain-HTTP destination off this host was accepted")
        with override_settings(CASEBOOK_CHECKPOINT_URL="https://auditors.example/c"):
            assert destination() == "https://auditors.example/c"

    def test_verification_takes_the_whole_file_and_reports_what_is_not_yet_covered(self):
        local = os.path.join(self.enterContext(_tmpdir()), "checkpoints.jsonl")
        with override_settings(CASEBOOK_CHECKPOINT_FILE=local):
            checkpoint_ship(None)
            log.record(Action.LOG_VIEW, actor=Actor.of(self.auditor))
            checkpoint_ship(None)
        for _ in range(3):
            log.record(Action.LOG_VIEW, actor=Actor.of(self.auditor))
        head = AccessEvent.objects.order_by("-id").first().seal.position
        out = io.StringIO()
        call_command("verify_access_log", "--checkpoint", local, stdout=out)
        text = out.getvalue()
        assert "Access log intact" in text and "4 checkpoints verified" in text
        with open(local, encoding="utf-8") as file:
            newest = max(json.loads(line)["seq"] for line in file)
        assert f"{head - newest} events after the newest checkpoint given (#{newest})" in text


def _tmpdir():
    import tempfile

    return tempfile.TemporaryDirectory()
