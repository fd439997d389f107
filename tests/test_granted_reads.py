"""Opening a case reads it, its codes, what its reader may also do with it and the
survivor's other cases in one prepared statement on PostgreSQL: it finds exactly what
the ORM's read (SQLite's) finds, for every reader, case and access."""

import uuid

from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm

from casebook.cases import selectors
from casebook.cases.granted_reads import STATEMENT, CaseToOpen
from casebook.cases.records import Pattern, SurvivorLink
from casebook.cases.selectors import Access, case_to_open, visible_cases
from casebook.cases.services import case_create
from casebook.cases.sharing import case_share
from casebook.models import CasePattern
from tests import factories
from tests.cast import CastTestCase

MISSING = "CB-0000-0000"


def compared(found: CaseToOpen | None) -> tuple | None:
    """What a read found, down to the sealed bytes."""
    if found is None:
        return None
    case = found.case
    return (
        case.pk,
        case.reference,
        case.version,
        bytes(case.key.wrapped),
        case.key.kek_version,
        bytes(case.testimony.narrative),
        case.testimony.confirmed_identifiers,
        found.sub_patterns,
        found.perpetrators,
        found.may_change,
        found.may_delete,
        found.same_survivor_as,
    )


class CaseToOpenTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # The author's case (cls.case), a second case of its survivor, and a colleague's
        # case of the same survivor that the author cannot open.
        cls.linked = case_create(
            author=cls.author,
            team=cls.alpha,
            pattern=factories.pattern(sub_patterns=frozenset({"sold_by_broker", "resold"})),
            testimony=factories.FICTIONAL_TESTIMONY,
            survivor=SurvivorLink(reference=cls.case.reference),
        )
        cls.colleagues = factories.case(cls.colleague)
        CasePattern.objects.filter(pk=cls.colleagues.pk).update(
            survivor_group=CasePattern.objects.get(pk=cls.case.pk).survivor_group
        )
        cls.team_shared = factories.case(cls.author)
        case_share(supervisor=cls.supervisor, case=cls.case, user=cls.colleague)
        case_share(supervisor=cls.supervisor, case=cls.team_shared, team=cls.alpha)
        assign_perm("view_casepattern", cls.supervisor, cls.linked)
        cls.outsiders = factories.case(cls.outsider)

    def readers(self) -> list[User]:
        # As a request has them: fresh, with nothing remembered of their groups or teams.
        names = (self.author, self.colleague, self.outsider, self.supervisor, self.auditor)
        return [User.objects.get(pk=user.pk) for user in names]

    def references(self) -> list[str]:
        cases = (self.case, self.linked, self.colleagues, self.team_shared, self.outsiders)
        return [case.reference for case in cases] + [MISSING]

    def test_the_prepared_read_finds_what_the_orm_s_read_finds(self):
        found = 0
        for reader in self.readers():
            for reference in self.references():
                for access in (Access.VIEW, Access.CHANGE):
                    prepared = case_to_open(reader, reference, access)
                    # The ORM's read, as SQLite's installations make it.
                    through_orm = selectors._read_through_orm(
                        visible_cases(reader, access), reader, reference
                    )
                    assert compared(prepared) == compared(through_orm), (reader, reference)
                    found += prepared is not None
        # Each caseworker's own and shared cases, viewed and changed; the supervisor's grant.
        assert found == 15

    def test_the_other_prepared_reads_find_what_the_orm_finds(self):
        from unittest import mock

        from casebook.cases import listing
        from casebook.cases.granted_reads import openable_prepared
        from casebook.cases.listing import linkable_cases
        from casebook.cases.selectors import openable_among, submitted_case

        submission = uuid.uuid4()
        CasePattern.objects.filter(pk=self.linked.pk).update(submission=submission)
        ids = list(CasePattern.objects.values_list("pk", flat=True))

        def reads(vendor: str) -> list:
            found = []
            database = mock.Mock(vendor=vendor)
            with (
                mock.patch("casebook.cases.selectors.connection", database),
                mock.patch("casebook.cases.listing.connection", database),
                mock.patch.object(listing, "GrantedList", wraps=listing.GrantedList) as picker,
                mock.patch.object(selectors, "openable_prepared", wraps=openable_prepared) as some,
            ):
                for reader in self.readers():
                    found.append(
                        (
                            linkable_cases(reader),
                            linkable_cases(reader, besides=self.case.reference),
                            openable_among(reader, ids),
                            submitted_case(reader, submission),
                        )
                    )
                # Each vendor's own reads ran: the prepared ones on PostgreSQL only.
                assert picker.called == some.called == (vendor == "postgresql")
            return found

        prepared, through_orm = reads("postgresql"), reads("sqlite")
        assert prepared == through_orm
        author = prepared[0]
        assert author[3] == self.linked.reference and self.case.reference not in {
            reference for reference, _, _ in author[1]
        }
        assert len(author[2]) == 3  # the author's two and the team's shared one

    def test_what_each_reader_may_do_and_which_of_the_survivor_s_cases_they_see(self):
        author, colleague, _, supervisor, _ = self.readers()
        own = case_to_open(author, self.case.reference)
        assert (own.may_change, own.may_delete) == (True, True)
        assert own.same_survivor_as == (self.linked.reference,)  # never the colleague's
        base = factories.BASE_PATTERN
        assert (own.sub_patterns, own.perpetrators) == (base.sub_patterns, base.perpetrators)
        shared = case_to_open(colleague, self.case.reference)
        assert (shared.may_change, shared.may_delete) == (True, False)
        assert shared.same_survivor_as == (self.colleagues.reference,)
        through_team = case_to_open(colleague, self.team_shared.reference, Access.CHANGE)
        assert through_team is not None and not through_team.may_delete
        granted = case_to_open(supervisor, self.linked.reference)
        assert (granted.may_change, granted.may_delete) == (False, True)  # overseen team
        assert granted.sub_patterns == {"sold_by_broker", "resold"}
        assert case_to_open(supervisor, self.linked.reference, Access.CHANGE) is None
        assert case_to_open(supervisor, self.case.reference) is None

    def test_an_account_that_may_hold_no_grants_opens_nothing_and_asks_nothing(self):
        superuser = User.objects.get(pk=self.author.pk)
        superuser.is_superuser = True
        auditor = User.objects.get(pk=self.auditor.pk)
        assign_perm("view_casepattern", auditor, self.case)
        for user in (superuser, auditor):
            with CaptureQueriesContext(connection) as seen:
                assert case_to_open(user, self.case.reference) is None
            assert STATEMENT not in [query["sql"] for query in seen.captured_queries]

    def test_a_caseworker_s_case_page_reads_the_case_in_one_statement(self):
        factories.sign_in(self.client, self.author)
        with CaptureQueriesContext(connection) as seen:
            page = self.client.get(f"/cases/{self.case.reference}/")
        assert page.status_code == 200
        assert f'href="/cases/{self.linked.reference}/"' in page.content.decode()
        cases_read = [q["sql"] for q in seen.captured_queries if "casebook_casepattern" in q["sql"]]
        assert cases_read == [STATEMENT]


