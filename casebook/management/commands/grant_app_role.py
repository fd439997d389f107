"""Give the application's own database role what it needs, and no more.

Run by the table owner after `migrate` (the container entrypoint does it when
MIGRATION_DATABASE_URL is set). The application role can read and write ordinary
tables, but may only INSERT into and SELECT from the access log, its seals and
checkpoints, the releases, the privacy ledger and the coalition's tables and ledger;
and since it owns no table it cannot drop or disable their append-only triggers
either.
"""

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import connection
from django.utils.translation import gettext as _

from casebook.management.operator import OperatorCommand

APPEND_ONLY = [
    "casebook_accessevent",
    "casebook_accessseal",
    "casebook_accesscheckpoint",
    "casebook_release",
    "casebook_privacycharge",
    "casebook_coalitiontable",
    "casebook_coalitioncharge",
]


class Command(OperatorCommand):
    help = "Grant the application database role its privileges (PostgreSQL only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(_("Database roles exist only on PostgreSQL."))
        quote = connection.ops.quote_name
        if not role.replace("_", "").isalnum():
            raise CommandError(_("A role name has letters, digits and underscores only."))
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(
                    _("No database role %(role)s: create it first.") % {"role": role}
                )
            name = quote(role)
            database = quote(connection.settings_dict["NAME"])
            for statement in (
                f"GRANT CONNECT ON DATABASE {database} TO {name}",
                f"GRANT USAGE ON SCHEMA public TO {name}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}",
                *(
                    f"REVOKE UPDATE, DELETE, TRUNCATE ON {quote(table)} FROM {name}"
                    for table in APPEND_ONLY
                ),
            ):
                cursor.execute(statement)
        self.stdout.write(
            _("Granted %(role)s: ordinary tables read/write, the log and ledger append-only.")
            % {"role": role}
        )
