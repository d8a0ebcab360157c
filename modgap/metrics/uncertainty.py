"""How sure is a number? A paired, hierarchical bootstrap over model seeds and test queries, and verdicts.

A score here is an average over two sources of chance: which models training produced (model seeds) and
which test items were drawn (queries). With per-query values ``v[s, q]`` (e.g. 1 if probe q's true match is
at rank 1 for the model of seed s; its average precision; its area under the occlusion curve), the score is

    θ = mean_s mean_q v[s, q]

and the interval accounts for both sources. A **paired** difference between a method and a reference is the
statistic of ``v − v_ref`` on the *same* seeds and test queries: the noise the two share — hard queries, a lucky
seed — cancels.

**The interval: a t-calibrated hierarchical bootstrap.** A percentile bootstrap that resamples the n seeds it
has uses their plug-in spread (too small by (n − 1)/n) and a normal quantile, so with few seeds it is too narrow:
measured on synthetic scores where seed noise dominates, it called a zero difference significant in 33% of runs
with 2 seeds and 9% with 5 (nominal 5%). Here each level's variance is estimated by resampling that level alone
and unbiased, and the two are combined, each scaled by its own Student quantile:

    V_s = n_s/(n_s − 1) · Var*(θ* | seeds resampled),   V_q = n_q/(n_q − 1) · Var*(θ* | queries resampled)
    θ̂ ± √( t²_{n_s−1} · V_s + t²_{n_q−1} · V_q )          (t at (1 + level)/2)

so with few seeds and seed noise dominating the interval widens as t_{n_s−1} says it must (4.30 at 3 seeds), and
with query noise dominating the quantile is ≈ 2. (A single Welch–Satterthwaite quantile was tried first: its
estimated degrees of freedom grow exactly when the seed variance is underestimated by chance, and at 3 seeds with
both levels noisy it covered 92.8%, called a zero difference significant 6.8%.) For a mean (``bootstrap_mean``)
the two resampling variances are computed exactly (Var*(mean of seed means) = var_pop/n_s, and so on), with no Monte-Carlo
noise; for any other statistic from ``n_boot`` draws, half per level. Both levels' interaction is counted in
both variances, which errs on the wide side. ``method="percentile"`` keeps the old two-level percentile bootstrap
(for comparisons; not calibrated at small n).

Calibration measured by ``tests/test_uncertainty.py`` (synthetic paired scores with known truth, 40 queries,
three regimes — seed noise dominant, query noise dominant, both — 2,000 runs each): coverage of the 95% interval
and false-positive rate on a zero difference at 2 / 3 / 5 / 10 seeds (in that order):

    seed noise dominant    coverage 94.0 / 95.6 / 94.7 / 94.8%   false positives 4.4 / 4.6 / 5.0 / 4.8%
    query noise dominant   coverage 99.4 / 99.2 / 99.2 / 98.0%   false positives 0.6 / 0.8 / 1.4 / 1.7%
    both                   coverage 95.7 / 95.2 / 95.4 / 95.1%   false positives 3.8 / 3.8 / 4.5 / 4.4%

(the old percentile bootstrap covered 57 / 70 / 82 / 92% with seed noise dominant). The test asserts coverage
≥ 93% and false positives ≤ 6% in every cell; 2 seeds pass, so ``MIN_SEEDS`` is 2. Fewer than ``MIN_SEEDS``
model seeds give the verdict "too few seeds" whatever the interval (one seed says nothing about how another training would come out);
0 seeds mean the claim has no seed level (a fixed model, or a computation).

Statistics that are not a mean over queries (the centroid gap, V-Measure, a correlation) go through
``bootstrap_statistic``, which calls a function on the resampled indices.

``verdict`` turns an interval into a claim's verdict: *reproduced* when the interval lies wholly on the side
the claim predicts, *not reproduced* when it lies wholly on the other side (it excludes the claim),
*inconclusive* when it holds both, and *too few seeds* below ``MIN_SEEDS``.

**Which interval, when.** This module owns every interval a notebook reports; a notebook never computes one by hand.

- Trained models, seeds × test items: ``bootstrap_mean`` / ``bootstrap_statistic`` / ``bootstrap_stratified``,
  the t-calibrated hierarchical bootstrap above (02–06, 08, through ``modgap.metrics.per_query.PerQuery``).
- One fixed set of items, no seed level (the audit of fixed embeddings, 09): ``bca_interval``, the one-level BCa
  interval, second-order accurate for smooth statistics of one sample (a gap, a cosine, an accuracy).
- A statistic with no jackknife to speak of, or two independent groups resampled each within itself (the argmin of a
  loss on a grid, 09; 01's difference of two groups' shares): ``percentile_interval``, the plain percentile
  interval, optionally widened to hold the estimate (a grid argmin whose draws all fall one step off it).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95
#: Below this many model seeds a claim about a training procedure gets "too few seeds", not a verdict.
MIN_SEEDS = 2


@dataclass(frozen=True)
class Estimate:
    """A statistic on the data as observed, with a bootstrap interval."""

    value: float
    low: float
    high: float
    level: float = LEVEL
    n_seeds: int = 0
    n_queries: int = 0
    se: float = float("nan")  # standard error behind a t-interval (nan for percentile and BCa intervals)
    df: float = float("inf")  # its degrees of freedom (nan: solve from the interval, ``degrees_of_freedom()``)

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def excludes(self, x: float = 0.0) -> bool:
        return not self.low <= x <= self.high

    def scaled(self, k: float) -> Estimate:
        """The same estimate in other units (e.g. ×100 for percentage points)."""
        lo, hi = sorted((k * self.low, k * self.high))
        return Estimate(k * self.value, lo, hi, self.level, self.n_seeds, self.n_queries, abs(k) * self.se, self.df)

    def clipped(self, lowest: float, highest: float) -> Estimate:
        """The interval cut to the quantity's range (e.g. [−1, 1] for a correlation): a t-interval does not know
        it. Which values it holds inside the range, and so every verdict, is unchanged."""
        from dataclasses import replace

        return replace(self, low=max(self.low, lowest), high=min(self.high, highest))

    def degrees_of_freedom(self) -> float:
        """``df``, or for a t-interval stored without it the ν with t_ν · se = half-width."""
        if not np.isnan(self.df):
            return self.df
        from scipy.optimize import brentq
        from scipy.stats import t

        p, ratio = (1 + self.level) / 2, self.half_width / self.se
        if ratio <= t.ppf(p, 1e9) * (1 + 1e-12):
            return float("inf")
        return float(brentq(lambda d: t.ppf(p, d) - ratio, 1e-3, 1e9))

    def p_value(self, x: float = 0.0) -> float:
        """Two-sided p-value of "the quantity equals x": from the t-interval's se and df, else from the interval
        read as normal (half-width / z). The interval excludes x exactly when p < 1 − level."""
        from scipy.stats import norm, t

        if np.isfinite(self.se):
            if self.se == 0:
                return 0.0 if self.value != x else 1.0
            return float(2 * t.sf(abs(self.value - x) / self.se, self.degrees_of_freedom()))
        half, mid = self.half_width, (self.low + self.high) / 2
        if half == 0:
            return 0.0 if self.excludes(x) else 1.0
        return float(2 * norm.sf(abs(mid - x) / (half / norm.ppf((1 + self.level) / 2))))

    def __str__(self) -> str:
        return f"{self.value:.3g} [{self.low:.3g}, {self.high:.3g}]"

    def __format__(self, spec: str) -> str:
        """``f"{e:.1f}"`` → ``"12.3 [10.1, 14.5]"``: the value and the interval, each with the format ``spec``
        (``"+.2f"`` signs them); an empty spec is ``str(e)``."""
        if not spec:
            return str(self)
        return f"{self.value:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"


def _as_matrix(v, name: str) -> np.ndarray:
    v = np.asarray(v, np.float64)
    if v.ndim == 1:
        v = v[None]
    if v.ndim != 2 or min(v.shape) < 1:
        raise ValueError(f"{name} must be (seeds, queries), got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return v


def resample_indices(n_seeds: int, n_queries: int, n_boot: int, seed: int = 0):
    """(n_boot, n_seeds) seed indices and (n_boot, n_queries) query indices, drawn with replacement.
    One seed is kept as it is (it cannot be resampled)."""
    rng = np.random.default_rng(seed)
    s = rng.integers(0, n_seeds, (n_boot, n_seeds)) if n_seeds > 1 else np.zeros((n_boot, 1), int)
    q = rng.integers(0, n_queries, (n_boot, n_queries))
    return s, q


def _interval(value: float, draws: np.ndarray, level: float, n_seeds: int, n_queries: int) -> Estimate:
    """The percentile interval of ``draws`` (the old method, kept as ``method="percentile"``)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(float(value), float(lo), float(hi), level, n_seeds, n_queries)


