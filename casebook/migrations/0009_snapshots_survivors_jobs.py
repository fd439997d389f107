"""Snapshots, linked survivors, timed jobs and the dashboard's monthly charts.

- Every existing case becomes its own survivor: a random group id per case (never one
  default shared by all rows).
- Releases name their snapshot: the old data_version column keeps its place and
  values (state only, so the append-only table and its triggers are not rebuilt);
  older releases carry no snapshot time or bounds, so none is ever served again.
- The dataset version, a counter that moved with edits, is gone.
"""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


def one_survivor_per_case(apps, schema_editor):
    """A random group per existing case, in one statement where the database can."""
    vendor = schema_editor.connection.vendor
    table = "casebook_casepattern"
    if vendor == "postgresql":
        schema_editor.execute(f"UPDATE {table} SET survivor_group = gen_random_uuid()")
    elif vendor == "sqlite":  # Django keeps UUIDs as 32 hexadecimal characters there
        schema_editor.execute(f"UPDATE {table} SET survivor_group = lower(hex(randomblob(16)))")
    else:
        cases = apps.get_model("casebook", "CasePattern")
        for pk in cases.objects.values_list("pk", flat=True):
            cases.objects.filter(pk=pk).update(survivor_group=uuid.uuid4())


class Migration(migrations.Migration):

    dependencies = [
        ('casebook', '0008_release_ledger_rows'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DashboardPanel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('dimensions', models.CharField(max_length=120)),
            ],
        ),
        migrations.CreateModel(
            name='JobRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('job', models.CharField(max_length=40)),
                ('slot', models.DateTimeField()),
                ('finished_at', models.DateTimeField()),
                ('result', models.CharField(max_length=200)),
            ],
        ),
        migrations.CreateModel(
            name='Snapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('taken_for', models.DateTimeField(unique=True)),
                ('cases_per_person', models.PositiveSmallIntegerField()),
                ('codes_per_case', models.PositiveSmallIntegerField()),
            ],
            options={
                'ordering': ['-taken_for'],
            },
        ),
        migrations.CreateModel(
            name='SnapshotCase',
            fields=[
                ('id', models.BigIntegerField(primary_key=True, serialize=False)),
                ('primary_category', models.CharField(max_length=32)),
                ('year', models.PositiveSmallIntegerField()),
                ('province_china', models.CharField(max_length=32)),
                ('province_origin', models.CharField(max_length=32)),
                ('gender', models.CharField(max_length=16)),
                ('age_band', models.CharField(max_length=16)),
                ('current_status', models.CharField(max_length=32)),
            ],
        ),
        migrations.CreateModel(
            name='SnapshotPerpetrator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=48)),
            ],
        ),
        migrations.CreateModel(
            name='SnapshotSubPattern',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=48)),
            ],
        ),
        migrations.DeleteModel(
            name='DatasetVersion',
        ),
        # The same column and index under a new name: nothing changes in the database.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name='release', name='release_lookup'),
                migrations.AlterField(
                    model_name='release',
                    name='data_version',
                    field=models.BigIntegerField(db_column='data_version'),
                ),
                migrations.RenameField(
                    model_name='release', old_name='data_version', new_name='snapshot_number'
                ),
                migrations.AddIndex(
                    model_name='release',
                    index=models.Index(
                        fields=['purpose', 'dimensions', 'snapshot_number', '-created_at'],
                        name='release_lookup',
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name='casepattern',
            name='survivor_group',
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(one_survivor_per_case, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='casepattern',
            name='survivor_group',
            field=models.UUIDField(db_index=True, default=uuid.uuid4, editable=False),
        ),
        migrations.AddField(
            model_name='release',
            name='cases_per_person',
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AddField(
            model_name='release',
            name='codes_per_case',
            field=models.PositiveSmallIntegerField(null=True),
        ),
        migrations.AddField(
            model_name='release',
            name='snapshot_taken_for',
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name='dashboardpanel',
            name='release',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='casebook.release'),
        ),
        migrations.AddConstraint(
            model_name='jobrun',
            constraint=models.UniqueConstraint(fields=('job', 'slot'), name='one_run_a_slot'),
        ),
        migrations.AddField(
            model_name='snapshotcase',
            name='snapshot',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='casebook.snapshot'),
        ),
        migrations.AddField(
            model_name='snapshotperpetrator',
            name='case',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='casebook.snapshotcase'),
        ),
        migrations.AddField(
            model_name='snapshotsubpattern',
            name='case',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='casebook.snapshotcase'),
        ),
        migrations.AddConstraint(
            model_name='dashboardpanel',
            constraint=models.UniqueConstraint(fields=('month', 'dimensions'), name='one_panel_a_month'),
        ),
    ]
