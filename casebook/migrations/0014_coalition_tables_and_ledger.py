"""Coalition bundles' tables and the coalition's budget ledger (casebook.coalition).

New tables only. Both are append-only, like the releases and the privacy ledger
(0008): a spent coalition budget cannot be given back by editing the ledger, and a
table already drawn cannot be redrawn in place. Irreversible on purpose.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TABLES = ["casebook_coalitiontable", "casebook_coalitioncharge"]


def create_triggers(apps, schema_editor):
    """The trigger function of 0005 on the coalition's tables (PostgreSQL and SQLite)."""
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
                    "BEGIN SELECT RAISE(ABORT, 'the Casebook coalition ledger is append-only'); END"
                )
        else:
            raise RuntimeError(f"No append-only trigger for database {vendor}.")


def drop_triggers(apps, schema_editor):
    """For the tests' flush only (tests/transactional.py), as for 0005, 0008 and 0013."""
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


class Migration(migrations.Migration):

    dependencies = [
        ('casebook', '0013_access_log_seals'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CoalitionTable',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('dimensions', models.CharField(max_length=120)),
                ('snapshot_taken_for', models.DateTimeField()),
                ('taxonomy_version', models.CharField(max_length=80)),
                ('epsilon', models.DecimalField(decimal_places=4, max_digits=8)),
                ('sensitivity', models.PositiveIntegerField()),
                ('scale', models.FloatField()),
                ('cases_per_person', models.PositiveSmallIntegerField()),
                ('codes_per_case', models.PositiveSmallIntegerField()),
                ('method', models.CharField(max_length=200)),
                ('codes', models.JSONField()),
                ('noisy_cells', models.JSONField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('requested_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='CoalitionCharge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('epsilon', models.DecimalField(decimal_places=4, max_digits=8)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('table', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='charge', to='casebook.coalitiontable')),
            ],
        ),
        migrations.AddConstraint(
            model_name='coalitiontable',
            constraint=models.UniqueConstraint(fields=('year', 'dimensions', 'snapshot_taken_for', 'taxonomy_version', 'epsilon', 'cases_per_person', 'codes_per_case'), name='one_coalition_table'),
        ),
        migrations.AddIndex(
            model_name='coalitioncharge',
            index=models.Index(fields=['year'], name='coalition_charge_by_year'),
        ),
        # Irreversible on purpose: unapplying would silently lift the append-only rule.
        migrations.RunPython(create_triggers),
    ]
