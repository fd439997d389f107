"""Fictional accounts and cases for tests. Nothing here describes a real person."""

from dataclasses import replace
from datetime import timedelta

from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone

from casebook.accounts.services import account_create
from casebook.accounts.teams import team_get_or_create
from casebook.aggregates.snapshots import snapshot_slot, snapshot_take
from casebook.cases.records import Pattern, Testimony
from casebook.cases.services import case_create
from casebook.models import CasePattern, Snapshot, Team
from casebook.roles import Role

PASSWORD = "fictional-test-password-7"

BASE_PATTERN = Pattern(
    primary_category="trafficking",
    sub_patterns=frozenset({"sold_by_broker", "debt_bondage"}),
    perpetrators=frozenset({"broker"}),
    year=2019,
    province_china="jilin",
    province_origin="north_hamgyong",
    gender="female",
    age_band="18-24",
    time_in_china="1-3y",
    current_status="in_china",
    source_proximity="victim",
    consent_scope="aggregate",
)


def team(name: str = "Test Team Alpha") -> Team:
    return team_get_or_create(name=name)[0]


def user(username: str, role: Role, team_name: str | None = None) -> User:
    return account_create(
        username=username, role=role, password=PASSWORD, team_name=team_name, team_approved=True
    )


def pattern(**overrides) -> Pattern:
    return replace(BASE_PATTERN, **overrides)


FICTIONAL_TESTIMONY = Testimony(
    narrative="FICTIONAL-NARRATIVE: an invented account for a test; nobody real.",
    interviewer_notes="FICTIONAL-NOTES: invented interviewer note.",
    precise_details="FICTIONAL-DETAILS: an invented place and day.",
)


def case(author: User, testimony: Testimony = FICTIONAL_TESTIMONY, **overrides) -> CasePattern:
    author_team = Team.objects.get(group__user=author)
    return case_create(
        author=author, team=author_team, pattern=pattern(**overrides), testimony=testimony
    )


def form_data(**overrides) -> dict:
    """POST data for the case form, valid unless overridden."""
    data = {
        "primary_category": "trafficking",
        "sub_patterns": ["sold_by_broker"],
        "perpetrators": ["broker"],
        "year": "2019",
        "province_china": "jilin",
        "province_origin": "north_hamgyong",
        "gender": "female",
        "age_band": "18-24",
        "time_in_china": "1-3y",
        "current_status": "in_china",
        "source_proximity": "victim",
        "consent_scope": "aggregate",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def sign_in(client, user: User) -> None:
    """Sign in as `user`, second factor included (a confirmed TOTP device, verified).

    The real sign-in, with its password, code and lockout, is tested in test_sign_in.py;
    other tests start from a fully signed-in session.
    """
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test device", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


# Disclosure settings for tests: the defaults' shape, with smaller budgets.
BASE_POLICY = {
    "EPSILON_PER_EXPORT": 1.0,
    "EPSILON_PER_DASHBOARD_TABLE": 0.1,
    "SUPERVISOR_MONTHLY_BUDGET": 4.0,
    "GLOBAL_MONTHLY_BUDGET": 20.0,
    "DASHBOARD_MONTHLY_BUDGET": 0.4,
    "GLOBAL_LIFETIME_BUDGET": 120.0,
    "CASES_PER_PERSON": 2,
    "CODES_PER_CASE": 3,
    "THRESHOLD": 10,
    "ROUNDING_BASE": 5,
    "SNAPSHOT_EVERY_DAYS": 7,
}
# Noise so small (scale about 1e-3) that the published values equal the true counts: for
# checking what is counted, never a setting anyone could deploy by accident (tests only).
NEAR_EXACT = {
    **BASE_POLICY,
    "EPSILON_PER_EXPORT": 5_000,
    "SUPERVISOR_MONTHLY_BUDGET": 900_000,
    "GLOBAL_MONTHLY_BUDGET": 900_000,
    "GLOBAL_LIFETIME_BUDGET": 900_000,
    "THRESHOLD": 5,
    "ROUNDING_BASE": 1,
}


def snapshot(*, weeks_later: int = 0) -> Snapshot:
    """The snapshot of the current slot, or of a slot `weeks_later` weeks on (the next
    scheduled snapshots), as the scheduler would take it."""
    slot = snapshot_slot(timezone.now()) + timedelta(weeks=weeks_later)
    return snapshot_take(taken_for=slot)


def policy(**changes):
    return override_settings(CASEBOOK_DISCLOSURE={**BASE_POLICY, **changes})
