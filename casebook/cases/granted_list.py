"""The unfiltered case list of someone who holds grants, as PostgreSQL reads it: two
hand-written statements, each prepared once per connection (casebook.db.prepared).

It reads the grant tables and the case table only, with the view permission only; who
may hold grants, and which teams a supervisor oversees, is decided before it is built
(casebook.cases.selectors). The list every page view opens on: composing the querysets
of its parts, and having PostgreSQL plan their text anew each time, cost more than
reading the page did.
"""

from dataclasses import dataclass, replace
from typing import ClassVar, cast

from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS
from django.db.models import prefetch_related_objects

from casebook.db import Position, columns_of, prepared
from casebook.models import CasePattern

# The case model's content type, by which the grants' permissions are looked up (a
# codename alone could someday match another model's too).
CASE_TYPE = (
    "(SELECT id FROM django_content_type WHERE app_label = 'casebook' AND model = 'casepattern')"
)


def permission_id(codename: str) -> str:
    """The id of the case permission `codename` (an SQL text: a quoted constant or a
    placeholder), looked up where it is used: a statement planned once per connection
    finds it in one small index read, and a copy kept in the process would outlive the
    tests' flushes (which give the permissions new ids)."""
    return (
        f"(SELECT id FROM auth_permission WHERE codename = {codename}"  # noqa: S608
        f" AND content_type_id = {CASE_TYPE})"
    )


_VIEW = permission_id("'view_casepattern'")
_COUNTED = f"""
    SELECT count(*) FROM (
        SELECT content_object_id FROM casebook_caseusergrant
         WHERE user_id = %s AND permission_id = {_VIEW}
        UNION
        SELECT content_object_id FROM casebook_casegroupgrant
         WHERE group_id = ANY(%s::integer[]) AND permission_id = {_VIEW}
        UNION
        SELECT id FROM casebook_casepattern WHERE team_id = ANY(%s::integer[])
        LIMIT %s
    ) AS listed"""  # noqa: S608 -- constants only
_CASE_FIELDS, _CASE_COLUMNS = columns_of(CasePattern)
# Each listed case's author by name, read with the page (every list shows it).
_AUTHOR = "(SELECT username FROM auth_user WHERE auth_user.id = casebook_casepattern.author_id)"


def _page_statement(
    *, after: bool, newest_first: bool, columns: str = f"{_CASE_COLUMNS}, {_AUTHOR}"
) -> str:
    """The rows of a page of the list, read from the cursor (`after` it) in one direction:
    a page of ids from the direct grants' index, from each group's grants (one index
    range per group, so that a case shared with two of the person's teams cannot crowd
    the LIMIT), and from each overseen team's cases, each with a LIMIT; the first ids of
    them all, once each; then those cases' `columns`. The groups and teams come as
    arrays, so that the statement is the same whoever reads it."""
    way, past = ("DESC", "<") if newest_first else ("ASC", ">")

    def ids(key: str, moment: str, table: str, holder: str) -> str:
        cut = f" AND ({moment}, {key}) {past} (%s, %s)" if after else ""
        return (
            f"SELECT {key} AS id, {moment} AS created_at FROM {table} WHERE {holder}{cut} "  # noqa: S608
            f"ORDER BY {moment} {way}, {key} {way} LIMIT %s"
        )

    direct = ids(
        "content_object_id",
        "case_created_at",
        "casebook_caseusergrant",
        f"user_id = %s AND permission_id = {_VIEW}",
    )
    shared = ids(
        "content_object_id",
        "case_created_at",
        "casebook_casegroupgrant",
        f"group_id = holder.id AND permission_id = {_VIEW}",
    )
    overseen = ids("id", "created_at", "casebook_casepattern", "team_id = team.id")
    return f"""
        SELECT {columns} FROM casebook_casepattern WHERE id IN (
            SELECT id FROM (
                ({direct})
                UNION ALL
                (SELECT shared.* FROM unnest(%s::integer[]) AS holder (id),
                    LATERAL ({shared}) AS shared)
                UNION ALL
                (SELECT overseen.* FROM unnest(%s::integer[]) AS team (id),
                    LATERAL ({overseen}) AS overseen)
            ) AS parts
            GROUP BY id, created_at ORDER BY created_at {way}, id {way} LIMIT %s
        ) ORDER BY created_at {way}, id {way}"""  # noqa: S608 -- constants only


# By (from a cursor, newest first): the first page, older pages, newer pages.
_PAGES = {
    (after, newest_first): _page_statement(after=after, newest_first=newest_first)
    for after, newest_first in ((False, True), (True, True), (True, False))
}

# The first page's reference, category and year only: what the "same survivor as..."
# picker lists of each case.
_PICKED = _page_statement(
    after=False, newest_first=True, columns='"reference", "primary_category", "year"'
)


@dataclass(frozen=True)
class GrantedList:
    """The unfiltered list newest first of the person `person`, in the groups `groups`,
    overseeing the teams `teams` (a supervisor's, in their list only): a
    casebook.db.StatementList."""

    person: int
    groups: tuple[int, ...]
    teams: tuple[int, ...]
    related: tuple[str, ...] = ()

    COUNTED: ClassVar[str] = _COUNTED

    @staticmethod
    def statement(*, after: bool, newest_first: bool = True) -> str:
        """The statement that reads a page: the first (not `after` a cursor), or one
        after a cursor, going older (`newest_first`) or newer."""
        return _PAGES[(after, newest_first)]

    @property
    def order(self) -> tuple[str, ...]:
        return ("-created_at", "-id")

    def counted(self, limit: int) -> int:
        values = [self.person, list(self.groups), list(self.teams), limit]
        [(total,)] = prepared(_COUNTED, values)
        return int(total)

    def page(self, cursor: Position | None, *, newest_first: bool, limit: int) -> list[CasePattern]:
        past = list(cursor or ())
        values = [
            *(self.person, *past, limit),
            *(list(self.groups), *past, limit),
            *(list(self.teams), *past, limit),
            limit,
        ]
        statement = self.statement(after=cursor is not None, newest_first=newest_first)
        authors: dict[int, User] = {}  # most of a page is often one person's
        cases = [_with_author(row, authors) for row in prepared(statement, values)]
        if others := [field for field in self.related if field != "author"]:
            prefetch_related_objects(cases, *others)
        return cases

    def picked(self, limit: int) -> list[tuple[str, str, int]]:
        """The first `limit` cases' reference, category and year, newest first."""
        values = [self.person, limit, list(self.groups), limit, list(self.teams), limit, limit]
        return cast(list[tuple[str, str, int]], prepared(_PICKED, values))

    def select_related(self, *fields: str) -> "GrantedList":
        """The same list, whose cases come with these related rows: the author always
        (its id and username, read with the page), any other in one more query each,
        like select_related's."""
        return replace(self, related=(*self.related, *fields))


_AUTHOR_FIELD = CasePattern._meta.get_field("author")


def _with_author(row: tuple[object, ...], authors: dict[int, User]) -> CasePattern:
    """A case from a page's row, its author (id and username only; anything else of the
    account would be read when asked for) attached as select_related attaches it, one
    account object per author of the page."""
    case = CasePattern.from_db(DEFAULT_DB_ALIAS, _CASE_FIELDS, row[:-1])
    author = authors.get(case.author_id)
    if author is None:
        named = (case.author_id, row[-1])
        author = User.from_db(DEFAULT_DB_ALIAS, ["id", "username"], named)
        authors[case.author_id] = author
    _AUTHOR_FIELD.set_cached_value(case, author)
    return case
