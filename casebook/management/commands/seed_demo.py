import os
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from casebook.management.demo import DEMO_ACCOUNTS, demo_seed
from casebook.management.operator import OperatorCommand


class Command(OperatorCommand):
    help = (
        "Seed synthetic demo data and one demo account per role. Refuses to run unless "
        "CASEBOOK_DEMO=1, so that fictional cases never reach a real database by accident."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if os.environ.get("CASEBOOK_DEMO") != "1":
            raise CommandError(
                _("Refusing to seed demo data: set CASEBOOK_DEMO=1 on a demo database.")
            )
        password = os.environ.get("CASEBOOK_DEMO_PASSWORD")
        if not password:
            raise CommandError(_("Set CASEBOOK_DEMO_PASSWORD to the demo accounts' password."))
        created = demo_seed(password=password)
        self.stdout.write(
            _("Demo data: %(accounts)s accounts and %(cases)s cases created.")
            % {"accounts": created["accounts"], "cases": created["cases"]}
        )
        codes_file = os.environ.get("CASEBOOK_DEMO_CODES_FILE")
        if created["codes"] and codes_file:
            lines = [f"{user}: {' '.join(codes)}" for user, codes in created["codes"].items()]
            path = Path(codes_file)
            path.touch(mode=0o600)
            with path.open("a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
        if codes_file:
            self.stdout.write(
                _(
                    "Every account signs in with a second factor: single-use demo backup "
                    "codes are in %(file)s."
                )
                % {"file": codes_file}
            )
        self.stdout.write(_("Demo sign-ins (password as in CASEBOOK_DEMO_PASSWORD):"))
        for username, role, team in DEMO_ACCOUNTS:
            where = f", {team}" if team else ""
            self.stdout.write(f"  {username:24} {role.label}{where}")
