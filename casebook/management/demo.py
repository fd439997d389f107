"""Synthetic, obviously fictional demo data: teams, one account per role, coded cases.

The cases are random draws from the taxonomy. They describe nobody.
"""

import random
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from casebook import taxonomy
from casebook.accounts.demo_codes import DEMO_DEVICE
from casebook.accounts.second_factor import MFA_ROLES, backup_codes_issue
from casebook.accounts.services import account_create
from casebook.accounts.teams import team_get_or_create
from casebook.cases.records import Pattern, Testimony
from casebook.cases.services import case_create
from casebook.cases.sharing import case_share
from casebook.models import CasePattern
from casebook.roles import Role

DEMO_TEAMS = ("Demo Team Aster", "Demo Team Birch")
DEMO_ACCOUNTS = (
    ("demo-caseworker", Role.CASEWORKER, DEMO_TEAMS[0]),
    ("demo-caseworker-2", Role.CASEWORKER, DEMO_TEAMS[0]),
    ("demo-caseworker-birch", Role.CASEWORKER, DEMO_TEAMS[1]),
    ("demo-supervisor", Role.SUPERVISOR, DEMO_TEAMS[0]),
    ("demo-supervisor-2", Role.SUPERVISOR, DEMO_TEAMS[0]),
    ("demo-auditor", Role.AUDITOR, None),
    ("demo-administrator", Role.ADMINISTRATOR, None),
)
DEMO_CASE_COUNT = 300


def random_pattern(rng: random.Random) -> Pattern:
    category = rng.choice(list(taxonomy.Category))
    own = taxonomy.SUB_PATTERNS_BY_CATEGORY[category]
    others = [code for code in taxonomy.SubPattern if code not in own]
    subs = set(rng.sample(own, rng.randint(1, 3)))
    if rng.random() < 0.4:
        subs.add(rng.choice(others))
    return Pattern(
        primary_category=category,
        sub_patterns=frozenset(subs),
        perpetrators=frozenset(rng.sample(list(taxonomy.Perpetrator), rng.randint(1, 2))),
        year=rng.randint(2005, taxonomy.last_year()),
        province_china=rng.choice(list(taxonomy.ProvinceChina)),
        province_origin=rng.choice(list(taxonomy.ProvinceOrigin)),
        gender=rng.choices(list(taxonomy.Gender), weights=[8, 2, 0.2, 0.5])[0],
        age_band=rng.choice(list(taxonomy.AgeBand)),
        time_in_china=rng.choice(list(taxonomy.TimeInChina)),
        current_status=rng.choice(list(taxonomy.CurrentStatus)),
        source_proximity=rng.choice(list(taxonomy.SourceProximity)),
        consent_scope=rng.choices(list(taxonomy.ConsentScope), weights=[8, 2, 1])[0],
    )


def random_testimony(rng: random.Random, pattern: Pattern) -> Testimony:
    """Plainly fictional text: it says it is synthetic and names no one."""
    category = taxonomy.Category(pattern.primary_category).label
    return Testimony(
        narrative=(
            f"[SYNTHETIC DEMO TESTIMONY] A fictional account of a {category} pattern in "
            f"{pattern.year}, generated for the Casebook demo. It describes no real person."
        ),
        interviewer_notes=rng.choice(
            ["[DEMO] Fictional note: follow-up interview planned.", "[DEMO] Fictional note."]
        ),
        precise_details="",
    )


def demo_seed(*, password: str, case_count: int = DEMO_CASE_COUNT, seed: int = 7) -> dict[str, Any]:
    """Create what is missing of the demo data; running it twice adds nothing.

    Returns counts, and the backup codes of newly created accounts (every role signs
    in with a second factor).
    """
    created: dict[str, Any] = {"accounts": 0, "cases": 0, "codes": {}}
    with transaction.atomic():
        for name in DEMO_TEAMS:
            team_get_or_create(name=name)
        for username, role, team in DEMO_ACCOUNTS:
            if not User.objects.filter(username=username).exists():
                user = account_create(
                    username=username,
                    role=role,
                    password=password,
                    team_name=team,
                    team_approved=True,
                )
                created["accounts"] += 1
                if role in MFA_ROLES:
                    # The demo can be tried without an authenticator app.
                    created["codes"][username] = backup_codes_issue(user, device_name=DEMO_DEVICE)
        authors = list(User.objects.filter(username__startswith="demo-caseworker"))
        if CasePattern.objects.filter(author__in=authors).exists():
            return created
        rng = random.Random(seed)  # noqa: S311 -- synthetic demo data, not security
        supervisors = {u.username: u for u in User.objects.filter(supervised_teams__isnull=False)}
        for index in range(case_count):
            author = rng.choice(authors)
            author_team = author.groups.get(team__isnull=False).team
            pattern = random_pattern(rng)
            case = case_create(
                author=author,
                team=author_team,
                pattern=pattern,
                testimony=random_testimony(rng, pattern),
            )
            created["cases"] += 1
            if author_team.name == DEMO_TEAMS[0] and index % 5 == 0:
                case_share(supervisor=supervisors["demo-supervisor-2"], case=case, team=author_team)
            if author_team.name == DEMO_TEAMS[0] and index % 7 == 0:
                colleague = next(
                    a for a in authors if a != author and a.groups.filter(team=author_team).exists()
                )
                case_share(supervisor=supervisors["demo-supervisor"], case=case, user=colleague)
    return created
