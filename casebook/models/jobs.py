"""Runs of the timed jobs: one row per job and scheduled slot, so a due job runs once."""

from django.db import models


class JobRun(models.Model):
    job = models.CharField(max_length=40)
    slot = models.DateTimeField()  # the scheduled instant this run stands for
    finished_at = models.DateTimeField()
    result = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="one_run_a_slot")]

    def __str__(self) -> str:
        return f"{self.job} for {self.slot:%Y-%m-%d %H:%M}"
