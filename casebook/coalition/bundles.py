"""Making a coalition bundle on an installation, for a supervisor who sees only ciphertext.

- A bundle holds the coalition's standard tables (documents.STANDARD_TABLES) of one
  calendar year's cases, from the current snapshot: every cell's noisy count before
  threshold and rounding (OpenDP's discrete Laplace, casebook.aggregates.disclosure),
  with the taxonomy version, code lists, epsilon, sensitivity and noise scale. It is
  signed with the installation's release key and sealed to the combiner's public key
  inside the server: the supervisor downloads ciphertext only.
- Bundles are made only for the coalition's years: those the members file lists, or
  else the last CASEBOOK_COALITION_YEARS complete calendar years (offered_years).
- The tables are charged to the coalition budget of their year (CASEBOOK_COALITION:
  epsilon per table, budget per year), to the coalition's total budget (all years
  together, so that no one can spend the lifetime budget year after year) and to the
  dataset's lifetime budget, never to a supervisor's monthly budget, under the
  ledger's lock. A second bundle for the same year and snapshot reuses the tables
  already drawn and costs nothing. When a budget would be exceeded nothing is drawn or
  spent.
- The sealed plaintext is padded to a fixed size (PADDED_BYTES), so that the
  download's length says nothing about the noisy cells.
- Every making (or reuse) and every download is in the access log with the tables'
  names and epsilon, never a count; every refusal too.
"""

import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from casebook import taxonomy
from casebook.aggregates import disclosure
from casebook.aggregates.ledger import lifetime_spent
from casebook.aggregates.snapshots import current_snapshot
from casebook.audit import log
from casebook.audit.actions import Action, Actor, Outcome
from casebook.coalition import documents
from casebook.coalition.members import Coalition, MembersFileInvalid, configured_members
from casebook.coalition.membership import (
    SETTING_ERRORS,
    BundleRefused,
    CoalitionPolicy,
    Membership,
    membership,
    years_window,
)
from casebook.crypto.coalition import seal_to, sign
from casebook.crypto.envelope import KeyMissing
from casebook.db import LEDGER_LOCK, advisory_lock, statement_timeout_local
from casebook.models import CoalitionCharge, CoalitionTable, Snapshot

# Every sealed bundle's plaintext is padded with spaces (which JSON ignores) to this
# size, or, were a bundle ever larger, to the next multiple of PAD_STEP.
PADDED_BYTES = 16_384
PAD_STEP = 4096


def offered_years(coalition: Coalition | None, window: int) -> list[int]:
    """The years a bundle may be made for, newest first: the members file's `years`
    up to the current one, or else the last `window` complete calendar years."""
    last = taxonomy.last_year()
    if coalition is not None and coalition.years:
        return sorted((y for y in coalition.years if y <= last), reverse=True)
    return list(range(last - 1, max(last - 1 - window, taxonomy.FIRST_YEAR - 1), -1))


def bundle_years() -> list[int]:
    """offered_years for this installation's settings; none when they are unusable
    (the page then says what is not set up)."""
    try:
        coalition: Coalition | None = configured_members()
    except MembersFileInvalid:
        coalition = None
    try:
        window = years_window(settings.CASEBOOK_COALITION)
    except SETTING_ERRORS:
        window = 0
    return offered_years(coalition, window)


def coalition_spent(year: int | None = None) -> Decimal:
    """The coalition budget spent on `year`, or on all years together."""
    charges = (
        CoalitionCharge.objects.all() if year is None else CoalitionCharge.objects.filter(year=year)
    )
    return charges.aggregate(total=Sum("epsilon"))["total"] or Decimal(0)


