"""The recurring cast of the tests: two fictional teams and one account per part.

A test class that extends CastTestCase finds them as class attributes (self.author,
self.supervisor, ...), created once per class in setUpTestData.
"""

from dataclasses import dataclass, fields

from django.contrib.auth.models import User
from django.test import TestCase

from casebook.models import Team
from casebook.roles import Role
from tests import factories

ALPHA, BETA = "Test Team Alpha", "Test Team Beta"


@dataclass(frozen=True)
class Cast:
    alpha: Team
    beta: Team
    author: User  # a caseworker on Alpha who records the cases
    colleague: User  # another caseworker on Alpha
    outsider: User  # a caseworker on Beta
    supervisor: User  # oversees Alpha
    auditor: User
    administrator: User


def cast() -> Cast:
    return Cast(
        alpha=factories.team(ALPHA),
        beta=factories.team(BETA),
        author=factories.user("cw-author", Role.CASEWORKER, ALPHA),
        colleague=factories.user("cw-colleague", Role.CASEWORKER, ALPHA),
        outsider=factories.user("cw-outsider", Role.CASEWORKER, BETA),
        supervisor=factories.user("sup-alpha", Role.SUPERVISOR, ALPHA),
        auditor=factories.user("aud-1", Role.AUDITOR),
        administrator=factories.user("adm-1", Role.ADMINISTRATOR),
    )


class WithCast:
    """Mixin for a Django TestCase (or Hypothesis's): the cast as class attributes, and
    one case recorded by the author (cls.case)."""

    @classmethod
    def setUpTestData(cls) -> None:
        members = cast()
        for field in fields(Cast):
            setattr(cls, field.name, getattr(members, field.name))
        cls.case = factories.case(members.author)


class CastTestCase(WithCast, TestCase):
    """A TestCase with the cast."""
