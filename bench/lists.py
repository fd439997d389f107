"""Case lists at a million cases: a caseworker's and a supervisor's list (1,000 visible
each), first page and a deep page, against an unrestricted page of the same size read
from the same cursor (the floor), the two timed alternately so that drift in the
machine's load affects both alike. Both go through the list's own keyset_page (the page
and the bounded count), so the ratio is what restricting to what a person may see
costs."""

from report import Row
from setup import interleaved_medians_ms

TARGET = 1.5
PAGE = 50


def measure() -> list[Row]:
    from django.contrib.auth.models import User

    from casebook.cases.listing import listed_case_parts, listed_to_count
    from casebook.models import CasePattern
    from casebook.web.paging import keyset_page

    order = ("-created_at", "-id")
    rows = []
    for label, username, overseen in (
        ("caseworker list", "bench-author-0", False),
        ("supervisor list", "bench-supervisor-spread", True),
    ):
        person = User.objects.get(username=username)

        def page_of(cursor, person=person, overseen=overseen):
            """The page as the case list reads it: counted over the list, read by part."""
            return keyset_page(
                listed_to_count(person, include_overseen=overseen, filters={}),
                order,
                older=cursor,
                newer=None,
                size=PAGE,
                parts=listed_case_parts(person, include_overseen=overseen, filters={}),
            )

        first = page_of(None)
        assert first.total > 3 * PAGE, f"{username} sees {first.total} cases"
        # A deep page: 18 pages in (of the 20 that 1,000 cases make), or the one before
        # the last in a smaller trial.
        deep_cursor = first.older
        for _ in range(min(17, first.total // PAGE - 3)):
            deep_cursor = page_of(deep_cursor).older
        for depth, cursor in (("first page", None), ("deep page", deep_cursor)):

            def restricted(cursor=cursor, page_of=page_of):
                assert len(page_of(cursor).rows) == PAGE

            def unrestricted(cursor=cursor):
                page = keyset_page(
                    CasePattern.objects.all(), order, older=cursor, newer=None, size=PAGE
                )
                assert len(page.rows) == PAGE

            figure, floor = interleaved_medians_ms(restricted, unrestricted, 100)
            rows.append(
                Row(
                    f"{label}, {depth} (1,000 visible of 1M)",
                    figure,
                    floor,
                    "ms",
                    f"<= {TARGET}x",
                    TARGET,
                    floor_name="unrestricted page",
                )
            )
    return rows