def padded(plaintext: bytes) -> bytes:
    """`plaintext` with trailing spaces up to PADDED_BYTES (or the next PAD_STEP)."""
    size = max(PADDED_BYTES, -(-len(plaintext) // PAD_STEP) * PAD_STEP)
    return plaintext + b" " * (size - len(plaintext))


@dataclass(frozen=True)
class SealedBundle:
    filename: str
    content: bytes  # the sealed envelope (JSON): ciphertext for the combiner only
    charged: bool


def bundle_refusal_record(*, requester: User, result: str, year: int | None = None) -> None:
    """Record a refused bundle (a refusal the caller made, or one of bundle_make's)."""
    log.record(
        Action.COALITION_BUNDLE,
        actor=Actor.of(requester),
        outcome=Outcome.DENIED,
        target="" if year is None else f"coalition:{year}"[:64],
        details={"result": result[:40]},
    )


def bundle_make(*, requester: User, year: int) -> SealedBundle:
    """The year's bundle from the current snapshot, signed and sealed to the combiner:
    fresh (charged to the coalition and lifetime budgets) or reused (free). Raises
    BundleRefused, recorded, having drawn and spent nothing."""
    try:
        return _make(requester, Actor.of(requester), year)
    except BundleRefused as refusal:
        bundle_refusal_record(requester=requester, result=refusal.code, year=year)
        raise


def _make(requester: User, actor: Actor, year: int) -> SealedBundle:
    member = membership()
    years = offered_years(member.coalition, member.policy.years)
    if year not in years:
        raise BundleRefused(
            _("Choose one of the coalition's years: %(years)s.")
            % {"years": ", ".join(map(str, years))},
            "bad_year",
            400,
        )
    chosen, rules, version = disclosure.policy(), member.policy, documents.taxonomy_version()
    with transaction.atomic():
        statement_timeout_local(settings.CASEBOOK_EXPORT_STATEMENT_TIMEOUT_MS)
        advisory_lock(LEDGER_LOCK)
        snapshot = current_snapshot()
        if snapshot is None:
            raise BundleRefused(
                _("No statistics yet: the first snapshot of the data has not been taken."),
                "no_snapshot",
                503,
            )
        drawn = {
            table.dimensions: table
            for table in CoalitionTable.objects.filter(
                year=year,
                snapshot_taken_for=snapshot.taken_for,
                taxonomy_version=version,
                epsilon=rules.epsilon_per_table,
                cases_per_person=chosen.cases_per_person,
                codes_per_case=chosen.codes_per_case,
            )
        }
        missing = [names for names in documents.STANDARD_TABLES if names not in drawn]
        needed = rules.epsilon_per_table * len(missing)
        if missing:
            _check_budgets(needed, year, rules, chosen)
            for names in missing:
                drawn[names] = _draw(names, year, snapshot, rules, chosen, version, requester)
        tables = [drawn[names] for names in documents.STANDARD_TABLES]
        sealed = _sealed(member, tables, year, snapshot, version)
        target = f"coalition:{year}"
        log.record(
            Action.COALITION_BUNDLE,
            actor=actor,
            target=target,
            details={
                "dimensions": ";".join(documents.STANDARD_TABLES),
                "epsilon": str(needed.quantize(disclosure.LEDGER_PLACES)) if missing else "0",
                "rows": len(missing),
                "result": "new_bundle" if missing else "reused_bundle",
            },
        )
        log.record(
            Action.COALITION_DOWNLOAD,
            actor=actor,
            target=target,
            details={"result": "sealed_to_combiner"},
        )
    date = snapshot.taken_for.date().isoformat()
    return SealedBundle(f"casebook-coalition-{year}-{date}.sealed.json", sealed, bool(missing))


def _check_budgets(
    needed: Decimal, year: int, rules: CoalitionPolicy, chosen: disclosure.Policy
) -> None:
    if coalition_spent(year) + needed > rules.yearly_budget:
        raise BundleRefused(
            _(
                "The coalition budget for %(year)s is spent: no fresh bundle can be made for "
                "that year. Nothing was spent."
            )
            % {"year": year},
            "budget_spent",
            429,
        )
    if coalition_spent() + needed > rules.total_budget:
        raise BundleRefused(
            _(
                "The coalition's total budget on this installation is spent: no fresh "
                "bundle can be made for any year. Nothing was spent."
            ),
            "total_budget_spent",
            429,
        )
    if lifetime_spent() + needed > chosen.global_lifetime_budget:
        raise BundleRefused(
            _(
                "No fresh tables can be released any more: the dataset's lifetime privacy "
                "budget is spent. Nothing was spent."
            ),
            "lifetime_spent",
            429,
        )


def _draw(
    names: str,
    year: int,
    snapshot: Snapshot,
    rules: CoalitionPolicy,
    chosen: disclosure.Policy,
    version: str,
    requester: User,
) -> CoalitionTable:
    dims = documents.table_dimensions(names)
    noisy = disclosure.noisy_cells_of_year(
        dims, rules.epsilon_per_table, chosen, snapshot, year=year
    )
    table = CoalitionTable.objects.create(
        year=year,
        dimensions=names,
        snapshot_taken_for=snapshot.taken_for,
        taxonomy_version=version,
        epsilon=rules.epsilon_per_table,
        sensitivity=noisy.sensitivity,
        scale=noisy.scale,
        cases_per_person=chosen.cases_per_person,
        codes_per_case=chosen.codes_per_case,
        method=disclosure.METHOD,
        codes={d.name: list(codes) for d, codes in zip(dims, noisy.codes, strict=True)},
        noisy_cells=noisy.values,
        requested_by=requester,
    )
    CoalitionCharge.objects.create(year=year, epsilon=rules.epsilon_per_table, table=table)
    return table


def _sealed(
    member: Membership, tables: list[CoalitionTable], year: int, snapshot: Snapshot, version: str
) -> bytes:
    body = documents.body_document(
        documents.BundleBody(
            coalition=member.coalition.name,
            organisation=member.organisation,
            year=year,
            snapshot=snapshot.taken_for.date().isoformat(),
            taxonomy_version=version,
            method=disclosure.METHOD,
            tables=tuple(
                documents.TableNoise(
                    dimensions=table.dimensions,
                    codes=table.codes,
                    epsilon=table.epsilon,
                    sensitivity=table.sensitivity,
                    scale=table.scale,
                    cells=tuple(table.noisy_cells),
                )
                for table in tables
            ),
        )
    )
    signature = sign(member.key, documents.signed_message(body))
    plaintext = documents.canonical({"body": body, "signature": signature})
    try:
        envelope = seal_to(member.coalition.combiner_key, padded(plaintext))
    except KeyMissing:
        raise BundleRefused(
            _("The combiner's public key in the members file is not a usable key."),
            "not_configured",
            409,
        ) from None
    return json.dumps(envelope, indent=2).encode("utf-8")
