"""Drafts on the case form: "Save draft" (no script needed), reopening, destroying.

A draft keeps exactly what was typed into the case form's own fields, nothing else
(no token, no hidden state), encrypted (casebook.cases.drafts); it is reopened through
the one decrypting path (casebook.cases.access).
"""

import uuid
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.cases import access
from casebook.cases.drafts import DRAFT_DAYS, DraftRefused, draft_destroy, draft_save
from casebook.models import CasePattern
from casebook.web.client import SignedInRequest

SAVE = "save_draft"  # the name of the form's "Save draft" button
AUTOSAVE_HEADER = "X-Casebook-Autosave"  # sent by static/casebook/autosave.js


def draft_id(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def typed(request: HttpRequest, form_class: type[forms.Form]) -> dict[str, list[str]]:
    """What was typed into the form's own fields."""
    return {
        name: request.POST.getlist(name)
        for name in form_class.base_fields
        if name in request.POST and name != "confirm_identifiers"
    }


def save_and_return(
    request: SignedInRequest, form_class: type[forms.Form], case: CasePattern | None
) -> HttpResponse:
    """Keep what was typed as a draft and come back to the form with it."""
    try:
        draft = draft_save(
            author=request.user,
            form=typed(request, form_class),
            case=case,
            draft_id=draft_id(request.POST.get("draft")),
        )
    except DraftRefused:
        raise Http404 from None
    if request.headers.get(AUTOSAVE_HEADER) == "1":
        # The form's script saving once a minute: it keeps the draft's id, no message.
        return JsonResponse({"draft": str(draft.pk), "saved_at": f"{timezone.now():%H:%M}"})
    messages.success(
        request,
        _("Draft saved, encrypted. Only you can open it; it is destroyed after %(days)s days.")
        % {"days": DRAFT_DAYS},
    )
    return redirect(f"{request.path}?{urlencode({'draft': draft.pk})}")


def reopened(
    request: SignedInRequest, form_class: type[forms.Form]
) -> tuple[dict[str, Any], uuid.UUID | None]:
    """The initial values of the form from the draft named in ?draft=, if any (opening it
    is logged); a draft that is not the user's answers 404."""
    wanted = draft_id(request.GET.get("draft"))
    if wanted is None:
        return {}, None
    try:
        record = access.draft_open(author=request.user, draft_id=wanted)
    except access.DraftNotFound:
        raise Http404 from None
    initial: dict[str, Any] = {}
    for name, values in record.form.items():
        field = form_class.base_fields.get(name)
        if field is None:
            continue
        initial[name] = values if isinstance(field, forms.MultipleChoiceField) else values[0]
    return initial, record.id


def destroy_after_saving(request: SignedInRequest) -> None:
    """The case was recorded or saved from a draft: the draft is no longer needed."""
    wanted = draft_id(request.POST.get("draft"))
    if wanted is not None:
        draft_destroy(author=request.user, draft_id=wanted)
