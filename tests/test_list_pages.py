"""The case list's pages read from the grants in order: every grant carries its case's
creation time, and walking a caseworker's or a supervisor's pages, older then newer,
lists every case they may list exactly once, in order, whatever path leads to it."""

import datetime as dt
import uuid
from unittest import mock

from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from casebook.accounts.teams import team_add_member
from casebook.cases.granted_list import GrantedList
from casebook.cases.listing import listed_case_parts, listed_to_count
from casebook.cases.sharing import case_share
from casebook.models import CaseGroupGrant, CasePattern, CaseUserGrant
from casebook.roles import Role, group_ids_of, role_of
from casebook.web.paging import KeysetPage, keyset_page
from tests import factories
from tests.cast import ALPHA, BETA, CastTestCase

ORDER = ("-created_at", "-id")
MOMENTS = [dt.datetime(2020, 1, day, 9, 30, tzinfo=dt.UTC) for day in (1, 2, 3, 4)]


def recorded_at(moment: dt.datetime, author: User) -> CasePattern:
    """A case recorded (and its author's grants given) at `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return factories.case(author)


def page(user: User, *, older: str | None = None, newer: str | None = None) -> KeysetPage:
    """A page of `user`'s unfiltered list, as the case list reads it (size 2)."""
    overseen = role_of(user) == Role.SUPERVISOR
    return keyset_page(
        listed_to_count(user, include_overseen=overseen, filters={}),
        ORDER,
        older=older,
        newer=newer,
        size=2,
        parts=listed_case_parts(user, include_overseen=overseen, filters={}),
    )


def newest_first(cases: list[CasePattern]) -> list[uuid.UUID]:
    return [c.pk for c in sorted(cases, key=lambda c: (c.created_at, c.pk), reverse=True)]


def walk(user: User) -> tuple[list[list[uuid.UUID]], list[list[uuid.UUID]]]:
    """Every page going older from the first, then every page going newer from the last
    back to the first: (older pages, newer pages), as case ids."""
    older, cursor = [], None
    while True:
        step = page(user, older=cursor)
        older.append([case.pk for case in step.rows])
        if not step.older:
            break
        cursor = step.older
    newer, cursor = [], step.newer
    while cursor:
        step = page(user, newer=cursor)
        newer.append([case.pk for case in step.rows])
        cursor = step.newer
    return older, newer


def assert_walks_every_case_once_in_order(user: User, expected: list[CasePattern]) -> None:
    older, newer = walk(user)
    assert [pk for rows in older for pk in rows] == newest_first(expected)
    assert newer == older[-2::-1]  # back through the same pages to the first
    assert page(user).total == len(expected)


class GrantsCarryTheirCaseCreationTests(CastTestCase):
    def test_the_author_s_grants_carry_the_case_s_creation_time(self):
        case = recorded_at(MOMENTS[0], self.author)
        grants = CaseUserGrant.objects.filter(content_object=case)
        assert grants.count() == 3  # view, change, delete
        assert set(grants.values_list("case_created_at", flat=True)) == {MOMENTS[0]}

    def test_sharing_with_a_person_or_a_team_carries_the_case_s_time_not_the_sharing_s(self):
        case = recorded_at(MOMENTS[0], self.author)
        case_share(supervisor=self.supervisor, case=case, user=self.colleague)
        case_share(supervisor=self.supervisor, case=case, team=self.alpha)
        shared = CaseUserGrant.objects.filter(content_object=case, user=self.colleague)
        to_team = CaseGroupGrant.objects.filter(content_object=case, group=self.alpha.group)
        assert shared.count() == 2 and to_team.count() == 2  # view and change
        assert set(shared.values_list("case_created_at", flat=True)) == {MOMENTS[0]}
        assert set(to_team.values_list("case_created_at", flat=True)) == {MOMENTS[0]}


