import datetime as dt

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from casebook.cases import services
from casebook.cases.sharing import case_share
from casebook.models import CasePattern
from casebook.roles import Role
from tests import factories
from tests.cast import CastTestCase

LIST = reverse("casebook:case_list")
MOMENT = dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC)


class CaseListTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.alpha = factories.team("Test Team Alpha")
        factories.team("Test Team Beta")
        cls.author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        cls.colleague = factories.user("cw-colleague", Role.CASEWORKER, "Test Team Alpha")
        cls.outsider = factories.user("cw-outsider", Role.CASEWORKER, "Test Team Beta")
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha")
        cls.own = [
            factories.case(cls.author, primary_category="trafficking", year=2019),
            factories.case(cls.author, primary_category="detention", year=2020),
            factories.case(
                cls.author, primary_category="detention", year=2021, current_status="repatriated"
            ),
        ]
        cls.foreign = factories.case(cls.outsider)
        cls.shared = factories.case(cls.colleague, primary_category="forced_marriage")
        case_share(supervisor=cls.supervisor, case=cls.shared, user=cls.author)

    def references(self, response) -> set[str]:
        return {entry["case"].reference for entry in response.context["entries"]}

    def test_list_shows_exactly_the_visible_cases(self):
        factories.sign_in(self.client, self.author)
        response = self.client.get(LIST)
        assert response.status_code == 200
        assert self.references(response) == {c.reference for c in [*self.own, self.shared]}
        assert self.foreign.reference.encode() not in response.content

    def test_rows_name_category_and_status_in_the_reader_s_language(self):
        factories.sign_in(self.client, self.author)
        english = self.client.get(LIST, {"status": "repatriated"}).content.decode()
        assert "<td>Detention</td>" in english and "<td>Repatriated</td>" in english
        self.client.cookies["django_language"] = "ko"
        korean = self.client.get(LIST, {"status": "repatriated"}).content.decode()
        assert "<td>구금</td>" in korean and "<td>북송됨</td>" in korean

    def test_a_code_outside_the_taxonomy_shows_as_itself(self):
        case = CasePattern(primary_category="retired_code", current_status="unknown")
        assert case.category_label == "retired_code"
        with translation.override("en"):  # whatever language an earlier request left active
            assert case.status_label == "Unknown"

    def test_filters_by_category_year_and_status(self):
        factories.sign_in(self.client, self.author)
        by_category = self.client.get(LIST, {"category": "detention"})
        assert self.references(by_category) == {self.own[1].reference, self.own[2].reference}
        by_year = self.client.get(LIST, {"year": "2019"})
        assert self.own[0].reference in self.references(by_year)
        assert self.own[1].reference not in self.references(by_year)
        by_status = self.client.get(LIST, {"status": "repatriated"})
        assert self.references(by_status) == {self.own[2].reference}

    def test_invalid_filters_are_reported_and_ignored_never_500(self):
        factories.sign_in(self.client, self.author)
        for params in (
            {"category": "nonsense"},
            {"year": "1700"},
            {"year": "x" * 5000},
            {"status": ["a", "b"]},
            {"page": "-1"},
            {"older": "9999999999999999999.ffffffffffffffffffffffffffffffff"},
            {"newer": "x" * 500},
            {"older": "1.0"},
        ):
            response = self.client.get(LIST, params)
            assert response.status_code == 200, params
        response = self.client.get(LIST, {"category": "nonsense"})
        assert "Select a valid choice" in response.content.decode()
        assert len(self.references(response)) == 4

    def test_a_filter_that_is_not_valid_is_left_out_and_the_valid_ones_apply(self):
        factories.sign_in(self.client, self.author)
        for language, heading in (
            ("en", "These filters were not applied (the others were)"),
            ("ko", "다음 필터는 적용되지 않았습니다"),
        ):
            self.client.cookies["django_language"] = language
            response = self.client.get(LIST, {"category": "detention", "year": "abc"})
            page = response.content.decode()
            assert response.status_code == 200 and heading in page, language
            assert "Nothing was saved" not in page and "저장되지 않았습니다" not in page
            assert self.references(response) == {self.own[1].reference, self.own[2].reference}
        self.client.cookies["django_language"] = "en"
        # The oldest case changed last: newest changed first, it leads the list.
        CasePattern.objects.filter(pk=self.own[0].pk).update(updated_at=timezone.now())
        newest_changed = self.client.get(LIST, {"sort": "updated", "status": "nonsense"})
        listed = [entry["case"].reference for entry in newest_changed.context["entries"]]
        assert len(listed) == 4 and listed[0] == self.own[0].reference
        assert 'value="updated" selected' in newest_changed.content.decode()

    def test_supervisor_sees_team_cases_with_grants_but_opens_only_shared_ones(self):
        factories.sign_in(self.client, self.supervisor)
        response = self.client.get(LIST)
        entries = {e["case"].reference: e for e in response.context["entries"]}
        assert set(entries) == {c.reference for c in [*self.own, self.shared]}
        assert not any(e["openable"] for e in entries.values())
        assert entries[self.shared.reference]["holders"]["users"] == [
            "cw-author",
            "cw-colleague",
        ]
        detail = reverse("casebook:case_detail", args=[self.own[0].reference])
        assert f'href="{detail}"'.encode() not in response.content

    def test_a_supervisor_s_rows_name_the_holders_and_link_sharing_and_break_glass(self):
        case_share(supervisor=self.supervisor, case=self.shared, team=self.alpha)
        factories.sign_in(self.client, self.supervisor)
        for language, team in (("en", "Team Test Team Alpha"), ("ko", "Test Team Alpha 팀")):
            self.client.cookies["django_language"] = language
            page = self.client.get(LIST).content.decode()
            row = page[page.index(f'<th scope="row">{self.shared.reference}</th>') :]
            row = row[: row.index("</tr>")]
            assert f"{team}, cw-author, cw-colleague" in " ".join(row.split())
            for name in ("casebook:case_sharing", "casebook:case_break_glass"):
                assert f'href="{reverse(name, args=[self.shared.reference])}"' in row

    def test_rows_are_escaped(self):
        from casebook.web.templatetags.casebook import case_rows

        case = CasePattern(reference="CB-0000-0001", primary_category="<b>code</b>")
        case.author = self.author
        case.created_at = case.updated_at = MOMENT
        holders = {"teams": ["<script>x</script>"], "users": ["<i>name</i>"]}
        rows = case_rows([{"case": case, "openable": True, "holders": holders}], True)
        assert "<b>" not in rows and "<script>" not in rows and "<i>" not in rows
        assert "&lt;b&gt;code&lt;/b&gt;" in rows and "&lt;script&gt;x&lt;/script&gt;" in rows
        assert 'href="/cases/CB-0000-0001/"' in rows and "<td>2026-06-15</td>" in rows

    def test_supervisor_filters_by_year_or_status_never_reveal_closed_cases(self):
        factories.sign_in(self.client, self.supervisor)
        by_category = self.client.get(LIST, {"category": "detention"})
        assert self.references(by_category) == {self.own[1].reference, self.own[2].reference}
        for params in ({"year": "2021"}, {"status": "repatriated"}, {"year": "2019"}):
            response = self.client.get(LIST, params)
            assert self.references(response) == set(), params
        # Beside a filter that is not valid, the valid ones keep the same rule.
        with_bad_category = self.client.get(LIST, {"year": "2021", "category": "nonsense"})
        assert self.references(with_bad_category) == set()
        with_bad_year = self.client.get(LIST, {"category": "detention", "year": "abc"})
        assert self.references(with_bad_year) == {self.own[1].reference, self.own[2].reference}

    def test_auditor_and_administrator_have_no_case_list(self):
        for username, role in (("auditor-1", Role.AUDITOR), ("admin-1", Role.ADMINISTRATOR)):
            factories.sign_in(self.client, factories.user(username, role))
            assert self.client.get(LIST).status_code == 403

    def test_list_pages_go_older_and_back_newer_by_keyset(self):
        with self.settings(CASEBOOK_PAGE_SIZE=2):
            factories.sign_in(self.client, self.author)
            first = self.client.get(LIST)
            page = first.context["page"]
            assert page.newer == "" and page.older and page.total == 4
            second = self.client.get(LIST, {"older": page.older})
            back = self.client.get(LIST, {"newer": second.context["page"].newer})
        assert len(first.context["entries"]) == 2 and len(second.context["entries"]) == 2
        assert not self.references(first) & self.references(second)
        assert second.context["page"].older == ""  # the last page
        assert [e["case"].pk for e in back.context["entries"]] == [
            e["case"].pk for e in first.context["entries"]
        ]
        assert "4 cases" in first.content.decode() and 'rel="next"' in first.content.decode()

    def test_a_supervisor_s_pages_merge_overseen_and_shared_cases_once_each_in_order(self):
        """The supervisor's list is paged part by part (shared with them, their teams')
        and merged: every case once, newest first, across pages, and back."""
        case_share(supervisor=self.supervisor, case=self.own[0], team=self.alpha)  # both parts
        factories.sign_in(self.client, self.supervisor)
        seen, pages, cursor = [], [], None
        with self.settings(CASEBOOK_PAGE_SIZE=2):
            while True:
                response = self.client.get(LIST, {"older": cursor} if cursor else {})
                page = response.context["page"]
                pages.append([e["case"] for e in response.context["entries"]])
                seen += pages[-1]
                if not page.older:
                    break
                cursor = page.older
            back = self.client.get(LIST, {"newer": page.newer}).context["entries"]
        expected = sorted([*self.own, self.shared], key=lambda c: (c.created_at, c.pk))[::-1]
        assert [c.pk for c in seen] == [c.pk for c in expected]
        assert [e["case"].pk for e in back] == [c.pk for c in pages[-2]]


