"""The combined table's noise: the variance of a combined cell is the sum of the members'
discrete Laplace variances, shown on many draws of OpenDP's own mechanism, with a
bound whose false-failure probability is below one in a million, and a negative
control in which the same test fails when one member's noise is left out.

The statistical test (median of means, Chebyshev, binomial tail)
------------------------------------------------------------------
Three members count a fixed cell (true counts 7, 12 and 3) and each adds discrete
Laplace noise of scale b = sensitivity / epsilon = 2 / 0.5 = 4 through OpenDP's
mechanism (casebook.aggregates.disclosure.noise_measurement: P(k) proportional to
exp(-|k| / b)); the combiner's summing code adds the three noisy cells. We draw
n = K x M such combined cells C_j and take Y_j = (C_j - 22)^2: E[Y] = sigma^2, the
combined variance. With p = exp(-1/b), one member's noise has cumulants
kappa_2 = 2p / (1-p)^2 (its variance) and kappa_4 = 2p (1 + 4p + p^2) / (1-p)^4 (a two-sided
geometric), and cumulants of independent noises add, so
Var(Y) = kappa_4 + 2 kappa_2^2 for the sum, exactly.

The draws are cut into K = 31 groups of M = 2000; each group's mean of Y has variance
Var(Y) / M, so by Chebyshev it misses [sigma^2 - d, sigma^2 + d] (d = sigma^2 / 6) with
probability at most q = Var(Y) / (M d^2). The test accepts when the median of the group
means lies inside; that fails only when at least 16 of the 31 independent groups miss,
with probability at most P(Binomial(31, q) >= 16), computed exactly below and asserted
to be under 1e-6 (below 1e-12 here; 3e-17 for the control). No normal approximation is used.

Negative control: leave out one member's noise (its true count still added). The
combined cells then have variance 2/3 sigma^2, and the same test accepts only when at
least 16 groups come out above sigma^2 - d, each with probability at most
q' = Var(Y') / (M (sigma^2 - d - sigma'^2)^2) by Chebyshev: the control passes wrongly
with probability at most P(Binomial(31, q') >= 16), also asserted under 1e-6.
"""

import json
import math
import statistics
from pathlib import Path

import pytest
from django.test import TestCase

from casebook.aggregates import disclosure
from casebook.coalition import combining, documents
from casebook.coalition.members import load_members
from casebook.crypto import coalition as keys
from tests.test_coalition_combine import EAST, NORTH, SOUTH, Coalition

GROUPS, GROUP_SIZE = 31, 2000
TRUE_COUNTS = (7, 12, 3)
EPSILON, SENSITIVITY = 0.5, 2
MAX_FALSE_FAILURE = 1e-6


def variance_by_summation(scale: float, reach: int = 5000) -> float:
    """The discrete Laplace variance from its probabilities, summed (no closed form)."""
    weights = [math.exp(-abs(k) / scale) for k in range(-reach, reach + 1)]
    total = sum(weights)
    return sum(k * k * w for k, w in zip(range(-reach, reach + 1), weights, strict=True)) / total


def cumulants(scale: float) -> tuple[float, float]:
    """kappa_2 and kappa_4 of the discrete Laplace (two-sided geometric) of `scale`."""
    p = math.exp(-1.0 / scale)
    return 2 * p / (1 - p) ** 2, 2 * p * (1 + 4 * p + p * p) / (1 - p) ** 4


def binomial_tail(trials: int, probability: float, at_least: int) -> float:
    return sum(
        math.comb(trials, k) * probability**k * (1 - probability) ** (trials - k)
        for k in range(at_least, trials + 1)
    )


def squared_errors(scales: list[float], counts: list[int], mean: int) -> list[int]:
    """(C_j - mean)^2 for n combined cells: each member's noisy counts from OpenDP's
    mechanism on its fixed count, summed by the combiner's code."""
    n = GROUPS * GROUP_SIZE
    noisy = [disclosure.noise_measurement(s)([c] * n) for s, c in zip(scales, counts, strict=True)]
    return [(value - mean) ** 2 for value in combining.sum_cells(noisy)]


