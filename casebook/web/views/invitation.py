"""Accepting an invitation: the invited person sets their own password and enrols their
own authenticator, and is shown their backup codes once.

Opening the link keeps only the invitation's id in the (signed-out) session, for
OPEN_FOR, and goes on to an address without the token: the token is never stored,
nor in the address of the page that shows the key, nor sent on as a referrer.
"""

import time

import segno
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from casebook.accounts.invitations import (
    InvitationSpent,
    invitation_accept,
    invitation_by_id,
    invitation_find,
)
from casebook.accounts.second_factor import (
    totp_device_pending,
    totp_device_start,
    totp_secret_text,
)
from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.audit.flood import admitted, folded_details
from casebook.web.client import client_ip, submitted
from casebook.web.forms.people import InvitationAcceptForm

OPENED_KEY = "casebook_invitation"  # session: [invitation id, when its link was opened]
DEVICE_KEY = "casebook_invitation_device"
OPEN_FOR = 30 * 60  # seconds to finish setting up after opening the link


@never_cache
@require_GET
def invitation_open(request, token):
    if request.user.is_authenticated:
        # Never signed out by a link: the person signs out first, then opens it again.
        folded = admitted(f"invitation:user:{request.user.pk}")
        if folded is not None:
            log.record(
                Action.ACCOUNT_INVITE_REFUSED,
                actor=Actor.of(request.user),
                outcome=Outcome.DENIED,
                details={"result": "signed_in", **folded_details(folded)},
            )
        return render(
            request, "registration/invitation_invalid.html", {"signed_in": True}, status=409
        )
    invitation = invitation_find(token)
    if invitation is None:
        return _refused(request)
    request.session[OPENED_KEY] = [invitation.pk, time.time()]
    return redirect("invitation_accept")


def _opened(request):
    """The invitation whose link was opened in this session, if still open and recent."""
    kept = request.session.get(OPENED_KEY)
    if not (isinstance(kept, list) and len(kept) == 2 and isinstance(kept[1], float)):
        return None
    if time.time() - kept[1] > OPEN_FOR:
        return None
    return invitation_by_id(kept[0])


def _refused(request):
    """Used, expired, voided or unknown: one page for all, recorded (once a minute per
    address, as other anonymous refusals), never naming the token."""
    folded = admitted(f"invitation:{client_ip(request)}")
    if folded is not None:
        log.record(
            Action.ACCOUNT_INVITE_REFUSED,
            actor=Actor.of(None),
            outcome=Outcome.DENIED,
            details=folded_details(folded),
        )
    return render(request, "registration/invitation_invalid.html", status=404)


@never_cache
@sensitive_post_parameters("new_password1", "new_password2", "token")
@require_http_methods(["GET", "POST"])
def invitation_accept_page(request):
    invitation = _opened(request)
    if invitation is None or request.user.is_authenticated:
        return _refused(request)
    user = invitation.user
    if request.method == "GET":
        # A new key on every visit: a key seen on an abandoned page is never confirmed.
        device = totp_device_start(user)
        request.session[DEVICE_KEY] = device.pk
    else:
        device = totp_device_pending(user, request.session.get(DEVICE_KEY))
        if device is None:
            return redirect("invitation_accept")
    form = InvitationAcceptForm(user, submitted(request))
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["new_password1"]  # the validators have passed
        if device.verify_token(form.code()):
            try:
                codes = invitation_accept(invitation, password=password, device=device)
            except InvitationSpent:
                return _refused(request)
            request.session.pop(OPENED_KEY, None)
            request.session.pop(DEVICE_KEY, None)
            return render(
                request,
                "registration/mfa_backup_codes.html",
                {"codes": codes, "signed_out": True},
            )
        else:
            log.record(Action.AUTH_MFA_FAILED, actor=Actor.of(user), outcome=Outcome.DENIED)
            form.add_error("token", _("That code is not valid. Check the clock of your device."))
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return render(
        request,
        "registration/invitation.html",
        {"form": form, "qr": qr, "secret": totp_secret_text(device), "invited": user},
        status=400 if form.is_bound and form.errors else 200,
    )
