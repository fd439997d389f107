"""TransactionTestCase for a database whose access log refuses TRUNCATE and DELETE.

Between tests Django empties every table. The log's triggers refuse that, as they
should, so this base class drops them for the flush and puts them back: a privilege
only the table's owner has, which is exactly what tests/test_audit.py shows an
attacker with that privilege could do, and what the hash chain then detects.
"""

import importlib
from contextlib import contextmanager

from django.contrib.auth.models import Group
from django.db import connection
from django.test import TransactionTestCase

from casebook.roles import Role

TRIGGER_MIGRATIONS = [
    importlib.import_module("casebook.migrations.0005_access_log_append_only"),
    importlib.import_module("casebook.migrations.0008_release_ledger_rows"),
    importlib.import_module("casebook.migrations.0013_access_log_seals"),
    importlib.import_module("casebook.migrations.0014_coalition_tables_and_ledger"),
    importlib.import_module("casebook.migrations.0017_access_log_sealed_by_horizon"),
]


@contextmanager
def log_triggers_dropped():
    with connection.schema_editor() as editor:
        for migration in TRIGGER_MIGRATIONS:
            migration.drop_triggers(None, editor)
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            for migration in TRIGGER_MIGRATIONS:
                migration.create_triggers(None, editor)


class LoggedTransactionTestCase(TransactionTestCase):
    def setUp(self):
        super().setUp()
        # The flush also empties the rows that migrations created.
        for role in Role:
            Group.objects.get_or_create(name=role.value)

    def _fixture_teardown(self):
        with log_triggers_dropped():
            super()._fixture_teardown()
