from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casebook import services
from casebook.forms import CaseCreateForm, CaseEditForm, CaseFilterForm
from casebook.models import Team
from casebook.permissions import Access, grant_holders, listed_cases, visible_cases
from casebook.roles import Role, role_of, role_required
from casebook.views import case_or_404


@role_required(Role.CASEWORKER, Role.SUPERVISOR)
def case_list(request):
    is_supervisor = role_of(request.user) == Role.SUPERVISOR
    filter_form = CaseFilterForm(request.GET or None)
    cases = (
        listed_cases(request.user, include_overseen=is_supervisor)
        .filter(**filter_form.filters())
        .select_related("author")
        .order_by("-created_at", "-id")
    )
    page = Paginator(cases, settings.CASEBOOK_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    ids = [case.pk for case in rows]
    # A caseworker's list holds only visible cases; a supervisor's also holds closed ones.
    openable = set(ids)
    if is_supervisor:
        openable = set(visible_cases(request.user).filter(pk__in=ids).values_list("pk", flat=True))
    holders = grant_holders(ids) if is_supervisor else {}
    entries = [
        {"case": case, "openable": case.pk in openable, "holders": holders.get(case.pk)}
        for case in rows
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "casebook/case_list.html",
        {
            "page": page,
            "entries": entries,
            "filter_form": filter_form,
            "is_supervisor": is_supervisor,
            "query": query.urlencode(),
        },
    )


@role_required(Role.CASEWORKER)
@require_http_methods(["GET", "POST"])
def case_create(request):
    teams = Team.objects.filter(group__user=request.user)
    if not teams.exists():
        messages.error(request, _("You are not on a team yet. Ask an administrator to add you."))
        return redirect("casebook:case_list")
    form = CaseCreateForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        case = services.case_create(
            author=request.user, team=form.cleaned_data["team"], pattern=form.pattern()
        )
        messages.success(request, _("Case %(reference)s recorded.") % {"reference": case.reference})
        return redirect("casebook:case_detail", reference=case.reference)
    return render(
        request, "casebook/case_form.html", {"form": form, "case": None}, status=_status(form)
    )


@login_required
def case_detail(request, reference):
    case = case_or_404(
        visible_cases(request.user).prefetch_related("sub_patterns", "perpetrators"), reference
    )
    can_edit = visible_cases(request.user, Access.CHANGE).filter(pk=case.pk).exists()
    return render(request, "casebook/case_detail.html", {"case": case, "can_edit": can_edit})


@login_required
@require_http_methods(["GET", "POST"])
def case_edit(request, reference):
    case = case_or_404(
        visible_cases(request.user, Access.CHANGE).prefetch_related("sub_patterns", "perpetrators"),
        reference,
    )
    if request.method == "GET":
        initial = {**CaseEditForm.initial_from(case), "version": case.version}
        form = CaseEditForm(initial=initial)
        return render(request, "casebook/case_form.html", {"form": form, "case": case})
    form = CaseEditForm(request.POST)
    if form.is_valid():
        try:
            services.case_update(
                case=case,
                editor=request.user,
                expected_version=form.cleaned_data["version"],
                pattern=form.pattern(),
            )
        except services.StaleCase:
            form.add_error(
                None,
                _(
                    "Someone else saved this case after you opened it, so your changes were "
                    "not saved. Open the case again to see the current version."
                ),
            )
            return render(
                request, "casebook/case_form.html", {"form": form, "case": case}, status=409
            )
        messages.success(request, _("Case %(reference)s saved.") % {"reference": case.reference})
        return redirect("casebook:case_detail", reference=case.reference)
    return render(request, "casebook/case_form.html", {"form": form, "case": case}, status=400)


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200
