"""Failures told truthfully.

- Error pages (handler400/403/404/500) never read the request's body; 400, 500 and 503
  render without context processors (so without the database).
- A malformed body (not a form, not UTF-8, empty, truncated) is refused before
  anything reads it: BodyCheckMiddleware, first in the chain after security.
- A database that cannot be reached is a 503 with Retry-After, whatever part of the
  request (session, lockout, second factor, view) found it out.
- A method an address does not take is a 405 page in words (NotAllowedPageMiddleware).
- A write that committed is reported as done even if something after the commit
  fails (CommittedWriteMiddleware): the person must not enter it again.
- The server's log of a failure names its request id (as in the access log), its kind
  and where in the code, never the path, the request or the exception's message (which
  can carry a case reference).
"""

import logging
import sys
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse

from casebook.web.client import session_cookie_dropped
from casebook.web.refusals import refusal_recorded

RETRY_AFTER_SECONDS = 60
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
BODY_METHODS = ("POST",)  # no view takes PUT or PATCH: those are 405s, unread
UNREACHABLE = (OperationalError, InterfaceError)
ERROR_PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

logger = logging.getLogger("casebook.failures")


def _page(template: str, status: int, context: dict[str, object] | None = None) -> HttpResponse:
    """A page rendered without the request: no context processor runs, so neither the
    body nor the database is touched."""
    response = HttpResponse(render_to_string(template, context or {}), status=status)
    response["Cache-Control"] = "no-store"
    # Set here: such a page may be made outside the middleware that would add them.
    response["Content-Security-Policy"] = ERROR_PAGE_POLICY
    response["X-Frame-Options"] = "DENY"
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page("400.html", 400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)  # with the header: the database is up


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def csrf_refused(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form that expired or did not come from Casebook. Recorded."""
    refusal_recorded(request, "csrf")
    return render(request, "403_csrf.html", status=403)


def database_unreachable() -> HttpResponse:
    response = _page("503.html", 503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 when the cause is a database that cannot be reached (or a timeout
    the database imposed): nothing was saved, and trying again later may work."""
    error = sys.exc_info()[1]
    if isinstance(error, UNREACHABLE) or _timed_out(error):
        response = database_unreachable()
        if request.method == "POST" and request.path == reverse("logout"):
            # Signing out while the sessions cannot be reached: the browser at least
            # forgets its session (the session middleware does not run again here).
            session_cookie_dropped(response)
        return response
    return _page("500.html", 500)


def _timed_out(error: BaseException | None) -> bool:
    """A statement or lock timeout, or a transaction idle too long (PostgreSQL)."""
    cause = getattr(error, "__cause__", None)
    return isinstance(error, DatabaseError) and type(cause).__name__ in {
        "QueryCanceled",
        "LockNotAvailable",
        "IdleInTransactionSessionTimeout",
    }


def _malformed(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    if content_type not in FORM_TYPES:
        return True
    charset = (request.content_params or {}).get("charset", "utf-8").lower()
    if charset.replace("_", "-") not in ("utf-8", "utf8"):
        return True
    try:
        body = request.body
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not body or not declared.isdigit() or int(declared) != len(body):
            return True  # empty, or cut short on the way
        if content_type == FORM_TYPES[0]:
            body.decode("utf-8")
        else:
            boundary = (request.content_params or {}).get("boundary", "")
            if not body.rstrip(b"\r\n").endswith(f"--{boundary}--".encode("ascii", "replace")):
                return True  # a multipart body that never reached its closing boundary
        request.POST  # noqa: B018 -- parsed here, once, so that a broken body fails here
    except (MultiPartParserError, UnicodeDecodeError, ValueError):
        return True
    return False


class BodyCheckMiddleware:
    """Refuse a malformed body with a clear 400 page before CSRF or a view reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in BODY_METHODS and _malformed(request):
            return _page("400.html", 400, {"malformed": True})
        return self.get_response(request)


class NotAllowedPageMiddleware:
    """A 405 (a method the address does not take) says so in words: Django's own is an
    empty page, which a person sees as blank."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.streaming or response.content:
            return response
        page = _page("405.html", 405)
        page["Allow"] = response.get("Allow", "")
        page.cookies = response.cookies  # what the inner middleware set still reaches the browser
        return page


class CommittedWriteMiddleware:
    """Outside the session middleware: when a view committed a case (`committed_write`)
    and the response is nonetheless an error, say that the case was recorded."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        reference = getattr(request, "committed_reference", None)
        if reference and response.status_code >= 400:
            logger.error("a committed write's response failed (status %s)", response.status_code)
            return _page("casebook/recorded_anyway.html", 200, {"reference": reference})
        return response


def committed_write(request: HttpRequest, reference: str) -> None:
    """Mark, right after its commit, that this request recorded the case `reference`."""
    request.committed_reference = reference  # type: ignore[attr-defined]
