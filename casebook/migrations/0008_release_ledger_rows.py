"""The dataset version's single row, and the append-only rule for releases and the
privacy ledger: a spent budget cannot be given back by editing the ledger."""

from django.db import migrations

TABLES = ["casebook_release", "casebook_privacycharge"]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION casebook_refuse_log_change()"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION casebook_refuse_log_change()"
            )
        elif vendor == "sqlite":
            for operation in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'the Casebook privacy ledger is append-only'); END"
                )
        else:
            raise RuntimeError(f"No append-only trigger for database {vendor}.")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def create_version_row(apps, schema_editor):
    apps.get_model("casebook", "DatasetVersion").objects.get_or_create(pk=1)



class Migration(migrations.Migration):
    dependencies = [("casebook", "0007_releases_and_privacy_ledger")]

    operations = [
        migrations.RunPython(create_version_row, migrations.RunPython.noop),
        # Irreversible on purpose: unapplying would silently lift the append-only rule.
        migrations.RunPython(create_triggers),
    ]
