"""Releasing aggregate tables from snapshots, against the privacy-budget ledger.

- A release is made from one snapshot and reused, free, for the same table (its
  dimensions in the whitelist's order), snapshot and settings (epsilon, threshold,
  rounding, contribution bounds). A release made under other settings is never served.
- A fresh export is charged to the requester's monthly budget, the monthly budget of
  all exports, and the dataset's lifetime budget. The dashboard's monthly refresh is
  charged to the dashboard's own monthly budget and the lifetime budget. Coalition
  bundles (casebook.coalition) have a ledger of their own, counted in the lifetime
  budget here as well.
- When a budget would be exceeded nothing is counted or spent. The answer is the latest
  release of that table under the current settings (from an earlier snapshot), with a
  notice, or, when there is none, a refusal. What decides it is the schedule, the
  requests made and the budgets: never whether counted data changed. No answer says
  what colleagues spent.
- Budget checks and charges are serialised (an advisory lock on PostgreSQL), so two
  requests at once cannot both spend the last of a budget. The ledger lives in the
  database, so spent budget survives restarts.
- Every release, reuse and stand-in is recorded in the access log with its dimensions
  and epsilon, never with counts.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casebook.aggregates import disclosure
from casebook.aggregates.ledger import Budget, budget, current_period, next_month
from casebook.aggregates.snapshots import current_snapshot
from casebook.audit import log
from casebook.audit.actions import Action, Actor
from casebook.db import LEDGER_LOCK, advisory_lock, statement_timeout_local
from casebook.models import PrivacyCharge, Release, Snapshot

Purpose = Release.Purpose


class BudgetExhausted(disclosure.DisclosureRefused):
    """The release would exceed a privacy budget, and no earlier one stands in. Nothing
    was spent."""


class NoSnapshotYet(disclosure.DisclosureRefused):
    """No snapshot has been taken yet: nothing can be released."""


@dataclass(frozen=True)
class Served:
    """What answers a request: a release, whether it was charged now, and a notice when
    an earlier release stands in for a fresh one."""

    release: Release
    charged: bool
    asked: list[str]  # the dimensions in the order the request named them
    notice: str = ""


@dataclass(frozen=True)
class Quote:
    """What an export of a table would cost the requester, before they confirm it."""

    names: list[str]  # the dimensions in the order asked
    free: bool  # already released from the current snapshot under these settings
    epsilon: Decimal
    exports_left: int  # fresh tables the requester can still have this month
    exports_per_month: int


def export_quote(*, requester: User, dimensions: str) -> Quote:
    """The cost of exporting `dimensions` now (DisclosureRefused for a bad request).
    Depends only on the schedule, earlier requests and the requester's own budget."""
    asked = disclosure.parse_dimensions(dimensions)
    names = ",".join(d.name for d in disclosure.canonical(asked))
    epsilon = epsilon_for(Purpose.EXPORT)
    snapshot = current_snapshot()
    free = snapshot is not None and (
        valid_releases(Purpose.EXPORT, names).filter(snapshot_taken_for=snapshot.taken_for).exists()
    )
    left = budget(requester)
    return Quote(
        names=[d.name for d in asked],
        free=free,
        epsilon=epsilon,
        exports_left=int(left.supervisor_left // epsilon),
        exports_per_month=int(left.supervisor_limit // epsilon),
    )


def epsilon_for(purpose: str) -> Decimal:
    chosen = disclosure.policy()
    if purpose == Purpose.DASHBOARD:
        return chosen.epsilon_per_dashboard_table
    return chosen.epsilon_per_export


def valid_releases(purpose: str, names: str) -> QuerySet[Release]:
    """The releases of a table that may be served under the current settings."""
    chosen = disclosure.policy()
    return Release.objects.filter(
        purpose=purpose,
        dimensions=names,
        epsilon=epsilon_for(purpose),
        threshold=chosen.threshold,
        rounding_base=chosen.rounding_base,
        cases_per_person=chosen.cases_per_person,
        codes_per_case=chosen.codes_per_case,
        snapshot_taken_for__isnull=False,
    )


def _shortfall(needed: Decimal, left: Budget, purpose: str) -> str:
    """Why a fresh release cannot be made, or "" when the budgets allow it. Says the
    requester's own budget, or only that no fresh table can be made until a date."""
    if purpose == Purpose.EXPORT and needed > left.supervisor_left:
        return _(
            "This table needs epsilon %(needed)s; your privacy budget left this month is "
            "%(left)s, and it renews on %(renews)s. Nothing was spent."
        ) % {
            "needed": needed,
            "left": left.supervisor_left,
            "renews": date_format(next_month(), "Y-m-d"),
        }
    if needed > left.lifetime_left:
        return _(
            "No fresh tables can be released any more: the dataset's lifetime privacy "
            "budget is spent. The latest releases remain available. Nothing was spent."
        )
    month_left = left.exports_left if purpose == Purpose.EXPORT else left.dashboard_left
    if needed > month_left:
        return _(
            "No fresh tables can be released until %(date)s; the latest releases remain "
            "available. Nothing was spent."
        ) % {"date": date_format(next_month(), "Y-m-d")}
    return ""


def _record(actor: Actor, release: Release, names: str, epsilon: str, result: str) -> None:
    log.record(
        Action.EXPORT_CREATE,
        actor=actor,
        target=f"release:{release.pk}",
        details={"dimensions": names, "epsilon": epsilon, "result": result},
    )


def _fresh(
    dims: list[disclosure.Dimension],
    purpose: str,
    snapshot: Snapshot,
    requester: User | None,
) -> Release:
    chosen = disclosure.policy()
    epsilon = epsilon_for(purpose)
    table = disclosure.noisy_table(dims, epsilon, chosen, snapshot)
    release = Release.objects.create(
        purpose=purpose,
        dimensions=",".join(d.name for d in dims),
        snapshot_number=snapshot.pk,
        snapshot_taken_for=snapshot.taken_for,
        epsilon=epsilon,
        scale=table.scale,
        threshold=chosen.threshold,
        rounding_base=chosen.rounding_base,
        cases_per_person=chosen.cases_per_person,
        codes_per_case=chosen.codes_per_case,
        method=table.method,
        published=table.published,
        requested_by=requester,
    )
    PrivacyCharge.objects.create(
        period=current_period(),
        supervisor=requester if purpose == Purpose.EXPORT else None,
        epsilon=epsilon,
        release=release,
    )
    return release


def release_table(*, requester: User, dimensions: str) -> Served:
    """An export of the table named by `dimensions`, from the current snapshot.

    Raises DisclosureRefused for a bad request, NoSnapshotYet before the first snapshot,
    and BudgetExhausted when a budget would be exceeded and no earlier release of the
    table stands in; none of them spends anything.
    """
    asked = disclosure.parse_dimensions(dimensions)
    dims = disclosure.canonical(asked)
    names = ",".join(d.name for d in dims)
    order = [d.name for d in asked]
    actor = Actor.of(requester)
    with transaction.atomic():
        statement_timeout_local(settings.CASEBOOK_EXPORT_STATEMENT_TIMEOUT_MS)
        advisory_lock(LEDGER_LOCK)
        snapshot = current_snapshot()
        if snapshot is None:
            raise NoSnapshotYet(
                _("No statistics yet: the first snapshot of the data has not been taken.")
            )
        releases = valid_releases(Purpose.EXPORT, names)
        reuse = releases.filter(snapshot_taken_for=snapshot.taken_for).first()
        if reuse is not None:
            _record(actor, reuse, names, "0", "reused_export")
            return Served(reuse, charged=False, asked=order)
        epsilon = epsilon_for(Purpose.EXPORT)
        shortfall = _shortfall(epsilon, budget(requester), Purpose.EXPORT)
        if shortfall:
            stand_in = releases.order_by("-snapshot_taken_for").first()
            if stand_in is None:
                raise BudgetExhausted(shortfall)
            _record(actor, stand_in, names, "0", "stand_in_budget_spent")
            return Served(stand_in, charged=False, asked=order, notice=shortfall)
        release = _fresh(dims, Purpose.EXPORT, snapshot, requester)
        _record(actor, release, names, str(epsilon), "new_export")
    return Served(release, charged=True, asked=order)


def release_for_dashboard(*, dimensions: str, snapshot: Snapshot) -> Release | None:
    """The dashboard's release of a table for `snapshot`: an export release of the same
    table, snapshot and settings when one exists (free), else a fresh one charged to
    the dashboard's budget; None when that budget cannot pay for it."""
    dims = disclosure.canonical(disclosure.parse_dimensions(dimensions))
    names = ",".join(d.name for d in dims)
    actor = Actor.system("casebook_jobs")
    with transaction.atomic():
        advisory_lock(LEDGER_LOCK)
        for purpose in (Purpose.EXPORT, Purpose.DASHBOARD):
            reuse = (
                valid_releases(purpose, names).filter(snapshot_taken_for=snapshot.taken_for).first()
            )
            if reuse is not None:
                _record(actor, reuse, names, "0", "reused_for_dashboard")
                return reuse
        epsilon = epsilon_for(Purpose.DASHBOARD)
        if _shortfall(epsilon, budget(None), Purpose.DASHBOARD):
            return None
        release = _fresh(dims, Purpose.DASHBOARD, snapshot, None)
        _record(actor, release, names, str(epsilon), "new_dashboard")
    return release