class CaseListQueryCountTests(TestCase):
    """The list's query count does not grow with the number of cases."""

    @classmethod
    def setUpTestData(cls):
        factories.team("Test Team Alpha")
        cls.author = factories.user("cw-author", Role.CASEWORKER, "Test Team Alpha")
        cls.supervisor = factories.user("sup-alpha", Role.SUPERVISOR, "Test Team Alpha")

    def count_queries(self, user) -> int:
        factories.sign_in(self.client, user)
        with CaptureQueriesContext(connection) as queries:
            assert self.client.get(LIST).status_code == 200
        return len(queries)

    def test_query_count_is_constant_for_caseworker_and_supervisor(self):
        factories.case(self.author)
        few = {u.username: self.count_queries(u) for u in (self.author, self.supervisor)}
        for _ in range(12):
            factories.case(self.author)
        for user in (self.author, self.supervisor):
            factories.sign_in(self.client, user)
            with self.assertNumQueries(few[user.username]):
                self.client.get(LIST)


class CaseListSearchTests(CastTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.shared = factories.case(cls.colleague)
        case_share(supervisor=cls.supervisor, case=cls.shared, user=cls.author)

    def setUp(self):
        factories.sign_in(self.client, self.author)

    def listed(self, **params):
        response = self.client.get(reverse("casebook:case_list"), params)
        assert response.status_code == 200
        return [entry["case"].reference for entry in response.context["entries"]]

    def test_search_by_reference_or_its_beginning_in_any_case(self):
        assert self.listed(reference=self.case.reference[:7].lower()) == [self.case.reference]
        assert self.listed(reference="CB-0000-0000") == []
        page = self.client.get(reverse("casebook:case_list"), {"reference": "CB-0000"})
        assert "No case matches these filters." in page.content.decode()
        refused = self.client.get(reverse("casebook:case_list"), {"reference": "CB'; --"})
        assert "letters, digits and dashes only" in refused.content.decode()

    def test_my_cases_and_the_order_by_last_change(self):
        assert self.listed(mine="on") == [self.case.reference]
        assert self.listed() == [self.shared.reference, self.case.reference]  # newest first
        services.case_update(
            case=self.case,
            editor=self.author,
            expected_version=1,
            pattern=factories.pattern(),
            testimony=factories.FICTIONAL_TESTIMONY,
        )
        assert self.listed(sort="updated") == [self.case.reference, self.shared.reference]

    def test_an_empty_list_says_why(self):
        factories.sign_in(self.client, factories.user("cw-new", Role.CASEWORKER, "Test Team Beta"))
        page = self.client.get(reverse("casebook:case_list")).content.decode()
        assert "No case has been shared with you yet." in page


def test_a_supervisor_s_list_joins_id_sets_instead_of_or_ing_across_the_table(db):
    from casebook.cases.listing import listed_cases
    from casebook.roles import Role
    from tests import factories as made

    made.team("Test Team Alpha")
    supervisor = made.user("sup-union", Role.SUPERVISOR, "Test Team Alpha")
    sql = str(listed_cases(supervisor, include_overseen=True, filters={}).query)
    assert "UNION" in sql and " OR " not in sql


def _listed(reference: str, **fields) -> dict:
    """A list entry for a fictional case (unsaved), openable, with no holders shown."""
    from django.contrib.auth.models import User

    case = CasePattern(reference=reference, primary_category="trafficking", year=2019, **fields)
    case.author = User(username="cw-fictional")
    case.created_at = case.updated_at = MOMENT
    return {"case": case, "openable": True, "holders": None}


def _drawn_afresh(entries: list[dict], is_supervisor: bool) -> str:
    from casebook.web.templatetags.casebook import _drawn, _row_cells

    return _drawn(
        "casebook/case_rows.html", {"rows": _row_cells(entries), "is_supervisor": is_supervisor}
    )


def test_kept_rows_are_the_rows_as_drawn_afresh():
    from casebook.web.templatetags import casebook as tags

    tags._kept_rows.rows.clear()
    entries = [_listed("CB-0000-0001"), _listed("CB-0000-0002", current_status="repatriated")]
    entries[1]["openable"] = False
    entries.append({**_listed("CB-0000-0003"), "holders": {"teams": ["A"], "users": ["b"]}})
    for is_supervisor in (False, True):
        first, again = (tags.case_rows(entries, is_supervisor) for _ in range(2))
        assert first == again == _drawn_afresh(entries, is_supervisor)
    assert len(tags._kept_rows.rows) == 6  # each row once per kind of list


def test_a_kept_row_is_drawn_anew_when_anything_it_shows_changes():
    from casebook.web.templatetags import casebook as tags

    tags._kept_rows.rows.clear()
    entry = _listed("CB-0000-0001", current_status="in_china")
    before = tags.case_rows([entry], True)
    changes = [
        lambda: setattr(entry["case"], "current_status", "repatriated"),
        lambda: setattr(entry["case"], "primary_category", "detention"),
        lambda: setattr(entry["case"], "year", 2020),
        lambda: setattr(entry["case"], "updated_at", MOMENT + dt.timedelta(days=1)),
        lambda: setattr(entry["case"].author, "username", "cw-renamed"),
        lambda: entry.update(holders={"teams": [], "users": ["cw-new-holder"]}),
        lambda: entry.update(openable=False),
    ]
    for change in changes:
        change()
        after = tags.case_rows([entry], True)
        assert after != before and after == _drawn_afresh([entry], True)
        before = after
    with translation.override("ko"):
        assert tags.case_rows([entry], True) == _drawn_afresh([entry], True) != before
    entry["case"].updated_at = dt.datetime(2026, 6, 15, 20, tzinfo=dt.UTC)
    utc = tags.case_rows([entry], True)
    with timezone.override("Asia/Seoul"):  # already the next day there
        assert tags.case_rows([entry], True) == _drawn_afresh([entry], True) != utc


def test_kept_rows_are_bounded_in_number_and_in_time(monkeypatch):
    from casebook.web.templatetags import casebook as tags

    monkeypatch.setattr(tags._kept_rows, "limit", 3)
    tags._kept_rows.rows.clear()
    entries = [_listed(f"CB-0000-000{n}") for n in range(1, 8)]
    assert tags.case_rows(entries, False) == _drawn_afresh(entries, False)
    assert 0 < len(tags._kept_rows.rows) <= 3
    monkeypatch.setattr(tags._kept_rows, "limit", 100)
    tags.case_rows(entries, False)
    assert len(tags._kept_rows.rows) == 7
    tags._kept_rows.since -= tags._kept_rows.seconds + 1  # as if they were kept that long
    assert tags.case_rows(entries[:2], False) == _drawn_afresh(entries[:2], False)
    assert len(tags._kept_rows.rows) == 2  # the others dropped


def test_a_row_that_cannot_be_opened_is_kept_without_its_year_or_status():
    from casebook.web.templatetags import casebook as tags

    tags._kept_rows.rows.clear()
    entry = {**_listed("CB-0000-0001", current_status="repatriated"), "openable": False}
    tags.case_rows([entry], True)
    [key] = tags._kept_rows.rows
    assert 2019 not in key and "repatriated" not in key
