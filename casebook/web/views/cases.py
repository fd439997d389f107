"""Recording, reading, editing and deleting cases, and the case list."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_safe

from casebook.accounts.teams import teams_of
from casebook.cases import access, services
from casebook.cases.drafts import drafts_listed
from casebook.cases.holders import holder_names
from casebook.cases.listing import linkable_cases, listed_case_parts, listed_to_count
from casebook.cases.records import Testimony
from casebook.cases.selectors import (
    Access,
    deletable_cases,
    openable_among,
    submitted_case,
    visible_cases,
)
from casebook.roles import Role, role_of
from casebook.web import drafting
from casebook.web.client import submitted
from casebook.web.decorators import (
    attempt_label,
    case_methods,
    case_or_404,
    case_url,
    role_required,
)
from casebook.web.failures import committed_write
from casebook.web.forms.case_list import CaseFilterForm
from casebook.web.forms.cases import CaseCreateForm, CaseDeleteForm, CaseEditForm
from casebook.web.paging import COUNT_LIMIT, keyset_page

TESTIMONY_FIELDS = Testimony.FIELDS
DRAFTS_LISTED = 20
LINK_UNAVAILABLE = gettext_lazy("That case is no longer open to you: choose another.")


@role_required(Role.CASEWORKER, Role.SUPERVISOR)
@require_safe
def case_list(request):
    is_supervisor = role_of(request.user) == Role.SUPERVISOR
    filter_form = CaseFilterForm(request.GET or None)
    filters = filter_form.filters(request.user)
    order = filter_form.order()
    counted = listed_to_count(request.user, include_overseen=is_supervisor, filters=filters)
    parts = listed_case_parts(
        request.user, include_overseen=is_supervisor, filters=filters, order=order
    )
    page = keyset_page(
        counted,
        order,
        older=request.GET.get("older"),
        newer=request.GET.get("newer"),
        size=settings.CASEBOOK_PAGE_SIZE,
        parts=[part.select_related("author") for part in parts],
    )
    rows = page.rows
    ids = [case.pk for case in rows]
    # A caseworker's list holds only visible cases; a supervisor's also holds closed ones.
    openable = set(ids)
    if is_supervisor:
        openable = openable_among(request.user, ids)
    holders = holder_names(ids) if is_supervisor else {}
    drafts = [] if is_supervisor else drafts_listed(request.user, DRAFTS_LISTED)
    entries = [
        {"case": case, "openable": case.pk in openable, "holders": holders.get(case.pk)}
        for case in rows
    ]
    query = request.GET.copy()
    for key in ("older", "newer", "page"):
        query.pop(key, None)
    return render(
        request,
        "casebook/case_list.html",
        {
            "page": page,
            "entries": entries,
            "filter_form": filter_form,
            "is_supervisor": is_supervisor,
            "filtered": bool(filters),
            "drafts": drafts,
            "query": query.urlencode(),
            "count_limit": COUNT_LIMIT,
        },
    )


def _already_recorded(request, reference):
    """A form submitted again after it recorded its case: show that case."""
    messages.info(
        request,
        _("This form had already recorded this case: it was not recorded twice."),
    )
    return redirect("casebook:case_detail", reference=reference)


@sensitive_post_parameters(*TESTIMONY_FIELDS)
@sensitive_variables()
@role_required(Role.CASEWORKER)
@require_http_methods(["GET", "POST"])
def case_create(request):
    teams = teams_of(request.user)
    if not teams:  # read once here; the form counts and picks from what was read
        messages.error(request, _("You are not on a team yet. Ask an administrator to add you."))
        return redirect("casebook:case_list")
    if request.method == "POST" and drafting.SAVE in request.POST:
        return drafting.save_and_return(request, CaseCreateForm, None)
    initial, draft = drafting.reopened(request, CaseCreateForm)
    form = CaseCreateForm(
        submitted(request),
        initial=initial,
        teams=teams,
        linkable=lambda: linkable_cases(request.user),
    )
    if request.method == "POST" and form.is_valid():
        submission = form.cleaned_data["submission"]
        # A form sent again fails on its single-use value (and writes nothing): looked
        # up only then, not before every recording.
        try:
            case = services.case_create(
                author=request.user,
                team=form.cleaned_data["team"],
                pattern=form.pattern(),
                testimony=form.testimony(),
                survivor=form.survivor_link(),
                submission=submission,
            )
        except IntegrityError:  # the same form, submitted again (or twice at once)
            if first := submitted_case(request.user, submission):
                return _already_recorded(request, first)
            # A value spent on a case no longer open to its author: the same form, as
            # typed, with a fresh value, to send once more.
            data = request.POST.copy()
            data["submission"] = str(uuid.uuid4())
            form = CaseCreateForm(data, teams=teams, linkable=lambda: linkable_cases(request.user))
            form.is_valid()
            form.add_error(None, _("This form was already used. Check it and record it again."))
            return render(
                request, "casebook/case_form.html", {"form": form, "case": None}, status=400
            )
        except services.LinkUnavailable:
            form.add_error("same_survivor_as", LINK_UNAVAILABLE)
            return render(
                request,
                "casebook/case_form.html",
                {"form": form, "case": None, "draft": drafting.draft_id(request.POST.get("draft"))},
                status=400,
            )
        committed_write(request, case.reference)
        drafting.destroy_after_saving(request)
        messages.success(request, _("Case recorded."))  # generic: messages travel in a cookie
        return redirect("casebook:case_detail", reference=case.reference)
    status = 400 if form.is_bound else 200
    draft = draft or drafting.draft_id(request.POST.get("draft"))
    return render(
        request,
        "casebook/case_form.html",
        {"form": form, "case": None, "draft": draft},
        status=status,
    )


@sensitive_variables()
@case_url
@case_methods("GET", "HEAD")
def case_detail(request, reference):
    try:
        record = access.case_read(user=request.user, reference=reference)
    except access.CaseNotFound:
        raise Http404 from None
    return render(
        request,
        "casebook/case_detail.html",
        {"record": record, "can_edit": record.may_change, "can_delete": record.may_delete},
    )


@sensitive_post_parameters(*TESTIMONY_FIELDS)
@sensitive_variables()
@case_url
@case_methods("GET", "POST")
def case_edit(request, reference):
    if request.method == "GET":
        try:
            record = access.case_read(user=request.user, reference=reference, access=Access.CHANGE)
        except access.CaseNotFound:
            raise Http404 from None
        from_draft, draft = drafting.reopened(request, CaseEditForm)
        initial = {**CaseEditForm.initial_from(record), "version": record.version, **from_draft}
        form = CaseEditForm(
            initial=initial, linkable=lambda: linkable_cases(request.user, besides=reference)
        )
        return render(
            request, "casebook/case_form.html", {"form": form, "case": record, "draft": draft}
        )
    case = case_or_404(request, visible_cases(request.user, Access.CHANGE), reference)
    if drafting.SAVE in request.POST:
        return drafting.save_and_return(request, CaseEditForm, case)

    def confirmed_before():
        # Inside the encrypted testimony: read (and recorded) only when needed.
        record = access.case_read(user=request.user, reference=reference, access=Access.CHANGE)
        return record.testimony.confirmed_identifiers

    form = CaseEditForm(
        request.POST,
        linkable=lambda: linkable_cases(request.user, besides=reference),
        confirmed_loader=confirmed_before,
    )
    context = {"form": form, "case": case, "draft": drafting.draft_id(request.POST.get("draft"))}
    try:
        valid = form.is_valid()
    except access.CaseNotFound:
        raise Http404 from None
    if not valid:
        return render(
            request,
            "casebook/case_form.html",
            context,
            status=400,
        )
    try:
        services.case_update(
            case=case,
            editor=request.user,
            expected_version=form.cleaned_data["version"],
            pattern=form.pattern(),
            testimony=form.testimony(),
            survivor=form.survivor_link(),
        )
    except services.LinkUnavailable:
        form.add_error("same_survivor_as", LINK_UNAVAILABLE)
        return render(
            request,
            "casebook/case_form.html",
            context,
            status=400,
        )
    except services.CaseUnavailable:
        access.record_denial(request.user, reference, attempted=attempt_label(request))
        raise Http404 from None
    except services.StaleCase:
        form.add_error(
            None,
            _(
                "Someone else saved this case after you opened it, so your changes were "
                "not saved. Open the case again to see the current version."
            ),
        )
        return render(
            request,
            "casebook/case_form.html",
            context,
            status=409,
        )
    committed_write(request, case.reference)
    drafting.destroy_after_saving(request)
    messages.success(request, _("Case saved."))
    return redirect("casebook:case_detail", reference=case.reference)


@case_url
@case_methods("GET", "POST")
def case_delete(request, reference):
    """Delete after the reference is typed again. Shows no testimony."""
    case = case_or_404(request, deletable_cases(request.user), reference)
    form = CaseDeleteForm(submitted(request), case=case)
    if request.method == "POST":
        if form.is_valid():
            services.case_delete(actor=request.user, case=case)
            messages.success(
                request,
                _("Case %(reference)s and its testimony were destroyed.")
                % {"reference": reference},
            )
            return redirect("casebook:case_list")
        return render(
            request,
            "casebook/case_delete.html",
            {"form": form, "case": case},
            status=400,
        )
    return render(
        request,
        "casebook/case_delete.html",
        {"form": form, "case": case},
    )
