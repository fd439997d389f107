"""The idle limit, checked by the application so that nothing typed is lost.

A session ends after CASEBOOK_IDLE_SECONDS without a request, and at the latest
CASEBOOK_SESSION_LIMIT_SECONDS after signing in. The check runs before the view (and
after the CSRF check), while the session still knows the person: a case form submitted
after the idle limit is kept for them, encrypted, as a draft destroyed within the hour
(recorded in the access log), and after signing in again as that same person they are
taken back to the form with what they typed. Anonymous submissions are never kept.
"""

import datetime as dt
import time
from collections.abc import Callable
from importlib import import_module
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.base import UpdateError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from casebook.cases.drafts import DraftRefused, draft_save
from casebook.cases.selectors import Access, visible_cases
from casebook.web.client import SignedInRequest
from casebook.web.drafting import typed
from casebook.web.forms.cases import CaseCreateForm, CaseEditForm

STARTED, LAST_SEEN = "casebook_started", "casebook_last_seen"
STASH_FOR = dt.timedelta(hours=1)
# The forms whose submissions are kept when they arrive after the idle limit.
STASHABLE: dict[str, type[CaseCreateForm] | type[CaseEditForm]] = {
    "casebook:case_create": CaseCreateForm,
    "casebook:case_edit": CaseEditForm,
}
RENEW_EVERY = 60  # seconds: the last-seen time is written at most once a minute


class IdleSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        now = time.time()
        session = request.session
        started = session.setdefault(STARTED, now)
        last_seen = session.get(LAST_SEEN, now)
        if (
            now - last_seen > settings.CASEBOOK_IDLE_SECONDS
            or now - started > settings.CASEBOOK_SESSION_LIMIT_SECONDS
        ):
            return self._signed_out(cast(SignedInRequest, request), kwargs)
        if LAST_SEEN not in session or now - last_seen > RENEW_EVERY:
            session[LAST_SEEN] = now
        if session.modified:
            # Written now, before the view: nothing writes the session after the view's
            # action has committed (where a failure would wrongly say nothing was saved).
            try:
                session.save()
            except UpdateError:
                # The session's row is gone (signed out in another tab, or cleaned up):
                # the person is signed out here too.
                request.session = import_module(settings.SESSION_ENGINE).SessionStore()
                return redirect_to_login(request.get_full_path())
            session.modified = False
        return None

    def _signed_out(self, request: SignedInRequest, kwargs: dict[str, Any]) -> HttpResponse:
        back_to = request.get_full_path() if request.method == "GET" else request.path
        kept = self._stash(request, kwargs) if request.method == "POST" else None
        logout(request)
        if kept:
            back_to = f"{request.path}?draft={kept}"
            messages.info(
                request,
                _(
                    "You were signed out after a while without activity. What you typed is "
                    "kept, encrypted, for an hour: sign in again to go on."
                ),
            )
        return redirect_to_login(back_to)

    def _stash(self, request: SignedInRequest, kwargs: dict[str, Any]) -> str | None:
        match = request.resolver_match
        form_class = STASHABLE.get(match.view_name) if match else None
        if form_class is None:
            return None
        case = None
        if "reference" in kwargs:
            case = (
                visible_cases(request.user, Access.CHANGE)
                .filter(reference=kwargs["reference"])
                .first()
            )
            if case is None:
                return None
        try:
            draft = draft_save(
                author=request.user, form=typed(request, form_class), case=case, keep_for=STASH_FOR
            )
        except DraftRefused:
            return None
        return str(draft.pk)
