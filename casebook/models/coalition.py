"""Coalition bundles' tables and the coalition's budget ledger (see casebook.coalition).

A coalition table holds every cell's noisy count before threshold and rounding: a
differentially private output, never shown on a page, that leaves the installation
only inside a bundle sealed to the coalition's combiner. It is kept so that a second
bundle for the same year and snapshot reuses it (a fresh draw would cost budget again).
The database already holds the coded cases these counts were drawn from. True counts
are never stored. Both tables are append-only (migration 0014).
"""

from django.conf import settings
from django.db import models


class CoalitionTable(models.Model):
    """One standard table of a coalition bundle: cases of one calendar year, counted
    from one snapshot, with discrete Laplace noise in every cell."""

    year = models.PositiveSmallIntegerField()  # the bundle's calendar year
    dimensions = models.CharField(max_length=120)  # in the whitelist's order
    snapshot_taken_for = models.DateTimeField()
    taxonomy_version = models.CharField(max_length=80)
    epsilon = models.DecimalField(max_digits=8, decimal_places=4)
    sensitivity = models.PositiveIntegerField()
    scale = models.FloatField()
    cases_per_person = models.PositiveSmallIntegerField()
    codes_per_case = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=200)
    codes = models.JSONField()  # {"category": [...], "year": [2019]}: the code lists
    noisy_cells = models.JSONField()  # integers, in the order of the codes' cross product
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "year",
                    "dimensions",
                    "snapshot_taken_for",
                    "taxonomy_version",
                    "epsilon",
                    "cases_per_person",
                    "codes_per_case",
                ],
                name="one_coalition_table",
            )
        ]

    def __str__(self) -> str:
        return f"coalition {self.dimensions} for {self.year} @ {self.snapshot_taken_for:%Y-%m-%d}"


class CoalitionCharge(models.Model):
    """One spend of the coalition budget of a year (the bundle's year). It counts in the
    dataset's lifetime budget too, never in a supervisor's monthly one."""

    year = models.PositiveSmallIntegerField()
    epsilon = models.DecimalField(max_digits=8, decimal_places=4)
    table = models.OneToOneField(CoalitionTable, on_delete=models.PROTECT, related_name="charge")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["year"], name="coalition_charge_by_year")]

    def __str__(self) -> str:
        return f"{self.epsilon} of the coalition budget for {self.year}"
