"""Keyset pages ("newer / older") for the case lists: each page is read in order with a
LIMIT from where the last one stopped, so a deep page costs what the first one does,
and the total is counted only up to COUNT_LIMIT."""

import datetime as dt
import operator
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import Q, QuerySet

from casebook.db import Position, RowsByIds, StatementList

COUNT_LIMIT = 1000
CURSOR = re.compile(r"^(\d{1,20})\.([0-9a-f]{32})$")


@dataclass(frozen=True)
class KeysetPage:
    rows: list[Any]
    newer: str  # the cursor of the page before this one ("" on the first page)
    older: str  # the cursor of the page after this one ("" on the last page)
    total: int  # how many rows there are, counted up to COUNT_LIMIT + 1


def _cursor(row: Any, field: str) -> str:
    moment: dt.datetime = getattr(row, field)
    micros = int(moment.timestamp()) * 1_000_000 + moment.microsecond
    return f"{micros}.{uuid.UUID(str(row.pk)).hex}"


def _parse(text: str | None) -> Position | None:
    found = CURSOR.match(text or "")
    if found is None:
        return None
    micros = int(found.group(1))
    try:
        moment = dt.datetime.fromtimestamp(micros // 1_000_000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.replace(microsecond=micros % 1_000_000), uuid.UUID(found.group(2))


def keyset_page(
    rows: QuerySet[Any] | StatementList,
    order: tuple[str, ...],
    *,
    older: str | None,
    newer: str | None,
    size: int,
    parts: Sequence[QuerySet[Any] | RowsByIds | StatementList] | None = None,
) -> KeysetPage:
    """The page of `rows` (ordered by `order`, newest first: ("-created_at", "-id")) just
    after the cursor `older`, or just before `newer`; the first page without either.

    With `parts` (querysets whose union is `rows`, RowsByIds read as ids, or lists that
    read themselves), each part's page is read on its own and the pages merged: `rows` is
    then only counted (and may be the rows' ids). A first page that holds every row is
    not counted again: its total is its length."""
    field = order[0].lstrip("-")
    after, before = _parse(older), _parse(newer)
    newest_first = before is None
    cursor = after if newest_first else before
    chunk = _merged(
        [_part_page(part, order, cursor, newest_first, size + 1) for part in parts or [rows]],
        field,
        newest_first=newest_first,
    )[: size + 1]
    total = len(chunk) if cursor is None and len(chunk) <= size else _counted(rows)
    if not newest_first:
        more_newer = len(chunk) > size
        page = list(reversed(chunk[:size]))
        return KeysetPage(
            page,
            newer=_cursor(page[0], field) if page and more_newer else "",
            older=_cursor(page[-1], field) if page else "",
            total=total,
        )
    page = chunk[:size]
    return KeysetPage(
        page,
        newer=_cursor(page[0], field) if page and after is not None else "",
        older=_cursor(page[-1], field) if len(chunk) > size else "",
        total=total,
    )


def _counted(rows: QuerySet[Any] | StatementList) -> int:
    if isinstance(rows, QuerySet):
        return rows.order_by()[: COUNT_LIMIT + 1].count()
    return rows.counted(COUNT_LIMIT + 1)


def _part_page(
    part: QuerySet[Any] | RowsByIds | StatementList,
    order: tuple[str, ...],
    cursor: Position | None,
    newest_first: bool,
    limit: int,
) -> Iterable[Any]:
    """The first `limit` rows of `part` past the cursor, in the page's direction.

    Read by ids, they are among the first `limit` ids of each of its indexes: one query
    asks for the rows of those ids, each index read on its own with a LIMIT (SQLite runs
    no LIMIT inside a UNION: the indexes' pages are ORed)."""
    field = order[0].lstrip("-")
    if isinstance(part, QuerySet):
        return _in_order(part, field, "pk", cursor, newest_first)[:limit]
    if part.order != order:
        raise ValueError(f"a list read in the order {part.order}, not {order}")
    if not isinstance(part, RowsByIds):
        return part.page(cursor, newest_first=newest_first, limit=limit)
    pages = [
        _in_order(ids.source, ids.moment, ids.key, cursor, newest_first).values(ids.key)[:limit]
        for ids in part.ids
    ]
    if not pages:
        return part.rows.none()
    wanted = reduce(operator.or_, (Q(pk__in=page) for page in pages))
    return _in_order(part.rows.filter(wanted), field, "pk", None, newest_first)[:limit]


def _in_order(
    rows: QuerySet[Any], moment: str, key: str, cursor: Position | None, newest_first: bool
) -> QuerySet[Any]:
    """`rows` past the cursor, ordered by (moment, key) newest first or oldest first."""
    if cursor is not None:
        at, pk = cursor
        # "At or before the cursor's moment, but not at it with a greater or equal id"
        # (or after, going newer): an index range on the moment (an OR would scan).
        if newest_first:
            rows = rows.filter(Q(**{f"{moment}__lte": at}) & ~Q(**{moment: at, f"{key}__gte": pk}))
        else:
            rows = rows.filter(Q(**{f"{moment}__gte": at}) & ~Q(**{moment: at, f"{key}__lte": pk}))
    sign = "-" if newest_first else ""
    return rows.order_by(f"{sign}{moment}", f"{sign}{key}")


def _merged(pages: list[Iterable[Any]], field: str, *, newest_first: bool) -> list[Any]:
    """The rows of every page, once each (a case may be in two parts), in order."""
    if len(pages) == 1:
        return list(pages[0])
    rows = {row.pk: row for page in pages for row in page}
    return sorted(
        rows.values(),
        key=lambda row: (getattr(row, field), uuid.UUID(str(row.pk))),
        reverse=newest_first,
    )
