"""Seeds where a family needs them: a group-sequential design for the claims ledger.

A family still undecided after the profile's seeds gets more, in stages (e.g. 5 → 10 → 15 seeds), and each of its
claims stops at the first look that decides it. Looking several times must not inflate the errors, so the 5% of
the family-wise error is *spent* over the looks with an O'Brien–Fleming-type function (Lan & DeMets 1983),

    α(t) = 2 − 2 Φ( z_{1−α/2} / √t ),   t = n_k / n_K  (the share of the planned seeds seen at look k),

which spends almost nothing early and most of α at the last look. Look k tests at the increment
α_k = α(t_k) − α(t_{k−1}): every interval is read at level 1 − α_k, Holm's step-down runs at α_k over the claims
of the family still undecided, and the verdicts of a look are those of ``modgap.claims.adjusted_verdicts`` at that
level (reproduced, not reproduced, no meaningful difference). Since Holm holds the family-wise error of each look
at α_k under any dependence, and Σ α_k = α, the union over looks holds it at α whatever the looks' correlation
(conservative: the exact boundaries would use that correlation and spend a little less). A claim's final interval
is the one at its stopping look's level, or, undecided, the last look's.

``tests/test_sequential.py`` checks it on synthetic data in the three regimes of ``tests/test_uncertainty.py``:
the family-wise error with the looks stays at or below 5%, and the final intervals cover the truth in at least 93%
of runs.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from modgap.metrics.uncertainty import LEVEL, Estimate


def obrien_fleming_spent(t: float, alpha: float = 1 - LEVEL) -> float:
    """α(t) = 2 − 2Φ(z_{1−α/2}/√t): the error spent by information fraction ``t`` ∈ (0, 1] (α at t = 1)."""
    from scipy.stats import norm

    if not 0 < t <= 1:
        raise ValueError(f"an information fraction is in (0, 1], got {t}")
    return float(2 - 2 * norm.cdf(norm.ppf(1 - alpha / 2) / np.sqrt(t)))


def look_alphas(stages: Sequence[int], alpha: float = 1 - LEVEL) -> list[float]:
    """The error each look may spend: α(t_k) − α(t_{k−1}) for stages of increasing seed counts (they sum to α)."""
    stages = list(stages)
    if not stages or any(b <= a for a, b in zip(stages, stages[1:])) or stages[0] < 2:
        raise ValueError(f"stages are increasing seed counts of at least 2, got {stages}")
    spent = [obrien_fleming_spent(n / stages[-1], alpha) for n in stages]
    return [spent[0]] + [b - a for a, b in zip(spent, spent[1:])]


def at_level(est: Estimate, level: float) -> Estimate:
    """The same estimate with its interval read at another level: θ̂ ± t_{(1+level)/2, ν}·se for a t-interval (ν its
    degrees of freedom), else the half-width rescaled by the normal quantiles."""
    from scipy.stats import norm, t

    if np.isfinite(est.se) and est.se > 0:
        nu = est.degrees_of_freedom()
        half = float(t.ppf((1 + level) / 2, nu)) * est.se
        return replace(est, low=est.value - half, high=est.value + half, level=level, df=nu)
    half = est.half_width * norm.ppf((1 + level) / 2) / norm.ppf((1 + est.level) / 2)
    return replace(est, low=est.value - half, high=est.value + half, level=level)


@dataclass(frozen=True)
class Outcome:
    """A claim's end in a sequential run: its verdict, the look that gave it (None: undecided after the last) and
    the estimate it was read from, at that look's level."""

    verdict: str
    look: int | None
    estimate: Estimate


def sequential_family(estimate_at: Callable[[int, int], Estimate], n_claims: int, stages: Sequence[int],
                      tests: Sequence[str], margins: Sequence[float], sesois: Sequence[float | None] | None = None,
                      alpha: float = 1 - LEVEL, looks: int | None = None) -> list[Outcome]:
    """Run one family through the looks. ``estimate_at(i, n)`` gives claim i's estimate from its first ``n`` seeds
    (only called for claims still undecided, so a decided claim costs no more seeds). ``looks``: how many of the
    planned ``stages`` have been reached (all by default); the error is spent over all ``stages`` whatever it is, so
    a run that stops early (its budget spent) reads the looks it made at the levels planned for them. Returns one
    :class:`Outcome` per claim (undecided: "inconclusive" with the last look's estimate)."""
    from modgap.claims import adjusted_verdicts

    sesois = list(sesois) if sesois is not None else [None] * n_claims
    alphas = look_alphas(stages, alpha)
    done: dict[int, Outcome] = {}
    last: dict[int, Estimate] = {}
    reached = list(zip(stages, alphas))[:looks]
    for k, (n, a) in enumerate(reached):
        open_ = [i for i in range(n_claims) if i not in done]
        if not open_:
            break
        ests = {i: at_level(estimate_at(i, n), 1 - a) for i in open_}
        rows = [dict(family="f", value=e.value, low=e.low, high=e.high, level=e.level, n_seeds=e.n_seeds,
                     n_queries=e.n_queries, se=e.se, df=e.df, test=tests[i], margin=margins[i],
                     sesoi=float("nan") if sesois[i] is None else sesois[i]) for i, e in ests.items()]
        for i, v in zip(open_, adjusted_verdicts(rows, level=1 - a)):
            last[i] = ests[i]
            if v in ("reproduced", "not reproduced", "no meaningful difference"):
                done[i] = Outcome(v, k, ests[i])
    return [done.get(i) or Outcome("inconclusive", None, last[i]) for i in range(n_claims)]
