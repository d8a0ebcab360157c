"""09's explorer: the closers at a strength, the numbers it shows, and its static figure."""
import numpy as np
import pytest

from modgap.contrastive.gap_explorer import closed, gap_figure, numbers, summary
from modgap.metrics.gap import centroid_gap


def _pairs(n=80, d=16, seed=0):
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=(n, d))
    offset = np.zeros(d)
    offset[0] = 3.0  # a gap along the first axis
    return shared + offset + 0.3 * rng.normal(size=(n, d)), shared - offset + 0.3 * rng.normal(size=(n, d))


@pytest.mark.parametrize("closer", ["shift", "mean-centring"])
def test_strength_zero_leaves_the_pairs_and_full_strength_closes_the_gap(closer):
    x, y = _pairs()
    raw = centroid_gap(x[40:], y[40:])
    a, b = closed(x[:40], y[:40], x[40:], y[40:], closer, 0.0)
    assert np.isclose(centroid_gap(a, b), raw)
    gaps = [centroid_gap(*closed(x[:40], y[:40], x[40:], y[40:], closer, s)) for s in (0.0, 0.5, 1.0)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 0.5 * raw
    with pytest.raises(ValueError, match="strength"):
        closed(x[:40], y[:40], x[40:], y[40:], closer, 1.5)


def test_the_figure_and_its_numbers():
    import matplotlib.pyplot as plt

    x, y = _pairs()
    fig, info = gap_figure(x[:40], y[:40], x[40:], y[40:], "mean-centring", 1.0)
    assert set(info) == {"gap", "R@1 x→y", "R@1 y→x", "mixed nDCG@10"} and 0 <= info["mixed nDCG@10"] <= 1
    assert "gap" in fig.axes[0].get_title()
    plt.close(fig)
    line = summary(info, numbers(x[40:], y[40:]))
    assert "raw" in line and "points" in line
