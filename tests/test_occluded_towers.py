"""Occlusion robustness of two-tower models (notebook 08): columns, robustness, the gap–robustness correlation."""
import numpy as np
import pytest
import torch

from modgap.contrastive.occluded_towers import (
    curve,
    gap,
    occluded_columns,
    robustness,
    robustness_difference,
    tower_gap_robustness_correlation,
)
from modgap.metrics import centroid_gap
from modgap.metrics.per_query import PerQuery

FRACTIONS = (0.0, 0.25, 0.5)


def _pixel_embed(text_feats):
    """A 'model' whose image embedding is the raw pixels: occlusion changes it; captions are fixed vectors."""
    return lambda imgs: (imgs.flatten(1).numpy(), text_feats)


def test_columns_at_no_occlusion_are_the_clean_model_and_occlusion_only_hurts_a_pixel_matcher():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(40, 1, 8, 8, generator=g)
    labels = np.arange(40) % 4
    captions = images.flatten(1).numpy() + 0.3  # each caption sits near its image: R@1 = 1 when clean
    u = occluded_columns(_pixel_embed(captions), images, labels, FRACTIONS, seed=1)
    assert u["hit"].shape == (40, 3) and u["clusters"].shape == (40, 3, 2)
    assert u["hit"][:, 0].mean() == 1.0
    assert curve(u, "R@1")[2] < 1.0  # hiding half of each image loses some matches
    assert gap(u) == pytest.approx(centroid_gap(images.flatten(1).numpy(), captions), abs=1e-6)
    assert 0 < robustness(u, "R@1", FRACTIONS) < 1
    # an image tower that ignores its input is not hurt at all
    fixed = lambda imgs: (captions - 0.3, captions)  # noqa: E731
    assert robustness(occluded_columns(fixed, images, labels, [0.0, 0.5]), "R@1", [0.0, 0.5]) == 1.0
    with pytest.raises(ValueError, match="start at 0"):
        occluded_columns(fixed, images, labels, [0.1, 0.5])


def _synthetic(gap_size: float, keep: float, n: int = 200, seed: int = 0, labels=None) -> dict:
    """A model whose clean gap is ``gap_size`` and whose R@1 falls from 0.8 to 0.8·keep at fraction 0.5."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = x + gap_size * np.eye(8)[0]
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    p = np.array([0.8, 0.8 * (1 + keep) / 2, 0.8 * keep])
    hit = (rng.random((n, 3)) < p).astype(float)
    return {"x": x, "y": y, "hit": hit, "clusters": np.zeros((n, 3, 2), int),
            "labels": np.zeros(n, int) if labels is None else labels}


def test_the_correlation_finds_a_known_negative_relation_and_its_interval_excludes_zero():
    related, unrelated = PerQuery(), PerQuery()
    settings = list(zip(np.linspace(0.1, 1.0, 8), np.linspace(0.9, 0.2, 8)))
    for i, (g, keep) in enumerate(settings):  # two methods × four seeds
        related.add("", f"m{i % 2}", i // 2, **_synthetic(g, keep, seed=i))
        unrelated.add("", f"m{i % 2}", i // 2, **_synthetic(g, 0.5, seed=10 + i))  # no relation
    est = tower_gap_robustness_correlation(related, FRACTIONS, "R@1", n_boot=200, seed=0)
    assert est.value < -0.9 and est.high < 0  # sampled hits: nearly, not exactly, monotone
    assert est.n_seeds == 4  # the seeds, each bringing its two models, not eight independent models
    est0 = tower_gap_robustness_correlation(unrelated, FRACTIONS, "R@1", n_boot=200, seed=0)
    assert est0.low < 0 < est0.high
    two = PerQuery()
    two.add("", "a", 0, **_synthetic(0.1, 0.9))
    two.add("", "b", 0, **_synthetic(0.5, 0.9))
    with pytest.raises(ValueError, match="at least 3"):
        tower_gap_robustness_correlation(two, FRACTIONS)


def test_paired_robustness_difference_is_zero_against_itself_and_signed_otherwise():
    r = PerQuery()
    for s in range(3):
        r.add("", "a", s, **_synthetic(0.2, 0.9, seed=s))
        r.add("", "a again", s, **_synthetic(0.2, 0.9, seed=s))
        r.add("", "b", s, **_synthetic(0.2, 0.3, seed=s))
        r.add("", "other draw", s, **_synthetic(0.2, 0.3, seed=s, labels=np.arange(200) % 3))
    same = robustness_difference(r, "a", "a again", FRACTIONS, n_boot=100)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)
    assert robustness_difference(r, "a", "b", FRACTIONS, n_boot=100).low > 0
    with pytest.raises(ValueError, match="same pairs"):
        robustness_difference(r, "a", "other draw", FRACTIONS)
    with pytest.raises(ValueError, match="stratum '' has 200 queries"):
        r.add("", "c", 0, **_synthetic(0.2, 0.3, n=100))


def test_share_kept_is_the_one_robustness_with_zero_for_nothing_to_keep():
    from modgap.metrics.robustness import share_kept

    assert share_kept(0.3, 0.6) == pytest.approx(0.5) and share_kept(0.2, 0.0) == 0.0
    np.testing.assert_allclose(share_kept(np.array([0.3, 0.2, 0.0]), np.array([0.6, 0.0, 0.5])), [0.5, 0.0, 0.0])