class ListPagesTests(TestCase):
    """Cases at four moments, three of them recorded at the same one (ties go by id),
    reaching the lists by every path: their author's grants, a direct share, a team
    share, both at once, oversight, and a grant to the supervisor (one kept from
    before: supervisors are never shared with) on a case they also oversee, and on one
    of a team they do not."""

    @classmethod
    def setUpTestData(cls):
        cls.alpha = factories.team(ALPHA)
        factories.team(BETA)
        cls.author = factories.user("cw-author", Role.CASEWORKER, ALPHA)
        colleague = factories.user("cw-colleague", Role.CASEWORKER, ALPHA)
        outsider = factories.user("cw-outsider", Role.CASEWORKER, BETA)
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, ALPHA)
        first, tied, third, last = MOMENTS
        own = [recorded_at(moment, cls.author) for moment in (first, tied, tied, tied, third)]
        both, to_team, unshared = (recorded_at(m, colleague) for m in (tied, third, last))
        case_share(supervisor=cls.supervisor, case=both, user=cls.author)
        case_share(supervisor=cls.supervisor, case=both, team=cls.alpha)
        case_share(supervisor=cls.supervisor, case=to_team, team=cls.alpha)
        elsewhere = recorded_at(tied, outsider)
        for case in (own[0], elsewhere):
            assign_perm("view_casepattern", cls.supervisor, case)
        cls.caseworker_sees = [*own, both, to_team]
        cls.supervisor_sees = [*own, both, to_team, unshared, elsewhere]

    def test_a_caseworker_s_pages_list_every_visible_case_once_in_order(self):
        assert_walks_every_case_once_in_order(self.author, self.caseworker_sees)

    def test_a_supervisor_s_pages_list_overseen_and_granted_cases_once_in_order(self):
        assert_walks_every_case_once_in_order(self.supervisor, self.supervisor_sees)

    def test_a_page_is_two_statements_read_from_the_grants_in_order_with_a_limit(self):
        # As a request reads it: the person (role, groups, overseen teams) once, then the
        # page and the count, each one prepared statement whoever reads it.
        for user in (self.author, self.supervisor):
            person = User.objects.get(pk=user.pk)
            cursor = page(person).older
            with CaptureQueriesContext(connection) as captured:
                again = page(person, older=cursor)
            assert len(again.rows) == 2
            assert len(captured) == 2
            read, counted = (query["sql"] for query in captured.captured_queries)
            assert counted == GrantedList.COUNTED and read == GrantedList.statement(after=True)
            # Each grant index (the person's own, each group's) and each overseen team's
            # is read in the list's order with a LIMIT, then the page's cases.
            assert read.count("case_created_at DESC, content_object_id DESC LIMIT %s") == 2
            assert "unnest(%s::integer[]) AS holder (id)" in read
            assert "created_at DESC, id DESC LIMIT %s" in read

    def test_a_first_page_that_holds_every_row_is_its_own_count(self):
        # One statement, and the total is what the page holds. A first page with more
        # after it, and any page after a cursor, are counted.
        for user, sees in (
            (self.author, self.caseworker_sees),
            (self.supervisor, self.supervisor_sees),
        ):
            overseen = user == self.supervisor
            person = User.objects.get(pk=user.pk)
            parts = listed_case_parts(person, include_overseen=overseen, filters={})
            counted = listed_to_count(person, include_overseen=overseen, filters={})
            for size, statements in ((len(sees), 1), (len(sees) - 1, 2)):
                with CaptureQueriesContext(connection) as captured:
                    first = keyset_page(
                        counted, ORDER, older=None, newer=None, size=size, parts=parts
                    )
                assert len(captured) == statements
                assert [case.pk for case in first.rows] == newest_first(sees)[:size]
                assert first.total == len(sees)

    def test_accounts_that_may_hold_no_grants_list_nothing_on_this_path(self):
        superuser = User.objects.get(pk=self.author.pk)
        superuser.is_superuser = True
        two_roles = User.objects.get(pk=self.author.pk)
        two_roles.groups.add(Group.objects.get(name=Role.AUDITOR.value))
        for user in (superuser, two_roles):
            parts = listed_case_parts(user, include_overseen=False, filters={})
            empty = keyset_page(
                listed_to_count(user, include_overseen=False, filters={}),
                ORDER,
                older=None,
                newer=None,
                size=2,
                parts=parts,
            )
            assert empty.rows == [] and empty.total == 0


class TwoTeamsTests(TestCase):
    """A caseworker on two teams, with four cases shared with both: each case comes
    through both teams' grants, and still fills its page once."""

    @classmethod
    def setUpTestData(cls):
        alpha, gamma = factories.team(ALPHA), factories.team("Test Team Gamma")
        writer = factories.user("cw-writer", Role.CASEWORKER, ALPHA)
        cls.reader = factories.user("cw-reader", Role.CASEWORKER, ALPHA)
        cls.sees = [recorded_at(MOMENTS[0] - dt.timedelta(days=1), cls.reader)]
        team_add_member(team=gamma, user=cls.reader, role=Role.CASEWORKER)
        supervisor = factories.user("sup-alpha", Role.SUPERVISOR, ALPHA)
        team_add_member(team=gamma, user=supervisor, role=Role.SUPERVISOR)
        for moment in MOMENTS:
            case = recorded_at(moment, writer)
            for team in (alpha, gamma):
                case_share(supervisor=supervisor, case=case, team=team)
            cls.sees.append(case)

    def test_cases_shared_with_two_of_one_s_teams_are_listed_once_each_in_order(self):
        reader = User.objects.get(pk=self.reader.pk)  # as a request loads them: both teams
        assert len(group_ids_of(reader)) == 3  # the role's group and the two teams'
        assert_walks_every_case_once_in_order(reader, self.sees)
