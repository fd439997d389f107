"""The client behind a request."""

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, QueryDict


class SignedInRequest(HttpRequest):
    """A request that a decorator has let through only when signed in (for typing)."""

    user: User


def client_ip(request: HttpRequest) -> str:
    """The client's address for lockout and flood bounds: the proxy's X-Forwarded-For
    only when CASEBOOK_TRUST_X_FORWARDED_FOR says a trusted proxy sets it."""
    if settings.CASEBOOK_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded).split(",")[-1].strip()[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


def submitted(request: HttpRequest) -> QueryDict | None:
    """The posted form data of a POST, even when it is empty or was not a form (then the
    form is refused with its errors, never shown blank as if nothing was sent); None for
    other methods."""
    return request.POST if request.method == "POST" else None


def session_cookie_dropped(response: HttpResponse) -> HttpResponse:
    """Tell the browser to forget its session (for when the session store cannot)."""
    response.delete_cookie(
        settings.SESSION_COOKIE_NAME,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
    )
    return response
