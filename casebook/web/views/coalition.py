"""Coalition bundles: a supervisor makes this installation's bundle for a year and
downloads it sealed to the coalition's combiner. Supervisors only.

The page shows the coalition, this installation's public release key and what a
bundle costs; never a count, never what colleagues spent. The download is ciphertext.
"""

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casebook.coalition import bundles
from casebook.coalition.membership import BundleRefused, coalition_status
from casebook.roles import Role
from casebook.web.client import SignedInRequest
from casebook.web.decorators import role_required

RETRY_AFTER_SECONDS = 60  # the scheduler takes the first snapshot within a minute


def year_choices() -> list[tuple[int, int]]:
    return [(year, year) for year in bundles.bundle_years()]


class BundleForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year of the cases"), choices=year_choices, coerce=int)


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def coalition_bundles(request: SignedInRequest) -> HttpResponse:
    """GET: the page. POST: make (or reuse) the year's bundle and download it sealed."""
    form = BundleForm(request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return _page(request, form)
    if request.headers.get("Sec-Fetch-Site", "none") in ("cross-site", "same-site"):
        # A bundle spends privacy budget: only from Casebook's own pages.
        bundles.bundle_refusal_record(requester=request.user, result="cross_site")
        return _page(request, form, str(_("Make bundles from Casebook itself.")), 403)
    if not form.is_valid():
        bundles.bundle_refusal_record(requester=request.user, result="bad_year")
        return _page(request, form, status=400)
    try:
        made = bundles.bundle_make(requester=request.user, year=form.cleaned_data["year"])
    except BundleRefused as refusal:
        response = _page(request, form, str(refusal), refusal.status)
        if refusal.status == 503:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    response = HttpResponse(made.content, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    return response


def _page(
    request: SignedInRequest, form: BundleForm, refusal: str = "", status: int = 200
) -> HttpResponse:
    context = {"form": form, "status": coalition_status(), "refusal": refusal}
    return render(request, "casebook/coalition.html", context, status=status)
