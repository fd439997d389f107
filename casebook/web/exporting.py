"""A released table as the file a person or a client downloads."""

import json

from django.http import HttpResponse
from django.utils import translation

from casebook.aggregates import rendering
from casebook.aggregates.releases import Served


def table_response(served: Served, output: str, language: str) -> HttpResponse:
    """CSV (with its HXL row and the snapshot's date in the file name) or JSON, with
    labels in `language`."""
    release = served.release
    with translation.override(language):
        if output == "json":
            body = rendering.as_json(release, served.asked, served.notice)
            return HttpResponse(
                json.dumps(body, ensure_ascii=False), content_type="application/json"
            )
        table = rendering.as_csv(release, served.asked)
    response = HttpResponse(table, content_type="text/csv; charset=utf-8")
    # The snapshot's date names the file: a stand-in release carries an earlier one.
    name = "-".join(served.asked)
    response["Content-Disposition"] = (
        f'attachment; filename="casebook-{name}-{rendering.snapshot_date(release)}.csv"'
    )
    return response
