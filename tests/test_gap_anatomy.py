import numpy as np
import pytest
import torch

from modgap.contrastive.anatomy import cone_by_depth, mean_pairwise_cosine, shift_along_gap, unit_gap_direction
from modgap.metrics import centroid_gap


def test_mean_pairwise_cosine_known_values():
    assert mean_pairwise_cosine(np.eye(3)) == pytest.approx(0.0)
    assert mean_pairwise_cosine(np.ones((4, 3))) == pytest.approx(1.0)
    assert mean_pairwise_cosine(np.array([[1.0, 0], [-1.0, 0]])) == pytest.approx(-1.0)


def test_cone_grows_with_depth_only_with_a_nonlinearity():
    x = torch.randn(64, 20, generator=torch.Generator().manual_seed(0))
    relu = cone_by_depth(x, depths=(1, 8), nonlinear=True)
    linear = cone_by_depth(x, depths=(1, 8), nonlinear=False)
    assert relu[1] > relu[0] + 0.2
    assert abs(linear[1]) < 0.3


def test_shift_closes_and_widens_the_gap(rng):
    x = rng.normal(size=(200, 8)) + 2 * np.eye(8)[0]
    y = rng.normal(size=(200, 8)) - 2 * np.eye(8)[0]
    g0 = centroid_gap(x, y)
    g = unit_gap_direction(x, y)
    assert g @ np.eye(8)[0] > 0.9
    assert centroid_gap(*shift_along_gap(x, y, 0.0)) == pytest.approx(g0)
    assert centroid_gap(*shift_along_gap(x, y, 0.5)) < g0 < centroid_gap(*shift_along_gap(x, y, -0.5))
    with pytest.raises(ValueError, match="same centre"):
        unit_gap_direction(x, x)