class RecordedRowsTests(CastTestCase):
    def test_a_case_recorded_in_one_statement_has_the_rows_the_orm_would_write(self):
        from unittest import mock

        from casebook.cases import access
        from casebook.models import CaseKey, CasePerpetrator, CaseSubPattern, CaseUserGrant

        pattern = factories.pattern(
            sub_patterns=frozenset({"resold", "sold_by_broker"}),
            perpetrators=frozenset({"broker", "family"}),
        )

        def recorded(vendor: str) -> tuple:
            # The way services.case_create writes (its other statements as they are).
            with mock.patch("casebook.cases.services.connection", mock.Mock(vendor=vendor)):
                case = case_create(
                    author=self.author,
                    team=self.alpha,
                    pattern=pattern,
                    testimony=factories.FICTIONAL_TESTIMONY,
                    submission=uuid.uuid4(),
                )
            stored = CasePattern.objects.get(pk=case.pk)
            assert (stored.created_at, stored.reference) == (case.created_at, case.reference)
            grants = CaseUserGrant.objects.filter(content_object=case)
            opened = access.case_read(user=self.author, reference=case.reference)
            key = CaseKey.objects.get(case=case)
            return (
                {name: getattr(stored, name) for name in Pattern.SCALARS},
                (stored.author_id, stored.team_id, stored.version),
                set(CaseSubPattern.objects.filter(case=case).values_list("code", flat=True)),
                set(CasePerpetrator.objects.filter(case=case).values_list("code", flat=True)),
                (key.kek_version, key.generation, len(bytes(key.wrapped))),
                set(grants.values_list("user_id", "permission__codename", "case_created_at"))
                == {(self.author.pk, a.value, stored.created_at) for a in Access},
                opened.testimony,
                opened.pattern,
            )

        assert recorded("postgresql") == recorded("sqlite")

    def test_a_form_submitted_twice_writes_nothing_the_second_time(self):
        from django.db import IntegrityError

        from casebook.models import CaseKey, CaseTestimony, CaseUserGrant

        submission = uuid.uuid4()

        def record() -> CasePattern:
            return case_create(
                author=self.author,
                team=self.alpha,
                pattern=factories.pattern(),
                testimony=factories.FICTIONAL_TESTIMONY,
                submission=submission,
            )

        def counts() -> list[int]:
            tables = (CasePattern, CaseKey, CaseTestimony, CaseUserGrant)
            return [table.objects.count() for table in tables]

        first = record()
        before = counts()
        with self.assertRaises(IntegrityError):
            record()
        assert counts() == before and CasePattern.objects.filter(pk=first.pk).exists()