def accepted(errors: list[int], variance: float) -> bool:
    """The test: the median of the group means of Y lies within variance / 6 of it."""
    means = [statistics.fmean(errors[g * GROUP_SIZE : (g + 1) * GROUP_SIZE]) for g in range(GROUPS)]
    return abs(statistics.median(means) - variance) <= variance / 6


SCALE = SENSITIVITY / EPSILON


def test_the_closed_form_is_opendps_discrete_laplace_variance():
    # The mechanism's own scale, as a bundle computes it, and OpenDP's privacy map.
    dims = documents.table_dimensions("category,year")
    assert disclosure.sensitivity(dims, disclosure.Bounds(2, 3)) == SENSITIVITY
    assert disclosure.noise_measurement(SCALE).map(SENSITIVITY) == pytest.approx(EPSILON)
    for scale in (0.5, 2.0, SCALE, 12.0):
        assert combining.discrete_laplace_variance(scale) == pytest.approx(
            variance_by_summation(scale), rel=1e-9
        )
        assert combining.discrete_laplace_variance(scale) == pytest.approx(
            cumulants(scale)[0], rel=1e-12
        )


def test_the_bounds_hold_below_one_in_a_million():
    kappa_2, kappa_4 = cumulants(SCALE)
    members = len(TRUE_COUNTS)
    variance = members * kappa_2
    spread = variance / 6
    q = (members * kappa_4 + 2 * variance**2) / (GROUP_SIZE * spread**2)
    assert binomial_tail(GROUPS, q, GROUPS // 2 + 1) < MAX_FALSE_FAILURE
    missing = (members - 1) * kappa_2
    q_missing = ((members - 1) * kappa_4 + 2 * missing**2) / (
        GROUP_SIZE * (variance - spread - missing) ** 2
    )
    assert binomial_tail(GROUPS, q_missing, GROUPS // 2 + 1) < MAX_FALSE_FAILURE


def test_combined_cells_vary_as_the_sum_of_the_members_variances():
    scales = [SCALE] * len(TRUE_COUNTS)
    variance = sum(variance_by_summation(scale) for scale in scales)
    errors = squared_errors(scales, list(TRUE_COUNTS), sum(TRUE_COUNTS))
    assert accepted(errors, variance)


def test_negative_control_the_test_fails_when_one_members_noise_is_left_out():
    scales = [SCALE] * (len(TRUE_COUNTS) - 1)
    variance = len(TRUE_COUNTS) * variance_by_summation(SCALE)
    # The third member's true count is added, its noise is not.
    errors = squared_errors(scales, list(TRUE_COUNTS[:-1]), sum(TRUE_COUNTS[:-1]))
    assert not accepted(errors, variance)


class CombinedVarianceTests(TestCase):
    """The variance the combiner states for a table is the members' sum, from their
    bundles' own noise scales (the real code path: sealed, signed, opened, combined)."""

    @pytest.fixture(autouse=True)
    def _coalition(self, tmp_path):
        self.coalition = Coalition(tmp_path)

    def test_the_stated_noise_is_the_sum_of_the_members(self):
        c = self.coalition
        bundles = [
            (name, Path(c.bundle(f"{name}.json", name)).read_bytes())
            for name in (NORTH, SOUTH, EAST)
        ]
        coalition = load_members(c.members)
        key = keys.load_combiner_key(c.combiner)
        combined = combining.combine(coalition, combining.open_all(bundles, coalition, key))
        for table in combined.tables:
            scale = table.members[0][1].scale
            assert {own.scale for _name, own in table.members} == {scale}
            assert table.variance == pytest.approx(3 * variance_by_summation(scale), rel=1e-9)
        assert json.loads(bundles[0][1])["format"] == "casebook-coalition-sealed/1"
