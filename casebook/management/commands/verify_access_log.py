from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.audit.checkpoints import parse_checkpoints
from casebook.audit.verification import trusted_public_key, verify_log
from casebook.management.operator import OperatorCommand


class Command(OperatorCommand):
    help = (
        "Recompute the access log's hash chain and check every stored checkpoint (and those "
        "given with --checkpoint). Exit 0 when intact; otherwise exit 1 naming the first bad "
        "sequence number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="FILE",
            help="a file of checkpoints (one, a list, or one per line); may be repeated",
        )

    def handle(self, *args: Any, checkpoint: list[str], **options: Any) -> None:
        given = []
        for path in checkpoint:
            try:
                given.extend(parse_checkpoints(Path(path).read_text(encoding="utf-8")))
            except (OSError, ValueError) as error:
                raise CommandError(
                    _("Cannot use checkpoint %(path)s: %(error)s") % {"path": path, "error": error}
                ) from None
        trusted = trusted_public_key()
        verdict = verify_log(given, trusted_key=trusted)
        log.record(
            Action.LOG_VERIFY,
            actor=Actor.system("verify_access_log"),
            outcome=Outcome.ALLOWED if verdict.ok else Outcome.DENIED,
            details={"result": "intact" if verdict.ok else f"broken at {verdict.first_bad_seq}"},
        )
        if not verdict.ok:
            raise CommandError(
                _(
                    "Access log NOT intact: first bad sequence number %(seq)s (%(problem)s). "
                    "%(events)s events verified before it."
                )
                % {
                    "seq": verdict.first_bad_seq,
                    "problem": verdict.problem,
                    "events": verdict.events,
                }
            )
        self.stdout.write(
            _(
                "Access log intact: %(events)s events, head #%(seq)s %(hash)s, "
                "%(checkpoints)s checkpoints verified."
            )
            % {
                "events": verdict.events,
                "seq": verdict.head_seq,
                "hash": verdict.head_hash,
                "checkpoints": verdict.checkpoints,
            }
        )
        covered = max((c["seq"] for c in given), default=None)
        if covered is not None and verdict.head_seq > covered:
            self.stdout.write(
                _(
                    "%(count)s events after the newest checkpoint given (#%(seq)s) are not yet "
                    "covered by one."
                )
                % {"count": verdict.head_seq - covered, "seq": covered}
            )
        if verdict.unsealed:
            self.stdout.write(
                _(
                    "%(count)s events are waiting for their seal and are not verified yet "
                    "(is the sealer running?)."
                )
                % {"count": verdict.unsealed}
            )
        if not trusted:
            self.stdout.write(
                _(
                    "Warning: no trusted public key (CASEBOOK_AUDIT_PUBLIC_KEY or the signing "
                    "key): checkpoint signatures were checked against the keys they name."
                )
            )