def t_interval(value: float, v_seed: float, v_query: float, n_seeds: int, n_queries: int,
               level: float = LEVEL) -> Estimate:
    """θ̂ ± √( t²_{n_s−1} V_s + t²_{n_q−1} V_q ): each level's variance scaled by its own Student quantile (the
    module docstring). A level with one unit adds nothing (its variance cannot be estimated: pass 0). The
    Estimate's ``se`` is √(V_s + V_q) and ``df`` the ν with t_ν · se equal to the half-width, so p-values agree
    with the interval."""
    from scipy.stats import t

    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    v = v_seed + v_query
    if not v > 0:
        return Estimate(float(value), float(value), float(value), level, n_seeds, n_queries, 0.0, float("inf"))
    p = (1 + level) / 2
    quantile = {n: float(t.ppf(p, n - 1)) if n > 1 else 0.0 for n in (n_seeds, n_queries)}
    half = float(np.sqrt(quantile[n_seeds] ** 2 * v_seed + quantile[n_queries] ** 2 * v_query))
    # df: nan = "the ν whose quantile is half/se", solved only when a p-value is asked for (Estimate.p_value)
    return Estimate(float(value), float(value - half), float(value + half), level, n_seeds, n_queries,
                    float(np.sqrt(v)), float("nan"))


