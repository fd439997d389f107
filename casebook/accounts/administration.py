"""What administrators do to accounts in the browser: list them, unlock them after
repeated failures, deactivate them. Each change is recorded and flagged for
auditors. Nothing here reaches cases, testimony, keys, the log or the ledger."""

import datetime as dt
from dataclasses import dataclass

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.models import Invitation, MembershipRequest
from casebook.roles import Role, role_of


@dataclass(frozen=True)
class Person:
    """One account as its administrator sees it."""

    user: User
    role: Role | None
    teams: list[str]  # teams the person works in or oversees
    awaiting: list[str]  # teams whose supervisor has not yet approved them
    second_factor: bool  # an authenticator is enrolled
    invited: bool  # an invitation is open
    locked: bool


def _locked_usernames() -> set[str]:
    """Usernames whose recent failures reached the limit (an hour's cool-off)."""
    since = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return set(
        AccessAttempt.objects.filter(
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
        ).values_list("username", flat=True)
    )


def people() -> list[Person]:
    """Every account, by username, with what an administrator needs to see."""
    return _people(User.objects.order_by("username"))


def person(user_id: int) -> Person | None:
    """One account as on the list, read for that account alone."""
    found = _people(User.objects.filter(pk=user_id))
    return found[0] if found else None


def _people(users: QuerySet[User]) -> list[Person]:
    """`users` as administrators see them: a fixed number of queries, whatever their number."""
    users = users.prefetch_related("groups__team", "supervised_teams")
    ids = users.values("pk")
    enrolled = set(
        TOTPDevice.objects.filter(confirmed=True, user__in=ids).values_list("user_id", flat=True)
    )
    invited = set(
        Invitation.objects.filter(
            used_at__isnull=True, expires_at__gt=timezone.now(), user__in=ids
        ).values_list("user_id", flat=True)
    )
    awaiting: dict[int, list[str]] = {}
    for user_id, team in MembershipRequest.objects.filter(user__in=ids).values_list(
        "user_id", "team__name"
    ):
        awaiting.setdefault(user_id, []).append(team)
    locked = _locked_usernames()
    return [
        Person(
            user=user,
            role=role_of(user),
            teams=sorted(
                [g.team.name for g in user.groups.all() if hasattr(g, "team")]
                + [t.name for t in user.supervised_teams.all()]
            ),
            awaiting=sorted(awaiting.get(user.pk, [])),
            second_factor=user.pk in enrolled,
            invited=user.pk in invited,
            locked=user.username in locked,
        )
        for user in users
    ]


def person_find(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def account_unlock(user: User, *, by: User) -> None:
    """Forget the failed sign-ins that locked this username (not those of an address)."""
    with transaction.atomic():
        axes_reset(username=user.get_username())
        log.record(Action.ACCOUNT_UNLOCK, actor=Actor.of(by), target=user.get_username())


class CannotDeactivateSelf(Exception):
    """An administrator may not deactivate their own account."""


def account_deactivate(user: User, *, by: User) -> None:
    """The person can no longer sign in (their sessions end at their next request) and
    their open invitations are voided. Their cases and log events stay."""
    if user.pk == by.pk:
        raise CannotDeactivateSelf
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        Invitation.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
        log.record(Action.ACCOUNT_DEACTIVATE, actor=Actor.of(by), target=user.get_username())
