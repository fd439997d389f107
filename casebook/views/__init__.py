"""Views parse input, call one permission query or service, and render.

They never query case models directly (tests/test_boundaries.py keeps it so).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404
from django.views.decorators.cache import never_cache

from casebook.access import record_denial
from casebook.mfa import client_ip


def case_or_404(request, cases: QuerySet, reference: str):
    """The case with this reference among `cases`, or a recorded denial and Http404.

    Missing and forbidden cases both raise the same Http404, so the answer never
    tells whether a reference exists.
    """
    case = cases.filter(reference=reference).first()
    if case is None:
        record_denial(request.user, reference, attempted=_attempt(request))
        raise Http404
    return case


def _attempt(request) -> str:
    name = request.resolver_match.url_name if request.resolver_match else "case"
    return f"{request.method} {name}"[:48]


def case_url(view):
    """For views under /cases/<reference>/: never cached; anonymous visitors are recorded
    and sent to sign in."""

    @never_cache  # case pages never stay in a browser's or proxy's cache
    @wraps(view)
    def wrapper(request, reference, *args, **kwargs):
        if not request.user.is_authenticated:
            # Anonymous refusals: the first per address each minute is recorded, so an
            # unauthenticated flood cannot fill the permanent log.
            if cache.add(f"casebook:recorded:anonymous:{client_ip(request)}", 1, timeout=60):
                record_denial(request.user, reference, attempted=_attempt(request))
            return redirect_to_login(request.get_full_path())
        return view(request, reference, *args, **kwargs)

    return wrapper
