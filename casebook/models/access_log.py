"""The access log's tables. All writing goes through casebook.audit."""

from django.conf import settings
from django.db import models


class AccessEvent(models.Model):
    """One entry of the append-only access log (see casebook.audit).

    An event is written in the action's own transaction with an id from a sequence,
    which may have gaps (a rolled-back transaction consumes its id); on PostgreSQL a
    trigger draws the id only once the transaction has its own transaction id (migration
    0017), which is what lets the sealer know when no lower id can still appear. Its
    place in the hash chain is given afterwards by its AccessSeal. The database refuses UPDATE,
    DELETE and TRUNCATE on this table (migrations 0005 and 0013). The target is a
    case reference, not a foreign key, so history outlives the case.
    """

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True)
    actor_username = models.CharField(max_length=150)
    role = models.CharField(max_length=32)
    action = models.CharField(max_length=48)
    target = models.CharField(max_length=64)
    outcome = models.CharField(max_length=8)
    reason = models.TextField()
    request_id = models.CharField(max_length=64)
    details = models.JSONField(default=dict)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["actor_username", "-id"], name="event_by_actor"),
            models.Index(fields=["action", "-id"], name="event_by_action"),
            models.Index(fields=["target", "-id"], name="event_by_target"),
            models.Index(fields=["outcome", "-id"], name="event_by_outcome"),
            models.Index(fields=["occurred_at"], name="event_by_time"),
        ]

    def __str__(self) -> str:
        return f"event {self.id} {self.action} {self.outcome}"


class AccessSeal(models.Model):
    """An event's place in the hash chain: its gapless position and its chained hash,
    appended by the sealer (casebook.audit.sealing) once the event is committed, in the
    order the sealer sees events committed. Append-only, like the events it seals."""

    position = models.BigIntegerField(primary_key=True)
    # No database constraint: a missing event must show up in verification, not be
    # prevented here (an attacker who can delete events can drop a constraint too).
    event = models.OneToOneField(
        AccessEvent, on_delete=models.DO_NOTHING, db_constraint=False, related_name="seal"
    )
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(null=True)  # null for events sealed by migration 0013
    # Every event with an id at or below this was sealed by this seal's pass or before
    # (casebook.audit.sealing): the sealer looks for unsealed events above it only, and
    # an unsealed event below it is one slipped in around the application. Null on seals
    # made before migration 0017.
    horizon = models.BigIntegerField(null=True)

    def __str__(self) -> str:
        return f"seal #{self.position}"


class AccessCheckpoint(models.Model):
    """A signed statement of the log's head: sequence number and hash at a moment."""

    seq = models.BigIntegerField(primary_key=True)  # the chain position of the head
    head_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    public_key = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)

    def __str__(self) -> str:
        return f"checkpoint at #{self.seq}"


class VerificationRun(models.Model):
    """An auditor's "Verify now": queued here, run by the scheduler (a million events take
    longer than a request may), its verdict kept for the workspace. The log itself
    records the request and the verdict; this row is only the work and its status."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(unique=True)
    started_at = models.DateTimeField(null=True)
    to_check = models.BigIntegerField(null=True)  # the log's length when the run started
    checked = models.BigIntegerField(default=0)  # events verified so far
    finished_at = models.DateTimeField(null=True)
    intact = models.BooleanField(null=True)
    events = models.BigIntegerField(null=True)
    first_bad_seq = models.BigIntegerField(null=True)
    problem = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"verification requested {self.requested_at:%Y-%m-%d %H:%M}"


class RefusalWindow(models.Model):
    """The minute in which a kind of refusal was last written to the log, per key (an
    address, or an account), shared by every worker; repeats inside it are counted, and
    the next event written says how many were folded into it."""

    key = models.CharField(max_length=200, unique=True)
    opened_at = models.DateTimeField()
    folded = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"refusal window opened {self.opened_at:%Y-%m-%d %H:%M}"
