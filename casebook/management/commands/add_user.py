import getpass
import os
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from casebook.accounts.services import AccountRefused, account_create, parse_role
from casebook.management.operator import OperatorCommand
from casebook.roles import Role


class Command(OperatorCommand):
    help = (
        "Create an account with one role. The password comes from CASEBOOK_PASSWORD, else a prompt."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=", ".join(r.value for r in Role))
        parser.add_argument("--team", help="the team (caseworkers and supervisors)")

    def handle(
        self, *args: Any, username: str, role: str, team: str | None, **options: Any
    ) -> None:
        try:
            parsed_role = parse_role(role)
            password = os.environ.get("CASEBOOK_PASSWORD") or self._prompt()
            user = account_create(
                username=username, role=parsed_role, password=password, team_name=team
            )
        except AccountRefused as refusal:
            raise CommandError(str(refusal)) from None
        if team:
            done = _("Created %(role)s %(username)s on team %(team)s.")
        else:
            done = _("Created %(role)s %(username)s.")
        values = {"role": parsed_role.label, "username": user.username, "team": team}
        self.stdout.write(self.style.SUCCESS(done % values))

    def _prompt(self) -> str:
        try:
            first = getpass.getpass(_("Password: "))
            second = getpass.getpass(_("Password (again): "))
        except (EOFError, KeyboardInterrupt):
            raise CommandError(_("No password given (set CASEBOOK_PASSWORD).")) from None
        if first != second:
            raise CommandError(_("The passwords do not match."))
        return first
