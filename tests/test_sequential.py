"""The sequential design (``modgap.metrics.sequential``): seeds added in stages to the claims still undecided, with
the family-wise error spent over the looks (O'Brien–Fleming-type). On synthetic data with known truth, in the three
regimes of ``tests/test_uncertainty.py``, the family-wise error with the looks stays at or below 5% and the final
intervals cover the truth in at least 93% of runs."""
import numpy as np
import pytest
from test_uncertainty import REGIMES, _scores

from modgap.metrics.sequential import at_level, look_alphas, obrien_fleming_spent, sequential_family
from modgap.metrics.uncertainty import Estimate, bootstrap_mean

STAGES = (5, 10, 15)


def test_the_spending_function_spends_little_early_and_alpha_in_all():
    a = look_alphas(STAGES)
    assert abs(sum(a) - 0.05) < 1e-12 and a[0] < a[1] < a[2] and a[0] < 0.002
    assert obrien_fleming_spent(1.0) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="increasing"):
        look_alphas([10, 5])


def test_an_interval_read_at_another_level_keeps_its_centre_and_grows():
    e = Estimate(1.0, 0.0, 2.0, 0.95, 5, 40, se=0.4, df=4)
    wide = at_level(e, 0.99)
    assert wide.value == 1.0 and wide.low < e.low and wide.high > e.high and wide.level == 0.99
    assert at_level(e, 0.95).low == pytest.approx(1.0 - 2.776445 * 0.4, rel=1e-5)


def _family(rng, deltas, regime):
    """A family of claims on shared seeds: per claim, 15 seeds × 40 queries of paired scores with true mean
    difference ``deltas[i]``; ``estimate_at(i, n)`` uses the first n seeds."""
    data = [_scores(rng, STAGES[-1], 40, d, *REGIMES[regime]) for d in deltas]
    return lambda i, n: bootstrap_mean(data[i][0][:n], data[i][1][:n])


@pytest.mark.parametrize("regime", list(REGIMES))
def test_the_looks_do_not_inflate_the_family_wise_error_and_the_final_intervals_cover(regime):
    rng = np.random.default_rng(7)
    runs, k = 600, 4
    any_false, covered, total, decided = 0, 0, 0, 0
    for _ in range(runs):
        # half the families: no difference, tested "> 0" (a definite verdict is false); half: a true difference of
        # exactly the SESOI (0.3), where "no meaningful difference" is false
        null = rng.random() < 0.5
        deltas = [0.0] * k if null else [0.3] * k
        out = sequential_family(_family(rng, deltas, regime), k, STAGES, [">"] * k, [0.0] * k,
                                None if null else [0.3] * k)
        wrong = [o.verdict in ("reproduced", "not reproduced") if null else o.verdict == "no meaningful difference"
                 for o in out]
        any_false += any(wrong)
        covered += sum(o.estimate.low <= d <= o.estimate.high for o, d in zip(out, deltas))
        total += k
        decided += sum(o.look is not None for o in out)
    fwer = any_false / runs
    assert fwer <= 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / runs), (regime, fwer)
    assert covered / total >= 0.93, (regime, covered / total)


def test_a_real_effect_is_decided_early_and_costs_fewer_seeds():
    rng = np.random.default_rng(3)
    asked, family = [], _family(rng, [2.0, 0.0], "both")

    def estimate_at(i, n):
        asked.append((i, n))
        return family(i, n)

    out = sequential_family(estimate_at, 2, STAGES, [">", ">"], [0.0, 0.0], [0.3, 0.3])
    assert out[0].verdict == "reproduced" and out[0].look < 2  # O'Brien–Fleming: an early look needs a clear effect
    assert (0, 15) not in asked and (1, 15) in asked  # the decided claim got no more seeds; the other went on
