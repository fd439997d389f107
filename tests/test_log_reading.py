"""The fast reading of the chain gives exactly the hashes the log wrote (so checkpoints
already signed stay valid), on the events most likely to differ: timestamps with zero
microseconds, details given in any key order, characters that COPY and JSON escape, and
Korean and Chinese text."""

import datetime as dt
from hashlib import sha256
from unittest import mock

from django.test import TestCase

from casebook.audit import canonical, log
from casebook.audit.actions import Action, Actor
from casebook.audit.reading import chain_pieces
from casebook.audit.verification import verify_log
from casebook.models import AccessEvent

AWKWARD = [
    ("CB-0000-0001", "", {}),
    ("tab\there", 'back\\slash and "quotes"', {"result": "x", "changed": ["b", "a"]}),
    ("new\nline", "사유: 가상의 시험 기록 \u2028", {"method": "POST 案例", "rows": 3}),
    ("控制\x01字符", "carriage\rreturn\x7f", {"filters": ["z", "가"], "epsilon": "0.5"}),
]


class FastReadingTests(TestCase):
    def record_awkward_events(self):
        whole_second = dt.datetime(2026, 11, 29, 9, 0, 0, tzinfo=dt.UTC)
        with mock.patch("casebook.audit.log.timezone.now", return_value=whole_second):
            log.record(Action.LOG_VIEW, actor=Actor.system("tests"))
        for target, reason, details in AWKWARD:
            log.record(
                Action.CASE_UPDATE,
                actor=Actor(7, "가상-사용자 \\ x", "caseworker"),
                target=target,
                reason=reason,
                details=details,
            )

    def test_every_piece_hashes_to_what_the_log_stored(self):
        self.record_awkward_events()
        stored = {e.id: e for e in AccessEvent.objects.all()}
        seen, prev_hash = 0, canonical.GENESIS_HASH
        for position, event_id, stored_hash, head, tail in chain_pieces():
            event = stored[event_id]
            text = f'{head}"{prev_hash}"{tail}'.encode()
            fields = canonical.hashed_fields(event, position)
            assert text == canonical.canonical({**fields, "prev_hash": prev_hash})
            assert sha256(text).hexdigest() == stored_hash == event.seal.hash
            seen, prev_hash = seen + 1, stored_hash
        assert seen == len(stored) and seen >= len(AWKWARD) + 1
        assert any(event.occurred_at.microsecond == 0 for event in stored.values())

    def test_the_chain_of_awkward_events_verifies_and_a_change_is_caught(self):
        self.record_awkward_events()
        assert verify_log().ok
        with mock.patch(
            "casebook.audit.verification.chain_pieces",
            return_value=(
                (s, e, h, head.replace("가상", "가짜"), tail)
                for s, e, h, head, tail in chain_pieces()
            ),
        ):
            verdict = verify_log()
        assert not verdict.ok and verdict.first_bad_seq is not None
