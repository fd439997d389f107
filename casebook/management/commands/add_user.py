import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebook.accounts.services import AccountRefused, account_create, parse_role
from casebook.roles import Role


class Command(BaseCommand):
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
        where = f" on team {team}" if team else ""
        self.stdout.write(self.style.SUCCESS(f"Created {parsed_role} {user.username}{where}."))

    def _prompt(self) -> str:
        try:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Password (again): ")
        except (EOFError, KeyboardInterrupt):
            raise CommandError("No password given (set CASEBOOK_PASSWORD).") from None
        if first != second:
            raise CommandError("The passwords do not match.")
        return first
