"""Server-rendered SVG bar charts of released (noisy, published) tables. No scripts."""

from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from casebook import taxonomy

BAR, GAP, LABEL_WIDTH, CHART_WIDTH = 16, 4, 260, 640


Cell = dict[str, Any]  # a published cell: {dimension: code, ..., "count": int | "<10"}


def label(dimension: str, code: str | int) -> str:
    choices = taxonomy.VOCABULARIES.get(dimension)
    return str(choices(str(code)).label) if choices else str(code)


def bar_chart(title: str, dimension: str, cells: list[Cell]) -> SafeString:
    """Horizontal bars, one per code; '<threshold' values drawn as an outlined stub."""
    numbers = [c["count"] for c in cells if isinstance(c["count"], int)]
    top = max(numbers, default=0) or 1
    height = len(cells) * (BAR + GAP) + 30
    scale = (CHART_WIDTH - LABEL_WIDTH - 60) / top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{CHART_WIDTH}" '
        f'height="{height}" viewBox="0 0 {CHART_WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for row, cell in enumerate(cells):
        y = 20 + row * (BAR + GAP)
        count = cell["count"]
        name = escape(label(dimension, cell[dimension]))
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR - 4}" text-anchor="end" class="chart-label">'
            f"{name}</text>"
        )
        if isinstance(count, int):
            width = max(1, round(count * scale)) if count else 0
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR}" class="bar"/>'
            )
            parts.append(
                f'<text x="{LABEL_WIDTH + width + 4}" y="{y + BAR - 4}" class="chart-value">'
                f"{count}</text>"
            )
        else:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="8" height="{BAR}" class="bar-suppressed"/>'
            )
            parts.append(
                f'<text x="{LABEL_WIDTH + 12}" y="{y + BAR - 4}" class="chart-value">'
                f"{escape(count)}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- every label and value is escaped above


@dataclass(frozen=True)
class Chart:
    """One drawn chart, its visible caption, and its numbers as rows for a table."""

    caption: str
    svg: SafeString
    rows: list[tuple[str, str]]  # (label, published value) per bar


def charts_for(release_dimensions: list[str], cells: list[Cell], title: str) -> list[Chart]:
    """One chart for a one-way table; small multiples (one per first code, each captioned
    with that code's name) for two-way."""
    if len(release_dimensions) == 1:
        return [_chart(title, title, release_dimensions[0], cells)]
    first, second = release_dimensions[:2]
    charts = []
    for code in dict.fromkeys(cell[first] for cell in cells):
        subset = [cell for cell in cells if cell[first] == code]
        name = label(first, code)
        charts.append(_chart(name, f"{title}: {name}", second, subset))
    return charts


def years_grouped(cells: list[Cell]) -> list[Cell]:
    """Runs of two or more consecutive years shown only as below the threshold become
    one row ("2005–2011", each below it): most years of a small table are, and one bar
    per year would only repeat that. Years with a figure keep their own row."""
    grouped: list[Cell] = []
    run: list[Cell] = []

    def close_run() -> None:
        if len(run) > 1:
            first, last = run[0]["year"], run[-1]["year"]
            each = gettext("%(value)s each year") % {"value": run[0]["count"]}
            grouped.append({"year": f"{first}–{last}", "count": each})
        else:
            grouped.extend(run)
        run.clear()

    for cell in sorted(cells, key=lambda c: int(c["year"])):
        below = not isinstance(cell["count"], int)
        if below and run and int(run[-1]["year"]) == int(cell["year"]) - 1:
            run.append(cell)
            continue
        close_run()
        if below:
            run.append(cell)
        else:
            grouped.append(cell)
    close_run()
    return grouped


def _chart(caption: str, title: str, dimension: str, cells: list[Cell]) -> Chart:
    if dimension == "year":
        cells = years_grouped(cells)
    rows = [(label(dimension, cell[dimension]), str(cell["count"])) for cell in cells]
    return Chart(caption, bar_chart(title, dimension, cells), rows)
