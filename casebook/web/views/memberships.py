"""A supervisor approves (or declines) people asking to join the teams they oversee."""

import re

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casebook.accounts.memberships import membership_decide, membership_requests_for
from casebook.roles import Role, role_of
from casebook.web.decorators import role_required


@role_required(Role.SUPERVISOR)
@require_http_methods(["GET", "POST"])
def membership_requests(request):
    if request.method == "POST":
        decision = request.POST.get("decision")
        request_id = request.POST.get("request", "")
        well_formed = re.fullmatch(r"[0-9]{1,11}", request_id) is not None
        if decision not in ("approve", "decline") or not well_formed:
            messages.error(request, _("Choose a request and approve or decline it."))
        elif membership_decide(
            supervisor=request.user, request_id=int(request_id), approve=decision == "approve"
        ):
            messages.success(
                request,
                _("Approved: they now see the team's shared cases.")
                if decision == "approve"
                else _("Declined: they do not join the team."),
            )
        else:
            messages.error(request, _("That request was already decided."))
        return redirect("casebook:membership_requests")
    requests = [(item, role_of(item.user)) for item in membership_requests_for(request.user)]
    return render(request, "casebook/membership_requests.html", {"requests": requests})
