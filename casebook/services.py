"""Every change to cases and grants. Each service runs in one transaction.

The access log (issue 4) will write its event inside these same transactions.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from guardian.shortcuts import assign_perm, remove_perm

from casebook import crypto, keys
from casebook.models import (
    CaseKey,
    CasePattern,
    CasePerpetrator,
    CaseSubPattern,
    CaseTestimony,
    Team,
)
from casebook.permissions import SHARED_ACCESS, Access, supervised_teams
from casebook.roles import Role, role_of


class StaleCase(Exception):
    """Someone saved the case after this edit began; nothing was written."""


class SharingRefused(Exception):
    """The sharing change is not allowed; nothing was written."""


@dataclass(frozen=True)
class Pattern:
    """The coded dimensions of a case, already validated against the taxonomy."""

    primary_category: str
    sub_patterns: frozenset[str]
    perpetrators: frozenset[str]
    year: int
    province_china: str
    province_origin: str
    gender: str
    age_band: str
    time_in_china: str
    current_status: str
    source_proximity: str
    consent_scope: str

    def scalar_fields(self) -> dict[str, object]:
        return {
            name: getattr(self, name)
            for name in (
                "primary_category",
                "year",
                "province_china",
                "province_origin",
                "gender",
                "age_band",
                "time_in_china",
                "current_status",
                "source_proximity",
                "consent_scope",
            )
        }


@dataclass(frozen=True)
class Testimony:
    """Free-text testimony, in plaintext: held in memory only, stored only encrypted."""

    narrative: str = ""
    interviewer_notes: str = ""
    precise_details: str = ""

    FIELDS = ("narrative", "interviewer_notes", "precise_details")

    def __repr__(self) -> str:  # never let testimony reach a log or traceback by repr()
        return "Testimony(<redacted>)"

    def as_fields(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.FIELDS}


TESTIMONY_TABLE = CaseTestimony._meta.db_table


@sensitive_variables()
def _store_testimony(case: CasePattern, key: crypto.WrappedKey, testimony: Testimony) -> None:
    sealed = crypto.seal_fields(
        keys.keyring(), key, table=TESTIMONY_TABLE, fields=testimony.as_fields()
    )
    CaseTestimony.objects.update_or_create(case=case, defaults=sealed)


def _store_codes(case: CasePattern, pattern: Pattern) -> None:
    case.sub_patterns.all().delete()
    case.perpetrators.all().delete()
    CaseSubPattern.objects.bulk_create(
        [CaseSubPattern(case=case, code=code) for code in sorted(pattern.sub_patterns)]
    )
    CasePerpetrator.objects.bulk_create(
        [CasePerpetrator(case=case, code=code) for code in sorted(pattern.perpetrators)]
    )


def _grant(case: CasePattern, holder: User | object) -> None:
    for access in SHARED_ACCESS:
        assign_perm(access.value, holder, case)


@sensitive_variables()
def case_create(*, author: User, team: Team, pattern: Pattern, testimony: Testimony) -> CasePattern:
    """Record a new case with its own data key. Its author gets view, change and delete."""
    with transaction.atomic():
        case = CasePattern.objects.create(author=author, team=team, **pattern.scalar_fields())
        _store_codes(case, pattern)
        _store_testimony(case, keys.case_key_create(case), testimony)
        _grant(case, author)
        assign_perm(Access.DELETE.value, author, case)
    return case


@sensitive_variables()
def case_update(
    *,
    case: CasePattern,
    editor: User,
    expected_version: int,
    pattern: Pattern,
    testimony: Testimony,
) -> int:
    """Save new codes if nobody saved since `expected_version`; returns the new version.

    A stale edit raises StaleCase and overwrites nothing. The caller must have
    fetched `case` through visible_cases(editor, Access.CHANGE).
    """
    with transaction.atomic():
        updated = CasePattern.objects.filter(pk=case.pk, version=expected_version).update(
            version=F("version") + 1, updated_at=timezone.now(), **pattern.scalar_fields()
        )
        if updated != 1:
            raise StaleCase
        _store_codes(case, pattern)
        _store_testimony(case, keys.wrapped_key(CaseKey.objects.get(case=case)), testimony)
    return expected_version + 1


def case_delete(*, actor: User, case: CasePattern) -> None:
    """Delete a case and, with it, its data key: its testimony is gone from the live database.

    The caller must have fetched `case` through deletable_cases(actor). A backup taken
    earlier still holds the wrapped key until its KEK version is rotated out and retired.
    """
    with transaction.atomic():
        CasePattern.objects.filter(pk=case.pk).delete()


def sharing_targets(supervisor: User) -> tuple[list[User], list[Team]]:
    """Whom a supervisor may share with: their teams, and their members except themselves."""
    teams = list(supervised_teams(supervisor))
    members = (
        User.objects.filter(is_active=True)
        .filter(groups__team__in=teams)
        .union(User.objects.filter(is_active=True, supervised_teams__in=teams))
    )
    people = sorted((u for u in members if u.pk != supervisor.pk), key=lambda u: u.username)
    return people, teams


def _check_may_share(supervisor: User, case: CasePattern) -> None:
    if role_of(supervisor) != Role.SUPERVISOR:
        raise SharingRefused(_("Only supervisors share cases."))
    if not supervised_teams(supervisor).filter(pk=case.team_id).exists():
        raise SharingRefused(_("You do not supervise this case's team."))


def case_share(
    *, supervisor: User, case: CasePattern, user: User | None = None, team: Team | None = None
) -> None:
    """Share a case of a supervised team with one of its members or with a team."""
    _check_may_share(supervisor, case)
    people, teams = sharing_targets(supervisor)
    if (user is None) == (team is None):
        raise SharingRefused(_("Choose one person or one team to share with."))
    if user is not None and user not in people:
        raise SharingRefused(_("You can share only with members of your own teams."))
    if team is not None and team not in teams:
        raise SharingRefused(_("You can share only with your own teams."))
    with transaction.atomic():
        _grant(case, user if user is not None else team.group)


def case_unshare(
    *, supervisor: User, case: CasePattern, user: User | None = None, team: Team | None = None
) -> None:
    """Revoke a grant on a case of a supervised team."""
    _check_may_share(supervisor, case)
    if (user is None) == (team is None):
        raise SharingRefused(_("Choose one person or one team to revoke."))
    holder = user if user is not None else team.group
    with transaction.atomic():
        for access in SHARED_ACCESS:
            remove_perm(access.value, holder, case)