def _unbiased(var_star: float, n: int) -> float:
    return var_star * n / (n - 1) if n > 1 else 0.0


def bootstrap_mean(values, reference=None, n_boot: int = 2000, level: float = LEVEL, seed: int = 0,
                   method: str = "t") -> Estimate:
    """θ = mean of ``values`` (seeds, queries), or the paired difference mean(values − reference), with its
    interval (``method="t"``: the t-calibrated hierarchical bootstrap, exact resampling variances; ``"percentile"``:
    the old two-level percentile bootstrap from ``n_boot`` draws). A 1-D array is one seed."""
    v = _as_matrix(values, "values")
    if reference is not None:
        r = _as_matrix(reference, "reference")
        if r.shape != v.shape:
            raise ValueError(f"values {v.shape} and reference {r.shape} must be paired: the same seeds and queries")
        v = v - r
    n_s, n_q = v.shape
    if method == "t":  # Var*(θ* | one level resampled) of a mean is the population variance of that level's means / n
        return t_interval(v.mean(), _unbiased(v.mean(1).var() / n_s, n_s), _unbiased(v.mean(0).var() / n_q, n_q),
                          n_s, n_q, level)
    if method != "percentile":
        raise ValueError(f"method must be 't' or 'percentile', got {method!r}")
    s_idx, q_idx = resample_indices(n_s, n_q, n_boot, seed)
    # θ* = mean over the drawn seeds of the mean over the drawn queries: v[s*, :][:, q*] without the (B, S, Q) copy
    draws = np.stack([v[s_idx[:, j]][np.arange(n_boot)[:, None], q_idx].mean(1) for j in range(n_s)], 1).mean(1)
    return _interval(v.mean(), draws, level, n_s, n_q)


def _checked(draws) -> np.ndarray:
    draws = np.asarray(draws, np.float64)
    if not np.isfinite(draws).all():
        raise ValueError("the statistic was not finite on some bootstrap draws")
    return draws


