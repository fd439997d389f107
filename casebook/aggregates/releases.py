"""Releasing aggregate tables against the privacy-budget ledger.

- The same table on the same data version is answered with the stored release, at no
  cost: repeating a noisy answer reveals nothing new.
- Otherwise the release is charged to the requesting supervisor's monthly budget and
  to the dataset's global budget, which has a monthly and a lifetime limit (dashboard
  refreshes are charged to the global budget alone). A
  request that would exceed either is refused before anything is counted, and costs
  nothing. The ledger lives in the database, so spent budget survives restarts.
- Budget checks and charges are serialised (an advisory lock on PostgreSQL), so two
  requests at once cannot both spend the last of a budget.
- Every release, and every reuse, is recorded in the access log with its dimensions
  and epsilon, never with counts.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.aggregates import disclosure
from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.db import LEDGER_LOCK, advisory_lock
from casebook.models import DatasetVersion, PrivacyCharge, Release


class BudgetExhausted(disclosure.DisclosureRefused):
    """The release would exceed a privacy budget. Nothing was spent."""


def current_period() -> str:
    return timezone.now().strftime("%Y-%m")


@dataclass(frozen=True)
class Budget:
    supervisor_spent: Decimal
    supervisor_limit: Decimal
    global_spent: Decimal
    global_limit: Decimal
    lifetime_spent: Decimal
    lifetime_limit: Decimal

    @property
    def supervisor_left(self) -> Decimal:
        return max(Decimal(0), self.supervisor_limit - self.supervisor_spent)

    @property
    def global_left(self) -> Decimal:
        """What the whole dataset may still spend: this month, and over its lifetime."""
        month = self.global_limit - self.global_spent
        lifetime = self.lifetime_limit - self.lifetime_spent
        return max(Decimal(0), min(month, lifetime))


def budget(supervisor: User | None, period: str | None = None) -> Budget:
    chosen = disclosure.policy()
    period = period or current_period()
    charges = PrivacyCharge.objects.filter(period=period)
    spent_globally = charges.aggregate(total=Sum("epsilon"))["total"] or Decimal(0)
    spent_by_supervisor = Decimal(0)
    if supervisor is not None:
        spent_by_supervisor = charges.filter(supervisor=supervisor).aggregate(total=Sum("epsilon"))[
            "total"
        ] or Decimal(0)
    ever = PrivacyCharge.objects.aggregate(total=Sum("epsilon"))["total"] or Decimal(0)
    return Budget(
        spent_by_supervisor,
        chosen.supervisor_monthly_budget,
        spent_globally,
        chosen.global_monthly_budget,
        ever,
        chosen.global_lifetime_budget,
    )


def _reusable(
    purpose: str, names: str, version: int, epsilon: Decimal, scale: float
) -> Release | None:
    """A stored release made under today's policy (same epsilon, noise scale, threshold
    and rounding): after a policy change, old releases are not served again."""
    chosen = disclosure.policy()
    releases = Release.objects.filter(
        purpose=purpose,
        dimensions=names,
        epsilon=epsilon,
        scale=scale,
        threshold=chosen.threshold,
        rounding_base=chosen.rounding_base,
    )
    reuse = releases.filter(data_version=version).order_by("-created_at").first()
    if reuse is None and purpose == Release.Purpose.DASHBOARD:
        # The dashboard refreshes at most once per interval, even when data changed.
        interval = timedelta(seconds=disclosure.policy().dashboard_refresh_seconds)
        reuse = (
            releases.filter(created_at__gt=timezone.now() - interval)
            .order_by("-created_at")
            .first()
        )
    return reuse


def release_table(
    *, requester: User, dimensions: str, purpose: str = Release.Purpose.EXPORT
) -> tuple[Release, bool]:
    """The published table for `dimensions` and whether it was newly charged.

    Raises DisclosureRefused for a bad request and BudgetExhausted when a budget would
    be exceeded; neither spends anything.
    """
    dims = disclosure.parse_dimensions(dimensions)
    names = ",".join(d.name for d in dims)
    chosen = disclosure.policy()
    dashboard = purpose == Release.Purpose.DASHBOARD
    epsilon = chosen.epsilon_per_dashboard_table if dashboard else chosen.epsilon_per_export
    actor = Actor.of(requester)
    with transaction.atomic():
        advisory_lock(LEDGER_LOCK)
        version = DatasetVersion.current()
        scale = disclosure.sensitivity(dims, chosen) / float(epsilon)
        reuse = _reusable(purpose, names, version, epsilon, scale)
        if reuse is not None:
            log.record(
                Action.EXPORT_CREATE,
                actor=actor,
                target=f"release:{reuse.pk}",
                details={"dimensions": names, "epsilon": "0", "result": f"reused {purpose}"},
            )
            return reuse, False
        left = budget(None if dashboard else requester)
        if epsilon > left.global_left or (not dashboard and epsilon > left.supervisor_left):
            raise BudgetExhausted(
                _(
                    "This release needs epsilon %(needed)s; the budget left is %(yours)s for "
                    "you and %(dataset)s for the whole dataset. Nothing was spent."
                )
                % {
                    "needed": epsilon,
                    "yours": left.global_left if dashboard else left.supervisor_left,
                    "dataset": left.global_left,
                }
            )
        table = disclosure.noisy_table(dims, epsilon, chosen)
        release = Release.objects.create(
            purpose=purpose,
            dimensions=names,
            data_version=version,
            epsilon=epsilon,
            scale=table.scale,
            threshold=chosen.threshold,
            rounding_base=chosen.rounding_base,
            method=table.method,
            published=table.published,
            requested_by=requester,
        )
        PrivacyCharge.objects.create(
            period=current_period(),
            supervisor=None if dashboard else requester,
            epsilon=epsilon,
            release=release,
        )
        log.record(
            Action.EXPORT_CREATE,
            actor=actor,
            target=f"release:{release.pk}",
            details={"dimensions": names, "epsilon": str(epsilon), "result": f"new {purpose}"},
        )
    return release, True


def latest_release(*, purpose: str, dimensions: str) -> Release | None:
    """The newest stored release of a table, however old (the dashboard's fallback)."""
    return (
        Release.objects.filter(purpose=purpose, dimensions=dimensions)
        .order_by("-created_at")
        .first()
    )
