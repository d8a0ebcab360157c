"""The per-query results type both tracks compute their intervals from (``modgap.metrics.per_query``)."""
import numpy as np
import pytest

from modgap.metrics.per_query import PerQuery
from modgap.metrics.uncertainty import bootstrap_mean, bootstrap_stratified


def _same(a, b):
    """Equal in every field, bit for bit (NaN equal to NaN, which ``==`` on the dataclass denies)."""
    from dataclasses import astuple

    np.testing.assert_equal(astuple(a), astuple(b))


def _run(n_seeds=4, sizes=(30, 50), shared=1.0, effect=0.3, seed=0):
    """Scores of methods "a" and "b" on two strata; each seed and query has a shared difficulty."""
    rng = np.random.default_rng(seed)
    r = PerQuery()
    for t, n in zip(("t1", "t2"), sizes):
        hard = shared * rng.normal(size=n)
        for s in range(n_seeds):
            luck = shared * rng.normal()
            for m, mu in (("a", effect), ("b", 0.0)):
                r.add(t, m, s, score=mu + hard + luck + 0.2 * rng.normal(size=n), emb=rng.normal(size=(n, 3)))
    return r


def test_a_column_mean_on_one_stratum_is_the_exact_paired_interval():
    r = _run()
    got = r.estimate("score", "a", "b", strata="t1")
    _same(got, bootstrap_mean(r.units("t1", "a", "score"), r.units("t1", "b", "score")))
    assert got.n_seeds == 4 and got.n_queries == 30 and got.low < 0.3 < got.high
    assert r.units("t2", "a", "emb").shape == (4, 50, 3)
    # pairing: the shared difficulty and luck cancel, so the paired interval is far narrower than one method's
    assert got.half_width < r.estimate("score", "a", strata="t1").half_width / 4


def test_a_function_pooled_over_strata_is_the_stratified_bootstrap_of_the_mean_difference():
    r = _run()
    f = lambda cell, q: float(np.linalg.norm(cell["emb"][q].mean(0))) + cell["score"][q].mean()  # noqa: E731
    got = r.estimate(f, "a", "b", n_boot=200, seed=3)
    seeds = r.seeds

    def by_hand(s_idx, q_idx):
        return float(np.mean([np.mean([f(r[t, "a", seeds[i]], q) - f(r[t, "b", seeds[i]], q) for i in s_idx])
                              for t, q in zip(("t1", "t2"), q_idx)]))

    _same(got, bootstrap_stratified(by_hand, 4, [30, 50], 200, seed=3))
    assert got.n_queries == 80 and r.value(f, "t1", "a", 0) == f(r["t1", "a", 0], np.arange(30))


def test_across_models_resamples_seeds_each_with_all_its_models():
    r = _run(n_seeds=5)
    seen = []

    def statistic(cells, q):
        seen.append(len(cells))
        return float(np.mean([c["score"][q].mean() for c in cells]))

    est = r.across_models(statistic, "t1", n_boot=40)
    assert est.n_seeds == 5 and est.n_queries == 30  # seeds counted, not the 10 models
    assert set(seen) == {10}  # every draw: 5 seeds × the 2 methods of each


def test_bad_additions_and_missing_cells_are_named():
    r = PerQuery()
    with pytest.raises(ValueError, match="one row per query"):
        r.add("t", "a", 0, hit=np.zeros(5), emb=np.zeros((4, 2)))
    r.add("t", "a", 0, hit=np.zeros(5))
    with pytest.raises(ValueError, match="stratum 't' has 5 queries"):
        r.add("t", "b", 0, hit=np.zeros(6))
    with pytest.raises(ValueError, match="added already"):
        r.add("t", "a", 0, hit=np.ones(5))
    r.add("t", "a", 1, hit=np.ones(5))
    r.add("t", "b", 0, hit=np.ones(5))
    with pytest.raises(KeyError, match=r"'b' on 't' at seed\(s\) \[1\]"):
        r.estimate("hit", "a", "b")
    with pytest.raises(TypeError, match="column name or a function"):
        r.estimate(3, "a")
