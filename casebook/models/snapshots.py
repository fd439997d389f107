"""Counted cases frozen on a schedule, for aggregate releases.

A snapshot holds coded columns only: the dimensions that exports count, for the cases
whose consent allows counting, after each survivor's contribution was capped. No
reference, author, team, testimony or date finer than the year. Only the current and
the previous snapshot are kept.
"""

from django.db import models


class Snapshot(models.Model):
    # The scheduled instant it stands for: it is what the schedule says, never when the
    # data last changed.
    taken_for = models.DateTimeField(unique=True)
    # The contribution bounds applied when it was taken.
    cases_per_person = models.PositiveSmallIntegerField()
    codes_per_case = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-taken_for"]

    def __str__(self) -> str:
        return f"snapshot of {self.taken_for:%Y-%m-%d %H:%M} UTC"


# The rows below are written and dropped only in bulk by casebook.aggregates.snapshots,
# whole snapshots at a time. Their foreign keys are indexed but not enforced by the
# database: checking a million deferred constraints at commit cost most of a snapshot.


class SnapshotCase(models.Model):
    # Ids are given by the snapshot's INSERT ... SELECT (casebook.aggregates.snapshots).
    id = models.BigIntegerField(primary_key=True)
    snapshot = models.ForeignKey(
        Snapshot, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    primary_category = models.CharField(max_length=32)
    year = models.PositiveSmallIntegerField()
    province_china = models.CharField(max_length=32)
    province_origin = models.CharField(max_length=32)
    gender = models.CharField(max_length=16)
    age_band = models.CharField(max_length=16)
    current_status = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"counted case {self.pk}"


class SnapshotSubPattern(models.Model):
    case = models.ForeignKey(
        SnapshotCase, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    code = models.CharField(max_length=48)

    def __str__(self) -> str:
        return self.code


class SnapshotPerpetrator(models.Model):
    case = models.ForeignKey(
        SnapshotCase, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    code = models.CharField(max_length=48)

    def __str__(self) -> str:
        return self.code
