import os
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.urls import reverse
from django.utils.translation import gettext as _

from casebook.accounts.invitations import INVITATION_HOURS, invitation_issue
from casebook.accounts.services import AccountRefused, account_create, parse_role
from casebook.management.operator import OperatorCommand
from casebook.roles import Role


class Command(OperatorCommand):
    help = (
        "Create an account with one role and print its invitation: a single-use link "
        "through which the person sets their own password and second factor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=", ".join(r.value for r in Role))
        parser.add_argument("--team", help="the team (caseworkers and supervisors)")
        parser.add_argument(
            "--site-url",
            default=os.environ.get("CASEBOOK_SITE_URL", ""),
            help="Casebook's address, e.g. https://casebook.example.org (CASEBOOK_SITE_URL)",
        )

    def handle(
        self,
        *args: Any,
        username: str,
        role: str,
        team: str | None,
        site_url: str,
        **options: Any,
    ) -> None:
        try:
            parsed_role = parse_role(role)
            # The operator on the server may name a team's supervisors (a new team has
            # none to approve them); caseworkers wait for a supervisor's approval.
            user = account_create(
                username=username,
                role=parsed_role,
                team_name=team,
                team_approved=parsed_role == Role.SUPERVISOR,
            )
        except AccountRefused as refusal:
            raise CommandError(str(refusal)) from None
        token = invitation_issue(user, made_by=None, replace_credentials=False)
        if team:
            done = _("Created %(role)s %(username)s on team %(team)s.")
        else:
            done = _("Created %(role)s %(username)s.")
        values = {"role": parsed_role.label, "username": user.username, "team": team}
        self.stdout.write(self.style.SUCCESS(done % values))
        if parsed_role == Role.CASEWORKER and team:
            self.stdout.write(
                _("A supervisor of the team approves them before they see its cases.")
            )
        self.stdout.write(
            _("Give them this invitation (single use, valid for %(hours)s hours):")
            % {"hours": INVITATION_HOURS}
        )
        self.stdout.write(site_url.rstrip("/") + reverse("invitation_open", args=[token]))
