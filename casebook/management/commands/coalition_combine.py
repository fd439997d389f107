import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.coalition import output
from casebook.coalition.combining import (
    MAX_BUNDLE_BYTES,
    CombineRefused,
    combine,
    open_all,
    shown,
)
from casebook.coalition.members import MembersFileInvalid, load_members
from casebook.crypto.coalition import load_combiner_key
from casebook.crypto.envelope import KeyMissing
from casebook.management.operator import OperatorCommand


def read_bundle(path: str) -> bytes | None:
    """The file's bytes (at most one byte more than a bundle may have, so that a larger
    file is refused as such without being read whole), or None if it cannot be read."""
    try:
        with Path(path).open("rb") as handle:
            return handle.read(MAX_BUNDLE_BYTES + 1)
    except OSError:
        return None


class Command(OperatorCommand):
    help = (
        "Combine the coalition's bundles (run by the combiner): open each with the "
        "combiner's key, verify it against the members file, refuse any that does not fit, "
        "sum the noisy cells and write the combined tables as CSV (with HXL) and JSON. "
        "Every member of the members file must have a bundle unless --allow-missing. "
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
        parser.add_argument(
            "--allow-missing",
            action="store_true",
            help="combine even when some members have no bundle (off by default: sums over "
            "different sets of members give a member's cells away as their difference; "
            "docs/coalition.md)",
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
        allow_missing: bool,
        **options: Any,
    ) -> None:
        actor = Actor.system("coalition_combine")
        try:
            coalition = load_members(members)
            combiner_key = load_combiner_key(Path(key).read_text(encoding="utf-8"))
        except MembersFileInvalid as error:
            self._refused(actor, len(bundles), "bad_members_or_key")
            raise CommandError(f"{shown(members, None)}: {error}") from None
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
        read = [(name, read_bundle(name)) for name in bundles]
        try:
            contributions = open_all(read, coalition, combiner_key, year, allow_missing)
        except CombineRefused as refused:
            self._refused(actor, len(bundles), "refused" if refused.refusals else "members_missing")
            lines = []
            if refused.refusals or not refused.missing:
                lines.append(
                    _("Nothing was combined: %(count)s bundles refused.")
                    % {"count": len(refused.refusals)}
                )
            lines += [f"  {r.bundle}: {r.reason}" for r in refused.refusals]
            if refused.missing:
                lines.append(
                    _(
                        "Nothing was combined: no accepted bundle from %(members)s. Every "
                        "member of the members file needs one; --allow-missing combines "
                        "without them (see docs/coalition.md for the risk)."
                    )
                    % {"members": ", ".join(refused.missing)}
                )
            raise CommandError("\n".join(lines)) from None
        complete = len(contributions) == len(coalition.members)
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
                # Which bundles were pooled, by their files' SHA-256: two combinations of
                # one year over different bundles can be found in the log. The log has
                # no key for a digest; "checkpoint" is its key for a fingerprint.
                log.record(
                    Action.COALITION_COMBINE,
                    actor=actor,
                    target=f"coalition:{combined.year}",
                    details={
                        "rows": len(contributions),
                        "result": "combined" if complete else "combined_some_missing",
                        "checkpoint": [f"sha256:{c.digest}" for c in contributions],
                    },
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
        for contribution in contributions:
            self.stdout.write(
                _("Bundle %(path)s: SHA-256 %(digest)s")
                % {"path": shown(contribution.source, None), "digest": contribution.digest}
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
