from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods

from casebook import access
from casebook.permissions import overseen_cases
from casebook.views import case_or_404, case_url


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Why must you open this case now?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=access.MIN_BREAK_GLASS_REASON,
        max_length=2000,
        help_text=_(
            "Auditors see this reason next to your name. Do not write testimony or names here."
        ),
    )


@sensitive_variables()
@case_url
@require_http_methods(["GET", "POST"])
def case_break_glass(request, reference):
    """A supervisor opens an overseen case not shared with them, giving a written reason."""
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
            {"record": record, "case": record.case, "can_edit": False, "can_delete": False},
        )
    status = 400 if form.is_bound else 200
    return render(
        request, "casebook/case_break_glass.html", {"form": form, "case": case}, status=status
    )
