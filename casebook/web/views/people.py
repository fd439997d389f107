"""Administrators' pages: the people with accounts, invitations, unlocking and
deactivating. Every change is recorded and flagged for auditors; nothing here shows
a case, testimony, key, the log or the ledger."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casebook.accounts.administration import (
    CannotDeactivateSelf,
    account_deactivate,
    account_unlock,
    people,
    person,
    person_find,
)
from casebook.accounts.invitations import INVITATION_HOURS, invitation_issue
from casebook.accounts.services import AccountRefused, account_create
from casebook.accounts.teams import team_names
from casebook.roles import Role
from casebook.web.client import submitted
from casebook.web.decorators import role_required
from casebook.web.forms.people import InviteForm


@role_required(Role.ADMINISTRATOR)
@require_GET
def people_list(request):
    return render(request, "casebook/people.html", {"people": people()})


def _person_or_404(user_id):
    user = person_find(user_id)
    if user is None:
        raise Http404
    return user


@role_required(Role.ADMINISTRATOR)
@require_GET
def person_detail(request, user_id):
    found = person(user_id)
    if found is None:
        raise Http404
    return render(request, "casebook/person.html", {"person": found})


def _link_page(request, user, token):
    link = request.build_absolute_uri(reverse("invitation_open", args=[token]))
    return render(  # never cached (the views are never_cache): the link is shown once
        request,
        "casebook/invitation_link.html",
        {"invited": user, "link": link, "hours": INVITATION_HOURS},
    )


@never_cache
@role_required(Role.ADMINISTRATOR)
@require_http_methods(["GET", "POST"])
def person_invite(request):
    form = InviteForm(submitted(request), teams=team_names())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = account_create(
                username=data["username"],
                role=Role(data["role"]),
                team_name=data["team"] or None,
                created_by=request.user,
            )
        except AccountRefused as refusal:
            form.add_error("username", str(refusal))
        else:
            token = invitation_issue(user, made_by=request.user, replace_credentials=False)
            return _link_page(request, user, token)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "casebook/person_invite.html", {"form": form}, status=status)


@never_cache
@role_required(Role.ADMINISTRATOR)
@require_POST
def person_reinvite(request, user_id):
    """A new invitation; with "replace", the old password and devices go first."""
    user = _person_or_404(user_id)
    if not user.is_active:
        messages.error(request, _("A deactivated account cannot be invited."))
        return redirect("casebook:person_detail", user_id=user.pk)
    replace = request.POST.get("replace") == "yes"
    token = invitation_issue(user, made_by=request.user, replace_credentials=replace)
    return _link_page(request, user, token)


@role_required(Role.ADMINISTRATOR)
@require_POST
def person_unlock(request, user_id):
    user = _person_or_404(user_id)
    account_unlock(user, by=request.user)
    messages.success(request, _("Unlocked: the account can sign in again."))
    return redirect("casebook:person_detail", user_id=user.pk)


@role_required(Role.ADMINISTRATOR)
@require_POST
def person_deactivate(request, user_id):
    user = _person_or_404(user_id)
    try:
        account_deactivate(user, by=request.user)
    except CannotDeactivateSelf:
        messages.error(request, _("You cannot deactivate your own account."))
    else:
        messages.success(request, _("Deactivated: the account can no longer sign in."))
    return redirect("casebook:person_detail", user_id=user.pk)
