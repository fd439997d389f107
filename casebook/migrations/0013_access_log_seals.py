"""The access log's chain moves to seals: events are written without a lock across the
commit, and the sealer gives each committed event its gapless position and chained
hash in a table of its own (casebook.audit.sealing).

Every existing event is sealed at its old sequence number with its old hash, so the
chain, and every checkpoint already signed, stays exactly as it was. The seals are
append-only like the events (the same trigger), and new event ids continue after the
highest old sequence number.
"""

import django.db.models.deletion
from django.db import migrations, models

SEALS = "casebook_accessseal"
EVENTS = "casebook_accessevent"


def seal_existing_events(apps, schema_editor):
    schema_editor.execute(
        f"INSERT INTO {SEALS} (position, event_id, hash) SELECT seq, seq, hash FROM {EVENTS}"
    )


def continue_ids_after_old_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"SELECT setval(pg_get_serial_sequence('{EVENTS}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {EVENTS}), 0) + 1, false)"
        )


def refuse_changes_to_seals(apps, schema_editor):
    """The append-only trigger of migration 0005 on the seals too; on SQLite also again
    on the events, whose table was rebuilt above (which drops its triggers)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TRIGGER {SEALS}_append_only BEFORE UPDATE OR DELETE ON {SEALS} "
            "FOR EACH ROW EXECUTE FUNCTION casebook_refuse_log_change()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {SEALS}_no_truncate BEFORE TRUNCATE ON {SEALS} "
            "FOR EACH STATEMENT EXECUTE FUNCTION casebook_refuse_log_change()"
        )
    elif vendor == "sqlite":
        for table in (EVENTS, SEALS):
            for operation in ("UPDATE", "DELETE"):
                trigger = f"{table}_no_{operation.lower()}"
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                schema_editor.execute(
                    f"CREATE TRIGGER {trigger} BEFORE {operation} ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'the Casebook access log is append-only'); END"
                )
    else:
        raise RuntimeError(f"No append-only trigger for database {vendor}.")


create_triggers = refuse_changes_to_seals  # named as in 0005, for the tests' flushes


def drop_triggers(apps, schema_editor):
    """For the tests that simulate an attacker (and empty the tables between tests)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {SEALS}_append_only ON {SEALS}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {SEALS}_no_truncate ON {SEALS}")
    else:
        for table in (EVENTS, SEALS):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


class Migration(migrations.Migration):
    dependencies = [("casebook", "0012_accounts_progress_submissions_refusals")]

    # Irreversible on purpose, like 0005: the old chain lived in the event rows.
    operations = [
        migrations.CreateModel(
            name="AccessSeal",
            fields=[
                ("position", models.BigIntegerField(primary_key=True, serialize=False)),
                (
                    "event",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="seal",
                        to="casebook.accessevent",
                    ),
                ),
                ("hash", models.CharField(max_length=64)),
                ("sealed_at", models.DateTimeField(null=True)),
            ],
        ),
        migrations.CreateModel(
            name="UnsealedEvent",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="casebook.accessevent",
                    ),
                ),
            ],
        ),
        migrations.RunPython(seal_existing_events),
        migrations.RemoveIndex(model_name="accessevent", name="event_by_actor"),
        migrations.RemoveIndex(model_name="accessevent", name="event_by_action"),
        migrations.RemoveIndex(model_name="accessevent", name="event_by_target"),
        migrations.RemoveIndex(model_name="accessevent", name="event_by_outcome"),
        migrations.RemoveField(model_name="accessevent", name="hash"),
        migrations.RemoveField(model_name="accessevent", name="prev_hash"),
        migrations.RenameField(model_name="accessevent", old_name="seq", new_name="id"),
        migrations.AlterField(
            model_name="accessevent",
            name="id",
            field=models.BigAutoField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(continue_ids_after_old_sequence),
        migrations.AlterModelOptions(name="accessevent", options={"ordering": ["-id"]}),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(fields=["actor_username", "-id"], name="event_by_actor"),
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(fields=["action", "-id"], name="event_by_action"),
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(fields=["target", "-id"], name="event_by_target"),
        ),
        migrations.AddIndex(
            model_name="accessevent",
            index=models.Index(fields=["outcome", "-id"], name="event_by_outcome"),
        ),
        migrations.RunPython(refuse_changes_to_seals),
    ]
