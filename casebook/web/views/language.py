"""Choosing the interface language: on every page, signed in or not."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casebook.accounts.preferences import LANGUAGES, language_choose
from casebook.web.middleware import CHOSEN_LANGUAGE

ONE_YEAR = 365 * 24 * 60 * 60


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Remember the language in a cookie and, for a signed-in person, on their account,
    then return to the page it was chosen on (the same-origin Referer; pages do not
    echo their own path, so a missing and a forbidden case stay byte-identical)."""
    language = request.POST.get("language", "")
    if language not in LANGUAGES:
        return HttpResponseBadRequest(_("Choose English or Korean."))
    target = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    if request.user.is_authenticated:
        language_choose(user=request.user, language=language)
        request.session[CHOSEN_LANGUAGE] = language
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=ONE_YEAR,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
