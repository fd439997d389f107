"""Aggregate releases and the privacy-budget ledger (see casebook.aggregates).

A release stores only what was published: noisy, post-processed values. True counts
are never stored.
"""

from django.conf import settings
from django.db import models


class DatasetVersion(models.Model):
    """One row: a number that changes whenever a counted case changes.

    Casebook's services bump it in the same transaction as the change, so an identical
    request on unchanged data can be answered with the stored release.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"dataset version {self.version}"

    @classmethod
    def current(cls) -> int:
        return cls.objects.filter(pk=1).values_list("version", flat=True).first() or 0

    @classmethod
    def bump(cls) -> None:
        """Call in the same transaction as a change to a counted case."""
        if not cls.objects.filter(pk=1).update(version=models.F("version") + 1):
            cls.objects.create(pk=1, version=1)


class Release(models.Model):
    """A published, noisy table, reused for identical requests on unchanged data."""

    class Purpose(models.TextChoices):
        EXPORT = "export"
        DASHBOARD = "dashboard"

    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    dimensions = models.CharField(max_length=120)
    data_version = models.BigIntegerField()
    epsilon = models.DecimalField(max_digits=8, decimal_places=4)
    scale = models.FloatField()
    threshold = models.PositiveSmallIntegerField()
    rounding_base = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=200)
    published = models.JSONField()  # {"cells": [...], "margins": {...}, "total": ...}
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["purpose", "dimensions", "data_version", "-created_at"],
                name="release_lookup",
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.dimensions} @ v{self.data_version}"


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
