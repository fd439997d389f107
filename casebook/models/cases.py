"""Case patterns, teams and the per-object grants that decide who sees a case.

A case pattern holds coded, coarse dimensions only: no names, no exact dates and
no exact places. Nothing here decides visibility: that is casebook.cases.selectors.
"""

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from casebook import taxonomy
from casebook.references import new_reference


class Team(models.Model):
    """A team of caseworkers and the supervisors who oversee them.

    The team's caseworkers are the members of `group`, so a case shared with the
    team is shared with them. Supervisors are listed apart: sharing with a team
    does not open its cases to the supervisors.
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="team")
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="supervised_teams",
        blank=True,
        verbose_name=_("supervisors"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class CasePattern(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(
        _("reference"), max_length=12, unique=True, default=new_reference, editable=False
    )
    primary_category = models.CharField(
        _("primary category"), max_length=32, choices=taxonomy.Category.choices
    )
    year = models.PositiveSmallIntegerField(_("year"))
    province_china = models.CharField(
        _("province in China"), max_length=32, choices=taxonomy.ProvinceChina.choices
    )
    province_origin = models.CharField(
        _("province of origin"), max_length=32, choices=taxonomy.ProvinceOrigin.choices
    )
    gender = models.CharField(_("gender"), max_length=16, choices=taxonomy.Gender.choices)
    age_band = models.CharField(_("age band"), max_length=16, choices=taxonomy.AgeBand.choices)
    time_in_china = models.CharField(
        _("time in China"), max_length=16, choices=taxonomy.TimeInChina.choices
    )
    current_status = models.CharField(
        _("current status"), max_length=32, choices=taxonomy.CurrentStatus.choices
    )
    source_proximity = models.CharField(
        _("source proximity"), max_length=32, choices=taxonomy.SourceProximity.choices
    )
    consent_scope = models.CharField(
        _("consent scope"), max_length=16, choices=taxonomy.ConsentScope.choices
    )
    # The single-use value of the form that recorded the case: a form submitted twice
    # (a double click, a retry after a lost answer) never makes a second case.
    submission = models.UUIDField(null=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_cases"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cases")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)
    # Cases of one survivor share this random id ("same survivor as..."), so that a
    # snapshot counts at most CASES_PER_PERSON of them. Internal: never exported or shown.
    survivor_group = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case pattern")
        verbose_name_plural = _("case patterns")
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="case_newest_first"),
            models.Index(fields=["team", "-created_at", "-id"], name="case_team_newest_first"),
            models.Index(fields=["-updated_at", "-id"], name="case_newest_changed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "submission"], name="one_case_per_author_submission"
            )
        ]

    def __str__(self) -> str:
        return self.reference

    # A list shows two labels per row: looked up in the taxonomy, where Django's
    # get_..._display() hashes every choice's (lazily translated) label on each call.
    @property
    def category_label(self) -> str:
        return taxonomy.label_of(taxonomy.Category, self.primary_category)

    @property
    def status_label(self) -> str:
        return taxonomy.label_of(taxonomy.CurrentStatus, self.current_status)


class CaseSubPattern(models.Model):
    case = models.ForeignKey(CasePattern, on_delete=models.CASCADE, related_name="sub_patterns")
    code = models.CharField(max_length=48, choices=taxonomy.SubPattern.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "code"], name="unique_sub_pattern_per_case")
        ]

    def __str__(self) -> str:
        return self.code


class CasePerpetrator(models.Model):
    case = models.ForeignKey(CasePattern, on_delete=models.CASCADE, related_name="perpetrators")
    code = models.CharField(max_length=48, choices=taxonomy.Perpetrator.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "code"], name="unique_perpetrator_per_case")
        ]

    def __str__(self) -> str:
        return self.code


class CaseGrant(models.Model):
    """What a grant of either kind holds of its case: the case, and its creation time.

    The creation time, which never changes, is carried so that a person's grants can be
    read newest case first from one index, a page at a time with a LIMIT, instead of
    fetching every granted case to sort it (casebook.cases.listing.listed_case_parts).
    save() copies it (guardian's assign_perm saves one grant at a time); a grant written
    around save, by bulk_create or SQL, must set it too: the column is NOT NULL, so a
    path that forgets fails instead of misplacing the case in the lists.
    """

    content_object = models.ForeignKey(CasePattern, on_delete=models.CASCADE)
    case_created_at = models.DateTimeField(editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Empty until set, though its type says never empty (the column is NOT NULL).
        if getattr(self, "case_created_at", None) is None:
            self.case_created_at = self.content_object.created_at
        super().save(*args, **kwargs)


# Guardian's bases define __str__, which ruff cannot see.
class CaseUserGrant(UserObjectPermissionBase, CaseGrant):  # noqa: DJ008
    """A permission on one case for one user (guardian, direct foreign key)."""

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [
            models.Index(
                fields=["user", "permission", "-case_created_at", "-content_object"],
                name="user_grant_newest_case_first",
            )
        ]


class CaseGroupGrant(GroupObjectPermissionBase, CaseGrant):  # noqa: DJ008
    """A permission on one case for one team's group (guardian, direct foreign key)."""

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [
            models.Index(
                fields=["group", "permission", "-case_created_at", "-content_object"],
                name="group_grant_newest_case_first",
            )
        ]


class CaseKey(models.Model):
    """A case's data key, wrapped by a key-encryption key held outside the database.

    Deleting the case deletes this row: crypto-shredding.
    """

    case = models.OneToOneField(
        CasePattern, on_delete=models.CASCADE, primary_key=True, related_name="key"
    )
    kek_version = models.PositiveIntegerField(db_index=True)
    wrapped = models.BinaryField()
    generation = models.PositiveSmallIntegerField(default=1)

    def __str__(self) -> str:
        return f"data key of {self.case_id} (KEK v{self.kek_version})"


class CaseTestimony(models.Model):
    """Testimony, as AES-GCM ciphertext only. Loading it never yields plaintext."""

    case = models.OneToOneField(
        CasePattern, on_delete=models.CASCADE, primary_key=True, related_name="testimony"
    )
    narrative = models.BinaryField()
    interviewer_notes = models.BinaryField()
    precise_details = models.BinaryField()
    # The identifier findings its caseworker confirmed must stay (JSON), sealed like the
    # fields above, so that the check does not ask about them again.
    confirmed_identifiers = models.BinaryField(null=True)
    # Keyed digests of each field (crypto.field_digests): which fields an edit changed.
    digests = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"testimony of {self.case_id} (encrypted)"


class KeyCheck(models.Model):
    """The key-check value of each KEK version, to detect a wrong key before any use."""

    kek_version = models.PositiveIntegerField(primary_key=True)
    check_value = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"KEK v{self.kek_version}"
