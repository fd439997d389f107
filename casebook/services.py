"""Every change to cases and grants. Each service runs in one transaction.

The access log (issue 4) will write its event inside these same transactions.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from casebook.models import CasePattern, CasePerpetrator, CaseSubPattern, Team
from casebook.permissions import SHARED_ACCESS, supervised_teams
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


def case_create(*, author: User, team: Team, pattern: Pattern) -> CasePattern:
    """Record a new case. Its author gets view and change on it."""
    with transaction.atomic():
        case = CasePattern.objects.create(author=author, team=team, **pattern.scalar_fields())
        _store_codes(case, pattern)
        _grant(case, author)
    return case


def case_update(*, case: CasePattern, editor: User, expected_version: int, pattern: Pattern) -> int:
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
    return expected_version + 1


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