def bootstrap_statistic(statistic: Callable[[np.ndarray, np.ndarray], float], n_seeds: int, n_queries: int,
                        n_boot: int = 1000, level: float = LEVEL, seed: int = 0, method: str = "t") -> Estimate:
    """Interval of any ``statistic(seed_indices, query_indices) -> float``; the value is ``statistic(all seeds,
    all queries)``. ``method="t"``: half the draws resample the seeds (queries all), half the queries (seeds all),
    and the t-interval combines the two unbiased variances; ``"percentile"``: both levels at once, percentiles.
    For a paired difference, let ``statistic`` return the difference: both sides then see the same draws."""
    return bootstrap_stratified(lambda s, qs: statistic(s, qs[0]), n_seeds, [n_queries], n_boot, level, seed, method)


#: "no meaningful difference": a directional claim whose quantity lies, by two one-sided tests, within ± its
#: family's smallest effect size of interest (SESOI) of the claim's margin — decided, and against the claim
NO_MEANINGFUL_DIFFERENCE = "no meaningful difference"
VERDICTS = ("reproduced", "not reproduced", NO_MEANINGFUL_DIFFERENCE, "inconclusive", "too few seeds")


def one_sided_p_value(est: Estimate, x: float, above: bool) -> float:
    """p-value of the one-sided test against "the quantity is ≤ x" (``above``) or "≥ x" (not ``above``), from the
    same t (or normal-read) interval as :meth:`Estimate.p_value`: half the two-sided p on the estimate's side."""
    p = est.p_value(x)
    return p / 2 if (est.value > x if above else est.value < x) else 1 - p / 2


def tost_p_value(est: Estimate, low: float, high: float) -> float:
    """Two one-sided tests (Schuirmann 1987; Lakens, "Equivalence tests", 2017) of "the quantity lies in
    (low, high)": the larger p of "≤ low" and "≥ high". Below α = 1 − level exactly when the (1 − 2α) interval
    (90% for a 95% level) lies inside the bounds; at a true value on a bound it is declared in at most α of runs."""
    return max(one_sided_p_value(est, low, above=True), one_sided_p_value(est, high, above=False))


def percentile_interval(value: float, draws, level: float = LEVEL, n_queries: int = 0,
                        hold_value: bool = False) -> Estimate:
    """The percentile bootstrap interval of ``draws`` around the estimate ``value`` (no seed level: ``n_seeds`` 0).
    ``hold_value``: widen it to hold ``value`` where the draws all miss it (a statistic on a grid)."""
    draws = _checked(draws)
    lo, hi = (float(q) for q in np.quantile(draws, [round((1 - level) / 2, 12), round((1 + level) / 2, 12)]))
    if hold_value:
        lo, hi = min(lo, float(value)), max(hi, float(value))
    return Estimate(float(value), lo, hi, level, 0, n_queries)


