"""Occlusion robustness of two-tower models (notebook 08): units, robustness, the gap–robustness correlation."""
import numpy as np
import pytest
import torch

from modgap.contrastive.occluded_towers import (
    OccludedUnits,
    curve,
    gap,
    gap_robustness_correlation,
    occluded_units,
    robustness,
    robustness_difference,
)
from modgap.metrics import centroid_gap


def _pixel_embed(text_feats):
    """A 'model' whose image embedding is the raw pixels: occlusion changes it; captions are fixed vectors."""
    return lambda imgs: (imgs.flatten(1).numpy(), text_feats)


def test_units_at_no_occlusion_are_the_clean_model_and_occlusion_only_hurts_a_pixel_matcher():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(40, 1, 8, 8, generator=g)
    labels = np.arange(40) % 4
    captions = images.flatten(1).numpy() + 0.3  # each caption sits near its image: R@1 = 1 when clean
    u = occluded_units(_pixel_embed(captions), images, labels, [0.0, 0.25, 0.5], seed=1)
    assert u.hit.shape == (3, 40) and u.clusters.shape == (3, 80)
    assert u.hit[0].mean() == 1.0
    assert curve(u, "R@1")[2] < 1.0  # hiding half of each image loses some matches
    assert gap(u) == pytest.approx(centroid_gap(images.flatten(1).numpy(), captions), abs=1e-6)
    assert 0 < robustness(u, "R@1") < 1
    # an image tower that ignores its input is not hurt at all
    fixed = lambda imgs: (captions - 0.3, captions)  # noqa: E731
    assert robustness(occluded_units(fixed, images, labels, [0.0, 0.5]), "R@1") == 1.0
    with pytest.raises(ValueError, match="start at 0"):
        occluded_units(fixed, images, labels, [0.1, 0.5])


def _synthetic(gap_size: float, keep: float, n: int = 200, seed: int = 0) -> OccludedUnits:
    """A model whose clean gap is ``gap_size`` and whose R@1 falls from 0.8 to 0.8·keep at fraction 0.5."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = x + gap_size * np.eye(8)[0]
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    p = np.array([0.8, 0.8 * (1 + keep) / 2, 0.8 * keep])
    hit = (rng.random((3, n)) < p[:, None]).astype(float)
    return OccludedUnits((0.0, 0.25, 0.5), x, y, hit, np.zeros((3, 2 * n), int), np.zeros(n, int))


def test_the_correlation_finds_a_known_negative_relation_and_its_interval_excludes_zero():
    models = [_synthetic(g, keep, seed=i) for i, (g, keep) in enumerate(zip(np.linspace(0.1, 1.0, 8), np.linspace(0.9, 0.2, 8)))]
    est = gap_robustness_correlation(models, "R@1", n_boot=200, seed=0)
    assert est.value < -0.9  # sampled hits: nearly, not exactly, monotone
    assert est.high < 0
    shuffled = [_synthetic(g, 0.5, seed=10 + i) for i, g in enumerate(np.linspace(0.1, 1.0, 8))]  # no relation
    est0 = gap_robustness_correlation(shuffled, "R@1", n_boot=200, seed=0)
    assert est0.low < 0 < est0.high
    with pytest.raises(ValueError, match="at least 3"):
        gap_robustness_correlation(models[:2])


def test_paired_robustness_difference_is_zero_against_itself_and_signed_otherwise():
    a = [_synthetic(0.2, 0.9, seed=s) for s in range(3)]
    b = [_synthetic(0.2, 0.3, seed=s) for s in range(3)]
    same = robustness_difference(a, a, n_boot=100)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)
    assert robustness_difference(a, b, n_boot=100).low > 0
    with pytest.raises(ValueError, match="same seeds"):
        robustness_difference(a, b[:2])
    with pytest.raises(ValueError, match="same number of test pairs"):
        robustness_difference(a, [_synthetic(0.2, 0.3, n=100, seed=s) for s in range(3)])
    other_draw = [OccludedUnits(u.fractions, u.x, u.y, u.hit, u.clusters, np.arange(200) % 3) for u in b]
    with pytest.raises(ValueError, match="same pairs"):
        robustness_difference(a, other_draw)
