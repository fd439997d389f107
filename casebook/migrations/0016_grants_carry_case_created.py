"""Grants carry their case's creation time (which never changes), and are indexed by
holder, permission and that time, newest first: a page of a person's case list is then
read from their grants in order with a LIMIT, instead of fetching every granted case to
sort it.

Existing grants take it from their case in one UPDATE per table (set-based: the bench
database holds two million grants; every grant's case exists, by its foreign key), and
only then must the column be filled. The UPDATE ... FROM reads the same on PostgreSQL
and on SQLite (3.33 and later), the embedded default.
"""

from django.conf import settings
from django.db import migrations, models


def carried(model: str, table: str) -> list[migrations.operations.base.Operation]:
    """Add the column empty, fill it from each grant's case, then require it."""
    backfill = (
        f"UPDATE {table} SET case_created_at = casebook_casepattern.created_at "
        f"FROM casebook_casepattern WHERE casebook_casepattern.id = {table}.content_object_id"
    )
    return [
        migrations.AddField(
            model_name=model,
            name="case_created_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunSQL(backfill, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name=model, name="case_created_at", field=models.DateTimeField(editable=False)
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("casebook", "0015_access_log_queue_key_and_sane_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *carried("caseusergrant", "casebook_caseusergrant"),
        *carried("casegroupgrant", "casebook_casegroupgrant"),
        migrations.AddIndex(
            model_name="caseusergrant",
            index=models.Index(
                fields=["user", "permission", "-case_created_at", "-content_object"],
                name="user_grant_newest_case_first",
            ),
        ),
        migrations.AddIndex(
            model_name="casegroupgrant",
            index=models.Index(
                fields=["group", "permission", "-case_created_at", "-content_object"],
                name="group_grant_newest_case_first",
            ),
        ),
    ]
