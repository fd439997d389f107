"""Views parse input, call one permission query or service, and render.

They never query case models directly (tests/test_boundaries.py keeps it so).
"""

from django.db.models import QuerySet
from django.http import Http404


def case_or_404(cases: QuerySet, reference: str):
    """The case with this reference among `cases`.

    Missing and forbidden cases both raise the same Http404, so the answer never
    tells whether a reference exists.
    """
    case = cases.filter(reference=reference).first()
    if case is None:
        raise Http404
    return case