def bca_interval(value: float, draws, jackknife, level: float = LEVEL, n_queries: int = 0) -> Estimate:
    """Bias-corrected and accelerated (BCa) bootstrap interval (Efron 1987) for one level of resampling (e.g.
    the pairs of one set of embeddings): the percentiles of the draws θ* at

        α₁,₂ = Φ( z₀ + (z₀ + z_{α}) / (1 − a (z₀ + z_{α})) ),   z₀ = Φ⁻¹( #{θ* < θ̂} + ½#{θ* = θ̂} ) / B ),
        a = Σ (θ̄₍·₎ − θ₍ᵢ₎)³ / (6 [Σ (θ̄₍·₎ − θ₍ᵢ₎)²]^{3/2})

    with θ₍ᵢ₎ the leave-one-out (jackknife) values. z₀ corrects the median bias the percentile interval has for
    a statistic such as a norm near 0 (‖mean(x) − mean(y)‖ is biased upwards in every draw, and the percentile
    interval of a closed gap can miss its own estimate); ``a`` corrects for a skew that changes with θ.

    Where the draws lie almost all on one side of θ̂ (fewer than 2.5% below, or above), the bias exceeds the
    spread and BCa's normal-theory correction breaks down (both ends collapse onto the most extreme draw); the
    basic bootstrap interval [2θ̂ − θ*₉₇.₅, 2θ̂ − θ*₂.₅] is returned then, which removes the bias to first order.
    Such an interval may exclude θ̂ itself: the plug-in value is the biased one."""
    from scipy.stats import norm

    draws, jackknife = np.asarray(draws, np.float64), np.asarray(jackknife, np.float64)
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if not (np.isfinite(draws).all() and np.isfinite(jackknife).all()):
        raise ValueError("the statistic was not finite on some bootstrap or jackknife draws")
    if np.ptp(draws) == 0:  # a constant statistic (e.g. every pair separable): nothing to correct
        return Estimate(float(value), float(draws[0]), float(draws[0]), level, 0, n_queries)
    p0 = ((draws < value).sum() + 0.5 * (draws == value).sum()) / len(draws)
    if not (1 - level) / 2 <= p0 <= (1 + level) / 2:  # the bias exceeds the spread: basic bootstrap
        lo, hi = 2 * value - np.quantile(draws, [(1 + level) / 2, (1 - level) / 2])
        return Estimate(float(value), float(lo), float(hi), level, 0, n_queries)
    z0 = norm.ppf(p0)
    d = jackknife.mean() - jackknife
    den = 6 * (d ** 2).sum() ** 1.5
    a = (d ** 3).sum() / den if den > 0 else 0.0
    z = norm.ppf([(1 - level) / 2, (1 + level) / 2])
    alpha = norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    lo, hi = np.quantile(draws, alpha)
    return Estimate(float(value), float(lo), float(hi), level, 0, n_queries)


