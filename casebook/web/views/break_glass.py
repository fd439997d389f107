"""Break-glass: a supervisor opens an overseen case not shared with them, with a reason."""

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_variables

from casebook.cases import access
from casebook.cases.selectors import overseen_cases
from casebook.web.client import SignedInRequest, submitted
from casebook.web.decorators import case_methods, case_or_404, case_url
from casebook.web.forms.oversight import BreakGlassForm

PENDING = "casebook_break_glass"  # session key: the one opening a reason has paid for


@sensitive_variables()
@case_url
@case_methods("GET", "POST")
def case_break_glass(request: SignedInRequest, reference: str) -> HttpResponse:
    """The reason is posted, then the case is opened by the GET that follows: one reason,
    one reading. A reload finds nothing pending and asks for a reason again."""
    case = case_or_404(request, overseen_cases(request.user), reference)
    pending = request.session.get(PENDING)
    if request.method == "GET" and pending and pending.get("reference") == reference:
        del request.session[PENDING]
        try:
            record = access.case_break_glass(
                supervisor=request.user, reference=reference, reason=pending["reason"]
            )
        except access.CaseNotFound:
            raise Http404 from None
        return render(
            request,
            "casebook/case_detail.html",
            {"record": record, "can_edit": False, "can_delete": False},
        )
    form = BreakGlassForm(submitted(request))
    if request.method == "POST" and form.is_valid():
        request.session[PENDING] = {"reference": reference, "reason": form.cleaned_data["reason"]}
        return redirect("casebook:case_break_glass", reference=reference)
    status = 400 if form.is_bound else 200
    return render(
        request, "casebook/case_break_glass.html", {"form": form, "case": case}, status=status
    )
