"""Aggregate releases, the privacy-budget ledger and the dashboard's charts
(see casebook.aggregates).

A release stores only what was published: noisy, post-processed values. True counts
are never stored.
"""

from django.conf import settings
from django.db import models


class Release(models.Model):
    """A published, noisy table of one snapshot, reused for the same table, snapshot and
    settings. `dimensions` are in the whitelist's order (the canonical table)."""

    class Purpose(models.TextChoices):
        EXPORT = "export"
        DASHBOARD = "dashboard"

    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    dimensions = models.CharField(max_length=120)
    # The snapshot's number (releases made before snapshots existed hold a data version).
    snapshot_number = models.BigIntegerField(db_column="data_version")
    # The snapshot's scheduled time; null on releases made before snapshots existed.
    snapshot_taken_for = models.DateTimeField(null=True)
    epsilon = models.DecimalField(max_digits=8, decimal_places=4)
    scale = models.FloatField()
    threshold = models.PositiveSmallIntegerField()
    rounding_base = models.PositiveSmallIntegerField()
    # The contribution bounds in force when it was made (null before they were recorded).
    cases_per_person = models.PositiveSmallIntegerField(null=True)
    codes_per_case = models.PositiveSmallIntegerField(null=True)
    method = models.CharField(max_length=200)
    published = models.JSONField()  # {"cells": [...], "margins": {...}, "total": ...}
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["purpose", "dimensions", "snapshot_number", "-created_at"],
                name="release_lookup",
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.dimensions} @ snapshot {self.snapshot_number}"


class PrivacyCharge(models.Model):
    """One spend of privacy budget (epsilon) in a calendar month.

    `supervisor` is null for dashboard refreshes, which only the global budget pays.
    """

    period = models.CharField(max_length=7)  # YYYY-MM, UTC
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    epsilon = models.DecimalField(max_digits=8, decimal_places=4)
    release = models.OneToOneField(Release, on_delete=models.PROTECT, related_name="charge")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["period", "supervisor"], name="charge_by_period")]

    def __str__(self) -> str:
        return f"{self.epsilon} in {self.period}"


class DashboardPanel(models.Model):
    """Which release the dashboard shows for a table in a month: its own, or an export
    release of the same snapshot and settings that it reused."""

    month = models.DateField()  # the first day of the month
    dimensions = models.CharField(max_length=120)
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "dimensions"], name="one_panel_a_month")
        ]

    def __str__(self) -> str:
        return f"{self.dimensions} in {self.month:%Y-%m}"