def bootstrap_stratified(statistic: Callable[[np.ndarray, list[np.ndarray]], float], n_seeds: int,
                         n_queries: list[int], n_boot: int = 1000, level: float = LEVEL, seed: int = 0,
                         method: str = "t") -> Estimate:
    """``bootstrap_statistic`` over several test sets at once (strata, e.g. the tasks of a pooled comparison):
    ``statistic(seed_indices, [query_indices per stratum]) -> float``; the queries of every stratum are resampled
    within that stratum, so each keeps its size. With one stratum it is ``bootstrap_statistic``."""
    if not n_queries or min(n_queries) < 1:
        raise ValueError(f"n_queries must list at least one stratum of at least one query, got {n_queries}")
    rng = np.random.default_rng(seed)
    value = statistic(np.arange(n_seeds), [np.arange(n) for n in n_queries])
    every_seed, every_query = np.arange(n_seeds), [np.arange(n) for n in n_queries]
    if method == "percentile":
        s_idx = rng.integers(0, n_seeds, (n_boot, n_seeds)) if n_seeds > 1 else np.zeros((n_boot, 1), int)
        q_idx = [rng.integers(0, n, (n_boot, n)) for n in n_queries]
        draws = _checked([statistic(s_idx[b], [q[b] for q in q_idx]) for b in range(n_boot)])
        return _interval(value, draws, level, n_seeds, int(sum(n_queries)))
    if method != "t":
        raise ValueError(f"method must be 't' or 'percentile', got {method!r}")
    half = max(n_boot // 2, 2)
    v_seed = 0.0
    if n_seeds > 1:
        s_draws = _checked([statistic(rng.integers(0, n_seeds, n_seeds), every_query) for _ in range(half)])
        v_seed = _unbiased(s_draws.var(), n_seeds)
    q_draws = _checked([statistic(every_seed, [rng.integers(0, n, n) for n in n_queries]) for _ in range(half)])
    n_q = int(sum(n_queries))
    return t_interval(value, v_seed, _unbiased(q_draws.var(), n_q), n_seeds, n_q, level)


def verdict(est: Estimate, claim: str, margin: float = 0.0, sesoi: float | None = None) -> str:
    """The verdict on a claim about the quantity ``est`` estimates.

    ``claim``: ``"> m"`` (the quantity exceeds the margin m, e.g. a difference above 0), ``"< m"``, or
    ``"within m"`` (|quantity| ≤ m: "flat", "no change", with m fixed before the run). Reproduced: the
    interval lies wholly where the claim says; not reproduced: wholly where it says not; else inconclusive.
    An estimate from 1 ≤ n_seeds < ``MIN_SEEDS`` model seeds gets "too few seeds" (0 seeds: no seed level).

    With a ``sesoi`` Δ (the smallest effect size of interest of the claim's family, fixed before the run), a ``>``
    or ``<`` claim that is neither reproduced nor not reproduced gets **no meaningful difference** when two
    one-sided tests place the quantity within m ± Δ (:func:`tost_p_value` below 1 − level): the interval says
    "no difference that matters", which is an answer — against a claim of superiority. ``within`` claims are
    equivalence tests already and keep their form.
    """
    if claim not in (">", "<", "within"):
        raise ValueError(f"claim must be '>', '<' or 'within', got {claim!r}")
    if claim == "within" and not margin > 0:
        raise ValueError("a 'within' claim needs a positive margin")
    if sesoi is not None and sesoi == sesoi and not sesoi > 0:
        raise ValueError(f"a smallest effect size of interest must be > 0, got {sesoi}")
    if 0 < est.n_seeds < MIN_SEEDS:
        return "too few seeds"
    lo, hi = est.low, est.high
    if claim == "within":
        if -margin <= lo and hi <= margin:
            return "reproduced"
        return "not reproduced" if lo > margin or hi < -margin else "inconclusive"
    if claim == ">" and lo > margin or claim == "<" and hi < margin:
        return "reproduced"
    if claim == ">" and hi <= margin or claim == "<" and lo >= margin:
        return "not reproduced"
    if sesoi is not None and sesoi == sesoi and tost_p_value(est, margin - sesoi, margin + sesoi) < 1 - est.level:
        return NO_MEANINGFUL_DIFFERENCE
    return "inconclusive"


def tost_power(sesoi: float, sd: float, n: int, delta: float = 0.0, level: float = LEVEL,
               directional: bool = True) -> float:
    """The chance that :func:`verdict` finds **no meaningful difference** for a quantity whose true value is
    ``delta`` from the margin, estimated as the mean of ``n`` independent seeds with standard deviation ``sd``
    and a t-interval (df = n − 1). The verdict needs the TOST (|mean − margin| < Δ − t₁ s/√n, t₁ = t_{level, n−1})
    and no directional verdict first (|mean − margin| ≤ t₂ s/√n, t₂ = t_{(1+level)/2, n−1}: a real but small
    effect is "reproduced"); for normal seed values exactly

        P = E_s[ (Φ((b − δ)·√n/σ) − Φ((−b − δ)·√n/σ))⁺ ],   b = min(Δ − t₁ s/√n, t₂ s/√n),

    over the seeds' standard deviation s (σ·√(χ²_{n−1}/(n−1))), by numerical integration (``directional=False``:
    the TOST alone, b = Δ − t₁ s/√n, as for a "within ±Δ" claim read at ``level`` = 0.975). It is what the plan
    quotes as a family's power at a profile's seeds, and what ``tests/test_equivalence.py`` checks ``verdict``
    against by simulation."""
    from scipy import integrate
    from scipy.stats import chi, norm, t

    if n < 2 or not sd > 0 or not sesoi > 0:
        raise ValueError(f"tost_power needs n ≥ 2, sd > 0 and sesoi > 0, got n={n}, sd={sd}, sesoi={sesoi}")
    df, sm = n - 1, sd / np.sqrt(n)
    one, two = t.ppf(level, n - 1), t.ppf((1 + level) / 2, n - 1)  # the TOST's one-sided, the interval's two-sided

    def given(u):  # u = s / σ · √df follows chi(df)
        s = sd * u / np.sqrt(df)
        inner = sesoi - one * s / np.sqrt(n)
        if directional:  # a directional claim's own verdict comes first
            inner = min(inner, two * s / np.sqrt(n))
        if inner <= 0:
            return 0.0
        return (norm.cdf((inner - delta) / sm) - norm.cdf((-inner - delta) / sm)) * chi.pdf(u, df)

    hi = chi.ppf(1 - 1e-12, df)
    return float(integrate.quad(given, 0, hi, limit=400, points=[chi.ppf(q, df) for q in (0.01, 0.5, 0.99)])[0])
