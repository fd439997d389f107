"""The privacy budget: what the ledger (casebook.models.releases' charges, and the
coalition's, casebook.coalition) has spent, and what is left to spend this month and
over the dataset's lifetime. casebook.aggregates.releases checks and charges it."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from casebook.aggregates import disclosure
from casebook.db import prepared
from casebook.models import CoalitionCharge, PrivacyCharge, Release

Purpose = Release.Purpose


def current_period(now: dt.datetime | None = None) -> str:
    return (now or timezone.now()).strftime("%Y-%m")


def next_month(now: dt.datetime | None = None) -> dt.date:
    today = (now or timezone.now()).date()
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _spent(charges: QuerySet[PrivacyCharge] | QuerySet[CoalitionCharge]) -> Decimal:
    return charges.aggregate(total=Sum("epsilon"))["total"] or Decimal(0)


def lifetime_spent() -> Decimal:
    """Epsilon spent over the dataset's lifetime: exports, the dashboard, and the
    coalition's bundles (casebook.coalition), which pay nothing else of this ledger."""
    return _spent(PrivacyCharge.objects.all()) + _spent(CoalitionCharge.objects.all())


@dataclass(frozen=True)
class Budget:
    """What is left to spend. Only `supervisor_left` is ever shown to a supervisor."""

    supervisor_left: Decimal
    supervisor_limit: Decimal
    exports_left: Decimal  # this month, all supervisors' exports together
    dashboard_left: Decimal  # this month
    lifetime_left: Decimal


# The ledger's sums and the coalition's, in one statement prepared once per connection
# (casebook.db.prepared) on PostgreSQL: every view of the dashboard shows the budget, and
# composing the ORM's two aggregates cost more than the rest of its page did.
_SUMS = f"""
    SELECT SUM(charge.epsilon),
        SUM(charge.epsilon) FILTER (
            WHERE charge.period = %s AND charge.supervisor_id IS NOT DISTINCT FROM %s),
        SUM(charge.epsilon) FILTER (WHERE charge.period = %s AND released.purpose = %s),
        SUM(charge.epsilon) FILTER (WHERE charge.period = %s AND released.purpose = %s),
        (SELECT SUM(coalition.epsilon) FROM {CoalitionCharge._meta.db_table} AS coalition)
      FROM {PrivacyCharge._meta.db_table} AS charge
      JOIN {Release._meta.db_table} AS released ON released.id = charge.release_id"""  # noqa: S608 -- table names only


def _spent_sums(supervisor: User | None, month: str) -> dict[str, Decimal]:
    """What the ledger holds over its lifetime, and in `month` for `supervisor`, for
    all exports and for the dashboard; and what the coalition's ledger holds."""
    if connection.vendor == "postgresql":
        [row] = prepared(
            _SUMS,
            [month, supervisor and supervisor.pk, month, Purpose.EXPORT.value]
            + [month, Purpose.DASHBOARD.value],
        )
        totals = dict(
            zip(("lifetime", "own", "exports", "dashboard", "coalition"), row, strict=True)
        )
    else:
        period = Q(period=month)
        totals = PrivacyCharge.objects.aggregate(
            lifetime=Sum("epsilon"),
            own=Sum("epsilon", filter=period & Q(supervisor=supervisor)),
            exports=Sum("epsilon", filter=period & Q(release__purpose=Purpose.EXPORT)),
            dashboard=Sum("epsilon", filter=period & Q(release__purpose=Purpose.DASHBOARD)),
        )
        totals["coalition"] = _spent(CoalitionCharge.objects.all())
    return {name: total or Decimal(0) for name, total in totals.items()}


def budget(supervisor: User | None) -> Budget:
    chosen = disclosure.policy()
    spent = _spent_sums(supervisor, current_period())
    lifetime_left = chosen.global_lifetime_budget - spent["lifetime"] - spent["coalition"]
    own = spent["own"] if supervisor is not None else Decimal(0)
    exports, dashboard = spent["exports"], spent["dashboard"]
    return Budget(
        supervisor_left=max(Decimal(0), chosen.supervisor_monthly_budget - own),
        supervisor_limit=chosen.supervisor_monthly_budget,
        exports_left=max(Decimal(0), chosen.global_monthly_budget - exports),
        dashboard_left=max(Decimal(0), chosen.dashboard_monthly_budget - dashboard),
        lifetime_left=max(Decimal(0), lifetime_left),
    )
