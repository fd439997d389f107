"""The sealer finds unsealed events above a horizon instead of in a queue.

An append now writes its event only. On PostgreSQL a trigger draws each event's id once
its transaction has a transaction id, so that an id drawn after a snapshot is above every
id the snapshot saw (casebook.audit.sealing explains why the sealer needs that); it
overrides whatever id an insert names. Each seal records the horizon its pass reached.
Events still queued when this runs have no seal: the next pass seals them like any other
(a sealer that finds no horizon recorded yet starts from the first event). Going back
queues every unsealed event again. An event that had neither a seal nor a place in the
queue (only tampering made one) is recorded first, as a broken verification.
"""

import json

from django.db import migrations, models
from django.utils import timezone

EVENTS = "casebook_accessevent"
DRAW_ID_AFTER_XID = """
CREATE OR REPLACE FUNCTION casebook_event_id_after_xid() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_current_xact_id();  -- the transaction's id first, then the event's
    NEW.id := nextval('{sequence}'::regclass);
    RETURN NEW;
END
$$;
CREATE TRIGGER event_id_after_xid BEFORE INSERT ON {events}
    FOR EACH ROW EXECUTE FUNCTION casebook_event_id_after_xid();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [EVENTS])
        (sequence,) = cursor.fetchone()
    schema_editor.execute(DRAW_ID_AFTER_XID.format(sequence=sequence, events=EVENTS))


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS event_id_after_xid ON {EVENTS}")
        schema_editor.execute("DROP FUNCTION IF EXISTS casebook_event_id_after_xid()")


STRANDED = (
    "SELECT e.id FROM casebook_accessevent e "
    "WHERE NOT EXISTS (SELECT 1 FROM casebook_accessseal s WHERE s.event_id = e.id) "
    "AND NOT EXISTS (SELECT 1 FROM casebook_unsealedevent q WHERE q.event_id = e.id) "
    "ORDER BY e.id"
)
RECORD_BROKEN_VERIFICATION = (
    "INSERT INTO casebook_accessevent (id, occurred_at, actor_id, actor_username, role, "
    "action, target, outcome, reason, request_id, details) VALUES (NULL, %s, NULL, "
    "'system:migrate', 'system', 'log.verify', '', 'denied', '', '', %s)"  # id: the trigger's
)


def record_stranded_events(apps, schema_editor):
    """Until now an event with neither a seal nor a place in the queue broke
    verification: appends wrote both in one statement, so only a row written around the
    application has neither. Without the queue, the next pass would seal it like any
    other; the log first records it as a broken verification, which auditors see among
    their alerts from then on."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(STRANDED)
        stranded = [row[0] for row in cursor.fetchall()]
        if not stranded:
            return
        result = (
            "events with neither a seal nor a place in the sealer's queue when migration "
            f"0017 ran: {len(stranded)} (the first: id {stranded[0]})"
        )
        cursor.execute(
            RECORD_BROKEN_VERIFICATION,
            [timezone.now(), json.dumps({"result": result})],
        )


def queue_the_unsealed_again(apps, schema_editor):
    """Going back: the old sealer finds unsealed events in its queue only."""
    schema_editor.execute(
        "INSERT INTO casebook_unsealedevent (event_id) SELECT e.id FROM casebook_accessevent e "
        "WHERE NOT EXISTS (SELECT 1 FROM casebook_accessseal s WHERE s.event_id = e.id)"
    )


class Migration(migrations.Migration):
    dependencies = [("casebook", "0016_grants_carry_case_created")]

    operations = [
        migrations.AddField(
            model_name="accessseal",
            name="horizon",
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(record_stranded_events, queue_the_unsealed_again),
        migrations.DeleteModel(name="UnsealedEvent"),
    ]
