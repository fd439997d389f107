"""Keyset pages ("newer / older") for the case lists: each page is read in order with a
LIMIT from where the last one stopped, so a deep page costs what the first one does,
and the total is counted only up to COUNT_LIMIT."""

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

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


def _parse(text: str | None) -> tuple[dt.datetime, uuid.UUID] | None:
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
    rows: QuerySet[Any],
    order: tuple[str, ...],
    *,
    older: str | None,
    newer: str | None,
    size: int,
    parts: list[QuerySet[Any]] | None = None,
) -> KeysetPage:
    """The page of `rows` (ordered by `order`, newest first: ("-created_at", "-id")) just
    after the cursor `older`, or just before `newer`; the first page without either.

    With `parts` (querysets whose union is `rows`), each part's page is read on its own
    and the pages merged: `rows` is then only counted (and may be the rows' ids)."""
    field = order[0].lstrip("-")
    total = rows.order_by()[: COUNT_LIMIT + 1].count()
    after, before = _parse(older), _parse(newer)
    sources = parts or [rows]
    if before is not None:
        moment, pk = before
        chunk = _merged(
            [
                source.filter(
                    Q(**{f"{field}__gte": moment}) & ~Q(**{field: moment, "pk__lte": pk})
                ).order_by(field, "id")[: size + 1]
                for source in sources
            ],
            field,
            newest_first=False,
        )[: size + 1]
        more_newer = len(chunk) > size
        page = list(reversed(chunk[:size]))
        return KeysetPage(
            page,
            newer=_cursor(page[0], field) if page and more_newer else "",
            older=_cursor(page[-1], field) if page else "",
            total=total,
        )
    if after is not None:
        moment, pk = after
        # "At or before the cursor's moment, but not at it with a greater or equal id":
        # an index range on the moment (an OR of the two would scan).
        sources = [
            source.filter(Q(**{f"{field}__lte": moment}) & ~Q(**{field: moment, "pk__gte": pk}))
            for source in sources
        ]
    chunk = _merged(
        [source.order_by(*order)[: size + 1] for source in sources], field, newest_first=True
    )[: size + 1]
    page = chunk[:size]
    return KeysetPage(
        page,
        newer=_cursor(page[0], field) if page and after is not None else "",
        older=_cursor(page[-1], field) if len(chunk) > size else "",
        total=total,
    )


def _merged(pages: list[QuerySet[Any]], field: str, *, newest_first: bool) -> list[Any]:
    """The rows of every page, once each (a case may be in two parts), in order."""
    if len(pages) == 1:
        return list(pages[0])
    rows = {row.pk: row for page in pages for row in page}
    return sorted(
        rows.values(),
        key=lambda row: (getattr(row, field), uuid.UUID(str(row.pk))),
        reverse=newest_first,
    )
