"""View decorators and helpers: roles, same-origin releases, and case URLs.

Every refusal they make is recorded in the access log.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from casebook.aggregates import disclosure
from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.audit.flood import admitted
from casebook.cases.access import record_denial
from casebook.models import CasePattern
from casebook.roles import Role, role_of
from casebook.web.client import client_ip

View = Callable[..., HttpResponse]


def role_required(*roles: Role) -> Callable[[View], View]:
    """A view decorator: anonymous users go to sign-in, other roles get a recorded 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if role_of(request.user) not in roles:
                log.record(
                    Action.PAGE_DENIED,
                    actor=Actor.of(request.user),
                    outcome=Outcome.DENIED,
                    target=request.resolver_match.view_name if request.resolver_match else "",
                )
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# What a refusal records for a name asked for that is not a dimension's.
NOT_A_DIMENSION = "?"


def record_release_refusal(request: HttpRequest, status: int, asked: str) -> None:
    """Record a refused release as a denial: the dimensions `asked` for (as the API's
    `dimensions` or the builder's fields name them), never counts. A name that is not a
    dimension's is recorded as NOT_A_DIMENSION, never as typed: the log would otherwise
    keep whatever text was put in the address."""
    known = disclosure.dimensions()
    names = [name.strip() for name in asked.split(",") if name.strip()]
    recorded = ",".join(name if name in known else NOT_A_DIMENSION for name in names)
    log.record(
        Action.EXPORT_CREATE,
        actor=Actor.of(request.user),
        outcome=Outcome.DENIED,
        details={"dimensions": recorded[:100], "result": str(status)},
    )


def release_refused(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """A refused release for an API client: recorded, and answered in JSON."""
    record_release_refusal(request, status, request.GET.get("dimensions", ""))
    return JsonResponse({"error": message}, status=status)


def same_origin_only(view: View) -> View:
    """Releases spend privacy budget: refuse requests that another site's page started.

    Browsers mark those with Sec-Fetch-Site; scripts and command-line clients send none.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.headers.get("Sec-Fetch-Site", "none") in ("cross-site", "same-site"):
            return release_refused(request, _("Open exports from Casebook itself."), 403)
        return view(request, *args, **kwargs)

    return wrapper


def attempt_label(request: HttpRequest) -> str:
    """What was attempted on a case URL, for a denial: the method and the page's name."""
    name = request.resolver_match.url_name if request.resolver_match else "case"
    return f"{request.method} {name}"[:48]


def case_or_404(request: HttpRequest, cases: QuerySet[CasePattern], reference: str) -> CasePattern:
    """The case with this reference among `cases`, or a recorded denial and Http404.

    Missing and forbidden cases both raise the same Http404, so the answer never
    tells whether a reference exists.
    """
    case = cases.filter(reference=reference).first()
    if case is None:
        record_denial(request.user, reference, attempted=attempt_label(request))
        raise Http404
    return case


def case_url(view: View) -> View:
    """For views under /cases/<reference>/: never cached; anonymous visitors are recorded
    (the first per address each minute, so a flood cannot fill the permanent log) and
    sent to sign in."""

    @never_cache  # case pages never stay in a browser's or proxy's cache
    @wraps(view)
    def wrapper(request: HttpRequest, reference: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            folded = admitted(f"anonymous:{client_ip(request)}")
            if folded is not None:
                record_denial(
                    request.user, reference, attempted=attempt_label(request), folded=folded
                )
            return redirect_to_login(request.get_full_path())
        return view(request, reference, *args, **kwargs)

    return wrapper


def case_methods(*methods: str) -> Callable[[View], View]:
    """Below case_url: a case URL answers only `methods`. Any other method is a 405,
    recorded as a refused attempt on the reference (once a minute per account and
    reference, repeats counted), the same for a real and a missing one (nothing is
    looked up)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(
            request: HttpRequest, reference: str, *args: Any, **kwargs: Any
        ) -> HttpResponse:
            if request.method not in methods:
                # Once a minute per account and reference; repeats counted (audit.flood).
                folded = admitted(f"405:{reference}:user:{request.user.pk}")
                if folded is not None:
                    record_denial(
                        request.user, reference, attempted=attempt_label(request), folded=folded
                    )
                return HttpResponseNotAllowed(methods)
            return view(request, reference, *args, **kwargs)

        return wrapper

    return decorator
