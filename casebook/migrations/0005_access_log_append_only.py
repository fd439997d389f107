"""The database itself refuses UPDATE, DELETE and TRUNCATE on the access log and its
checkpoints, whoever asks: the application, an administrator at a psql prompt, or a
bug. (An owner can still drop the trigger; the hash chain and signed checkpoints make
that detectable.)"""

from django.db import migrations

TABLES = ["casebook_accessevent", "casebook_accesscheckpoint"]

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION casebook_refuse_log_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the Casebook access log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)  # no placeholders: keep its %
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION casebook_refuse_log_change()"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION casebook_refuse_log_change()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            for operation in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'the Casebook access log is append-only'); END"
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



class Migration(migrations.Migration):
    dependencies = [("casebook", "0004_access_log")]

    # Irreversible on purpose: unapplying would silently lift the append-only rule.
    # (drop_triggers stays for the tests that simulate an attacker.)
    operations = [migrations.RunPython(create_triggers)]
