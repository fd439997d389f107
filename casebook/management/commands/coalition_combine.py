import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.coalition import output
from casebook.coalition.combining import CombineRefused, combine, open_all
from casebook.coalition.members import MembersFileInvalid, load_members
from casebook.crypto.coalition import load_combiner_key
from casebook.crypto.envelope import KeyMissing
from casebook.management.operator import OperatorCommand

MAX_BUNDLE_BYTES = 10_000_000


class Command(OperatorCommand):
    help = (
        "Combine the coalition's bundles (run by the combiner): open each with the "
        "combiner's key, verify it against the members file, refuse any that does not fit, "
        "sum the noisy cells and write the combined tables as CSV (with HXL) and JSON. "
        "Exit 1, writing nothing, when any bundle is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("bundles", nargs="+", metavar="BUNDLE")
        parser.add_argument("--members", required=True, metavar="MEMBERS_FILE")
        parser.add_argument("--key", required=True, metavar="COMBINER_KEY_FILE")
        parser.add_argument("--year", type=int, help="the period (default: the first bundle's)")
        parser.add_argument("--out", default=".", metavar="DIR", help="where to write the files")
        parser.add_argument(
            "--per-member",
            action="store_true",
            help="add each member's own published cell where every member's cell passes the "
            "publication rule (off by default)",
        )

    def handle(
        self,
        *args: Any,
        bundles: list[str],
        members: str,
        key: str,
        year: int | None,
        out: str,
        per_member: bool,
        **options: Any,
    ) -> None:
        actor = Actor.system("coalition_combine")
        try:
            coalition = load_members(members)
            combiner_key = load_combiner_key(Path(key).read_text(encoding="utf-8"))
        except MembersFileInvalid as error:
            self._refused(actor, len(bundles), "bad_members_or_key")
            raise CommandError(str(error)) from None
        except KeyMissing:
            self._refused(actor, len(bundles), "bad_members_or_key")
            raise CommandError(
                _("The combiner's key file %(path)s does not hold a key (base64 of 32 bytes).")
                % {"path": key}
            ) from None
        except (OSError, UnicodeDecodeError):
            self._refused(actor, len(bundles), "bad_members_or_key")
            raise CommandError(
                _("The combiner's key file %(path)s cannot be read.") % {"path": key}
            ) from None
        read = []
        for name in bundles:
            try:
                with Path(name).open("rb") as handle:
                    read.append((name, handle.read(MAX_BUNDLE_BYTES + 1)))
            except OSError:
                read.append((name, b""))  # refused below as not a bundle
        try:
            contributions = open_all(read, coalition, combiner_key, year)
        except CombineRefused as refused:
            self._refused(actor, len(bundles), "refused")
            lines = [
                _("Nothing was combined: %(count)s bundles refused.")
                % {"count": len(refused.refusals)}
            ]
            lines += [f"  {r.bundle}: {r.reason}" for r in refused.refusals]
            raise CommandError("\n".join(lines)) from None
        combined = combine(coalition, contributions)
        files = {
            output.file_name(combined): json.dumps(
                output.as_json(combined, per_member), ensure_ascii=False, indent=2
            )
        }
        for table in combined.tables:
            files[output.file_name(combined, table)] = output.as_csv(combined, table, per_member)
        folder = Path(out)
        try:
            # Recorded with the writing: a failed write leaves no "combined" event behind.
            with transaction.atomic():
                log.record(
                    Action.COALITION_COMBINE,
                    actor=actor,
                    target=f"coalition:{combined.year}",
                    details={"rows": len(contributions), "result": "combined"},
                )
                folder.mkdir(parents=True, exist_ok=True)
                for name, text in files.items():
                    (folder / name).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(
                _("Cannot write to %(path)s: %(error)s") % {"path": folder, "error": error.strerror}
            ) from None
        self.stdout.write(
            _("Combined %(count)s bundles for %(year)s from: %(members)s.")
            % {
                "count": len(contributions),
                "year": combined.year,
                "members": ", ".join(c.body.organisation for c in contributions),
            }
        )
        for name in files:
            self.stdout.write(_("Wrote %(path)s") % {"path": folder / name})

    def _refused(self, actor: Actor, count: int, result: str) -> None:
        log.record(
            Action.COALITION_COMBINE,
            actor=actor,
            outcome=Outcome.DENIED,
            details={"rows": count, "result": result},
        )
