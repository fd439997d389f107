"""The sealer's queue names real events only (a foreign key: a queued id without its
event would sit at the queue's head and stall the sealer), and on PostgreSQL an event
must have a finite time between 1970 and 9999 and details that are a small JSON object
(a row written around the application with an infinite time, a huge number or deep
nesting has no canonical encoding, and would stop the sealer and verification). The
checks hold for new rows; existing ones were written by Casebook and pass them. The
queue, emptied as fast as it fills, is vacuumed often."""

import django.db.models.deletion
from django.db import migrations, models

EVENTS = "casebook_accessevent"
QUEUE = "casebook_unsealedevent"


def drop_queued_ids_without_events(apps, schema_editor):
    schema_editor.execute(f"DELETE FROM {QUEUE} WHERE event_id NOT IN (SELECT id FROM {EVENTS})")


def sane_events_only(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # the embedded SQLite default: its table would be rebuilt (and its triggers lost)
    # The queue is emptied as fast as it fills: vacuum it often, or the sealer's reads
    # wade through dead entries.
    schema_editor.execute(
        f"ALTER TABLE {QUEUE} SET (autovacuum_vacuum_scale_factor = 0, "
        "autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0)"
    )
    schema_editor.execute(
        f"ALTER TABLE {EVENTS} ADD CONSTRAINT event_time_and_details_sane CHECK ("
        "isfinite(occurred_at) AND occurred_at >= '1970-01-01' AND occurred_at < '9999-01-01' "
        "AND jsonb_typeof(details) = 'object' AND octet_length(details::text) <= 8192"
        ") NOT VALID"
    )


class Migration(migrations.Migration):
    dependencies = [("casebook", "0014_coalition_tables_and_ledger")]

    operations = [
        migrations.RunPython(drop_queued_ids_without_events, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="unsealedevent",
            name="event",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.DO_NOTHING,
                primary_key=True,
                related_name="+",
                serialize=False,
                to="casebook.accessevent",
            ),
        ),
        migrations.RunPython(sane_events_only),
    ]
