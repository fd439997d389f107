"""The supervisors' dashboard: charts of the month's released tables, and their budget."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from casebook.aggregates import disclosure, ledger
from casebook.aggregates.dashboard import dashboard_panels
from casebook.roles import Role
from casebook.web.decorators import role_required


@never_cache
@role_required(Role.SUPERVISOR)
@require_safe
def dashboard(request):
    """Charts drawn only from released noisy tables; a page view releases nothing."""
    return render(
        request,
        "casebook/dashboard.html",
        {
            "panels": dashboard_panels(),
            "budget": ledger.budget(request.user),
            "policy": disclosure.policy(),
            "next_refresh": ledger.next_month(),
        },
    )
