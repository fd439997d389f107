"""Sharing a case with a caseworker or a team, and revoking it (supervisors)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from casebook.cases.access import record_denial
from casebook.cases.holders import grant_holders
from casebook.cases.selectors import overseen_cases
from casebook.cases.sharing import SharingRefused, case_share, case_unshare, sharing_targets
from casebook.web.client import submitted
from casebook.web.decorators import attempt_label, case_methods, case_or_404, case_url
from casebook.web.forms.oversight import HolderForm


def _page(request, case, share_form, status=200):
    holders = grant_holders([case.pk])[case.pk]
    return render(
        request,
        "casebook/case_sharing.html",
        {"case": case, "holders": holders, "share_form": share_form},
        status=status,
    )


@case_url
@case_methods("GET", "POST")
def case_sharing(request, reference):
    """A supervisor shares a case of a team they oversee; for anyone else it is 404."""
    case = case_or_404(
        request, overseen_cases(request.user).select_related("author", "team"), reference
    )
    people, teams = sharing_targets(request.user)
    form = HolderForm(submitted(request), people=people, teams=teams)
    if request.method == "POST":
        if not form.is_valid():
            record_denial(request.user, case.reference, attempted=attempt_label(request))
            return _page(request, case, form, status=400)
        try:
            user, team = form.chosen()
            shared = case_share(supervisor=request.user, case=case, user=user, team=team)
        except SharingRefused as refusal:
            record_denial(request.user, case.reference, attempted=attempt_label(request))
            form.add_error(None, str(refusal))
            return _page(request, case, form, status=400)
        if shared:
            messages.success(request, _("Case shared."))
        else:
            messages.info(
                request,
                _("They can already open this case: nothing changed."),
            )
        return redirect("casebook:case_sharing", reference=case.reference)
    return _page(request, case, form)


@case_url
@case_methods("POST")
def case_revoke(request, reference):
    case = case_or_404(
        request, overseen_cases(request.user).select_related("author", "team"), reference
    )
    holders = grant_holders([case.pk])[case.pk]
    form = HolderForm(request.POST, people=holders["users"], teams=holders["teams"])
    if not form.is_valid():
        record_denial(request.user, case.reference, attempted=attempt_label(request))
        messages.error(request, _("That person or team does not hold this case."))
        return redirect("casebook:case_sharing", reference=case.reference)
    if request.POST.get("confirm") != "yes":
        # Revoking takes effect at once: say what it does and ask first.
        return render(
            request,
            "casebook/case_revoke_confirm.html",
            {
                "case": case,
                "holder_key": form.cleaned_data["holder"],
                "holder_name": form.chosen_name(),
            },
        )
    try:
        user, team = form.chosen()
        case_unshare(supervisor=request.user, case=case, user=user, team=team)
    except SharingRefused as refusal:
        record_denial(request.user, case.reference, attempted=attempt_label(request))
        messages.error(request, str(refusal))
        return redirect("casebook:case_sharing", reference=case.reference)
    messages.success(request, _("Access revoked."))
    return redirect("casebook:case_sharing", reference=case.reference)
