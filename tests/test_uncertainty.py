"""The hierarchical bootstrap: coverage at the nominal rate, agreement with scipy, calibrated null, verdicts."""
import numpy as np
import pytest
from scipy import stats

from modgap.metrics.uncertainty import Estimate, bootstrap_mean, bootstrap_statistic, verdict


def _two_methods(rng, delta, n_seeds=10, n_queries=100, query_sd=1.0):
    """Per-query scores of a method and a reference on shared queries and seeds: the true mean difference
    is ``delta``; query difficulty is shared (the pairing), seeds and items add their own noise."""
    query = rng.normal(0, query_sd, n_queries)  # hard and easy queries, the same for both methods
    ref = query + rng.normal(0, 0.5, (n_seeds, 1)) + rng.normal(0, 1.0, (n_seeds, n_queries))
    new = query + delta + rng.normal(0, 0.5, (n_seeds, 1)) + rng.normal(0, 1.0, (n_seeds, n_queries))
    return new, ref


def test_the_interval_of_a_known_difference_covers_it_at_close_to_the_nominal_rate():
    rng = np.random.default_rng(0)
    covered = [bootstrap_mean(*_two_methods(rng, 0.3), n_boot=400, seed=i).excludes(0.3) is False for i in range(200)]
    assert 0.90 <= np.mean(covered) <= 0.995


def test_a_zero_difference_is_rarely_called_significant():
    rng = np.random.default_rng(1)
    significant = [bootstrap_mean(*_two_methods(rng, 0.0), n_boot=400, seed=i).excludes(0.0) for i in range(200)]
    assert np.mean(significant) <= 0.10  # nominal 5%; measured 8% (10 seeds), see the module docstring


def test_pairing_removes_the_noise_the_two_methods_share():
    rng = np.random.default_rng(2)
    new, ref = _two_methods(rng, 0.3, query_sd=2.0)
    paired = bootstrap_mean(new, ref, n_boot=1000)
    unpaired_hw = np.hypot(bootstrap_mean(new, n_boot=1000).half_width, bootstrap_mean(ref, n_boot=1000).half_width)
    assert paired.half_width < 0.8 * unpaired_hw
    assert paired.value == pytest.approx(float((new - ref).mean()))


def test_one_seed_agrees_with_scipy_bootstrap():
    x = np.random.default_rng(3).exponential(size=150)
    ours = bootstrap_mean(x, n_boot=20000, seed=0)
    ref = stats.bootstrap((x,), np.mean, n_resamples=20000, method="percentile", confidence_level=0.95,
                          random_state=np.random.default_rng(1)).confidence_interval
    assert ours.value == pytest.approx(x.mean())
    assert ours.low == pytest.approx(ref.low, abs=0.05 * ours.half_width)
    assert ours.high == pytest.approx(ref.high, abs=0.05 * ours.half_width)


def test_bootstrap_statistic_equals_bootstrap_mean_for_a_mean():
    v = np.random.default_rng(4).normal(size=(3, 40))
    a = bootstrap_mean(v, n_boot=500, seed=7)
    b = bootstrap_statistic(lambda s, q: v[s][:, q].mean(), 3, 40, n_boot=500, seed=7)
    assert (a.value, a.low, a.high) == pytest.approx((b.value, b.low, b.high))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="paired"):
        bootstrap_mean(np.zeros((2, 5)), np.zeros((2, 6)))
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_mean(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="seeds, queries"):
        bootstrap_mean(np.zeros((2, 2, 2)))


def test_verdicts():
    above, straddle, below = Estimate(3, 1, 5), Estimate(0.5, -1, 2), Estimate(-3, -5, -1)
    assert [verdict(e, ">") for e in (above, straddle, below)] == ["reproduced", "inconclusive", "not reproduced"]
    assert [verdict(e, "<") for e in (above, straddle, below)] == ["not reproduced", "inconclusive", "reproduced"]
    assert verdict(Estimate(0.2, -1, 1.5), "within", 2) == "reproduced"
    assert verdict(Estimate(4, 3, 5), "within", 2) == "not reproduced"
    assert verdict(Estimate(1.5, 0, 3), "within", 2) == "inconclusive"
    assert verdict(Estimate(0.2, 0.1, 0.3), ">", margin=0.5) == "not reproduced"
    with pytest.raises(ValueError, match="margin"):
        verdict(straddle, "within")


def test_stratified_bootstrap_with_one_stratum_is_the_plain_one_and_keeps_each_stratum_apart():
    from modgap.metrics.uncertainty import bootstrap_statistic, bootstrap_stratified

    rng = np.random.default_rng(0)
    v = rng.normal(size=(3, 50))
    plain = bootstrap_statistic(lambda s, q: v[s][:, q].mean(), 3, 50, n_boot=300, seed=4)
    strat = bootstrap_stratified(lambda s, qs: v[s][:, qs[0]].mean(), 3, [50], n_boot=300, seed=4)
    assert (plain.value, plain.low, plain.high) == (strat.value, strat.low, strat.high)
    # two strata of different sizes: every draw hands each stratum indices of its own range and size
    seen = []
    bootstrap_stratified(lambda s, qs: seen.append([(len(q), q.max()) for q in qs]) or 0.0, 2, [5, 40], n_boot=50)
    assert all(a[0] == 5 and a[1] < 5 and b[0] == 40 and b[1] < 40 for a, b in seen)
    # a pooled mean of two strata with known means: the interval covers the truth
    a, b = rng.normal(1.0, 1.0, size=(1, 400)), rng.normal(3.0, 1.0, size=(1, 100))
    est = bootstrap_stratified(lambda s, qs: 0.5 * (a[0, qs[0]].mean() + b[0, qs[1]].mean()), 1, [400, 100], seed=1)
    assert est.low < 2.0 < est.high and est.n_queries == 500
    with pytest.raises(ValueError, match="stratum"):
        bootstrap_stratified(lambda s, qs: 0.0, 1, [])
