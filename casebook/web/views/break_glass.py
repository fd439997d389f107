"""Break-glass: a supervisor opens an overseen case not shared with them, with a reason."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods

from casebook.cases import access
from casebook.cases.selectors import overseen_cases
from casebook.web.client import SignedInRequest
from casebook.web.decorators import case_or_404, case_url
from casebook.web.forms.oversight import BreakGlassForm


@sensitive_variables()
@case_url
@require_http_methods(["GET", "POST"])
def case_break_glass(request: SignedInRequest, reference: str) -> HttpResponse:
    """The reason goes to the access log; each opening is one reading, nothing is shared."""
    case = case_or_404(request, overseen_cases(request.user), reference)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = access.case_break_glass(
                supervisor=request.user, reference=reference, reason=form.cleaned_data["reason"]
            )
        except access.CaseNotFound:
            raise Http404 from None
        return render(
            request,
            "casebook/case_detail.html",
            {"record": record, "can_edit": False, "can_delete": False},
        )
    status = 400 if form.is_bound else 200
    return render(
        request, "casebook/case_break_glass.html", {"form": form, "case": case}, status=status
    )
