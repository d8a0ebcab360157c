import numpy as np
import pytest
import torch

from modgap.contrastive.anatomy import cone_by_depth, mean_pairwise_cosine, shift_along_gap, unit_gap_direction
from modgap.metrics import centroid_gap


def test_mean_pairwise_cosine_known_values():
    assert mean_pairwise_cosine(np.eye(3)) == pytest.approx(0.0)
    assert mean_pairwise_cosine(np.ones((4, 3))) == pytest.approx(1.0)
    assert mean_pairwise_cosine(np.array([[1.0, 0], [-1.0, 0]])) == pytest.approx(-1.0)
    z = np.random.default_rng(0).normal(size=(30, 5)) * np.arange(1, 31)[:, None]  # rows of any length
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    by_pairs = np.mean([u[i] @ u[j] for i in range(30) for j in range(30) if i != j])  # the definition, pair by pair
    assert mean_pairwise_cosine(z) == pytest.approx(by_pairs, abs=1e-12)
    with pytest.raises(ValueError, match="at least 2"):
        mean_pairwise_cosine(z[:1])


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


def test_shift_loss_curve_equals_infonce_of_the_shifted_and_resampled_pairs():
    import torch

    from modgap.contrastive.anatomy import shift_along_gap, shift_loss_curve, unit_gap_direction
    from modgap.losses import info_nce

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)) + 1.5
    y = x + rng.normal(size=(40, 6)) - 3.0
    lams = [-0.4, 0.0, 0.5, 1.1]
    g = unit_gap_direction(x, y)
    for tau in (0.01, 0.3):
        want = [float(info_nce(*(torch.tensor(v) for v in shift_along_gap(x, y, lam, g)), tau)) for lam in lams]
        assert shift_loss_curve(x, y, lams, tau) == pytest.approx(want, rel=1e-10)
        q = rng.integers(0, 40, 40)  # one bootstrap draw: pairs with multiplicity
        want = [float(info_nce(*(torch.tensor(v[q]) for v in shift_along_gap(x, y, lam, g)), tau)) for lam in lams]
        got = shift_loss_curve(x, y, lams, tau, counts=np.bincount(q, minlength=40)[None])[0]
        assert got == pytest.approx(want, rel=1e-10)


def test_frozen_feature_heads_start_as_the_identity_and_gap_closing_heads_close_the_gap():
    from modgap.contrastive.frozen_heads import FrozenFeatureHeads, train_heads
    from modgap.losses import GapClosingLoss
    from modgap.metrics import centroid_gap

    rng = np.random.default_rng(0)
    u = rng.normal(size=(128, 16))
    fx, fy = u + 2.0 * np.eye(16)[0], u + 0.5 * rng.normal(size=u.shape) - 2.0 * np.eye(16)[0]
    ex, ey = FrozenFeatureHeads(16, GapClosingLoss("clip")).embed(fx, fy)
    assert np.allclose(ex, fx, atol=1e-5) and np.allclose(ey, fy, atol=1e-5)
    gaps = {v: centroid_gap(*train_heads(fx, fy, v, 0.1, epochs=30, batch_size=32, lr=1e-2).embed(fx, fy)) for v in ("clip", "full")}
    assert gaps["full"] < 0.7 * gaps["clip"], gaps  # measured: 0.20 against 0.35
