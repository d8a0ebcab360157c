"""Occlusion robustness of two-tower models (notebook 08): Niu et al.'s indicator — a model that bridged the
gap degrades less when part of its input is hidden — applied to Grassucci et al.'s image–caption towers.

For one trained model, the test images are occluded at fractions f_0 = 0 < … < f_K (``modgap.data.occluders``)
while the captions stay whole, and per test pair q (``OccludedUnits``):

- ``hit[k, q]`` = 1 if caption q retrieves its own image first among the images occluded at f_k (R@1 text→image);
- ``clusters[k]``: KMeans clusters of the occluded images and the captions (V-Measure at f_k);
- ``x``, ``y``: unit embeddings of the clean images and the captions (the gap).

Robustness is the share of the clean score kept over the occlusion range (``modgap.metrics.robustness``):

    ρ_R@1 = AUC_f[R@1(f)] / R@1(0),    ρ_V = AUC_f[V(f)] / V(0)

Every statistic is a function of resampled seeds (models) and test pairs, so it gets the hierarchical bootstrap
of ``modgap.metrics.uncertainty``: a pair brings its image and caption at every fraction.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from modgap.data.occluders import occlude_images
from modgap.metrics.clustering import cluster_assignments, v_measure
from modgap.metrics.gap import centroid_gap
from modgap.metrics.normalize import l2_normalize
from modgap.metrics.retrieval import hits_at_k
from modgap.metrics.robustness import occlusion_auc
from modgap.metrics.uncertainty import Estimate, bootstrap_statistic

METRICS = ("R@1", "V-Measure")


@dataclass(frozen=True)
class OccludedUnits:
    """What the bootstrap needs of one model on the test pairs, clean and occluded."""

    fractions: tuple[float, ...]
    x: np.ndarray  # (N, D) unit embeddings of the clean images
    y: np.ndarray  # (N, D) unit embeddings of the captions
    hit: np.ndarray  # (K, N) caption q finds its own image first, images occluded at fraction k
    clusters: np.ndarray  # (K, 2N) KMeans cluster of each occluded image, then each caption
    labels: np.ndarray  # (N,) class of each test pair (each seed may be tested on its own draw)


@torch.no_grad()
def occluded_units(embed, images: torch.Tensor, labels: np.ndarray, fractions, kind: str = "patches",
                   seed: int = 0) -> OccludedUnits:
    """``embed(images) -> (x, y)`` raw embeddings (N, D) of the given test images and of the (whole) captions.
    ``labels`` (N,): the test pairs' classes. The occluders are drawn from ``seed`` (the same for every model given
    the same seed)."""
    fractions = tuple(float(f) for f in fractions)
    if not fractions or fractions[0] != 0.0 or any(b <= a for a, b in zip(fractions, fractions[1:])):
        raise ValueError(f"fractions must start at 0 and increase, got {list(fractions)}")
    labels = np.asarray(labels)
    n_classes = len(np.unique(labels))
    hits, clusters, clean = [], [], None
    for f in fractions:
        occluded = occlude_images(images, f, kind, seed=seed)[0] if f > 0 else images
        x, y = embed(occluded)
        if clean is None:
            clean = (l2_normalize(x), l2_normalize(y))
        hits.append(hits_at_k(x, y, 1)["y→x"])
        clusters.append(cluster_assignments(x, y, n_classes, seed=seed))
    return OccludedUnits(fractions, clean[0], clean[1], np.stack(hits), np.stack(clusters), labels)


def _v_measures(u: OccludedUnits, q: np.ndarray) -> np.ndarray:
    both = np.r_[q, q + len(u.labels)]
    truth = np.r_[u.labels, u.labels][both]
    return np.array([v_measure(truth, c[both]) for c in u.clusters])


def _same_size(models: list[OccludedUnits]) -> int:
    sizes = {len(u.labels) for u in models}
    if len(sizes) != 1:
        raise ValueError(f"every model needs the same number of test pairs to resample them together, got {sorted(sizes)}")
    return sizes.pop()


def curve(u: OccludedUnits, metric: str, q: np.ndarray | None = None) -> np.ndarray:
    """The score at each fraction (K,), on the test pairs ``q`` (all by default), in [0, 1]."""
    q = np.arange(u.hit.shape[1]) if q is None else q
    if metric == "R@1":
        return u.hit[:, q].mean(1)
    if metric == "V-Measure":
        return _v_measures(u, q)
    raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")


def robustness(u: OccludedUnits, metric: str, q: np.ndarray | None = None) -> float:
    """The share of the clean score kept over the occlusion range, AUC / score at 0 (0 when the clean score is 0)."""
    c = curve(u, metric, q)
    return float(occlusion_auc(u.fractions, c) / c[0]) if c[0] > 0 else 0.0


def gap(u: OccludedUnits, q: np.ndarray | None = None) -> float:
    """‖mean(x̂_q) − mean(ŷ_q)‖ of the clean test pairs."""
    q = np.arange(len(u.x)) if q is None else q
    return centroid_gap(u.x[q], u.y[q], normalize=False)


def gap_robustness_correlation(models: list[OccludedUnits], metric: str = "R@1", n_boot: int = 1000,
                               seed: int = 0) -> Estimate:
    """Spearman ρ between each model's gap and its robustness, over ``models`` (every method and seed), with a
    bootstrap that resamples the models and the test pairs (the same pair indices for every model in a draw).
    Niu et al.'s indicator predicts ρ < 0: the smaller the gap, the more of its score a model keeps."""
    from scipy.stats import spearmanr

    if len(models) < 3:
        raise ValueError(f"a rank correlation needs at least 3 models, got {len(models)}")
    n_q = _same_size(models)

    def rho(s, q):
        g = np.array([gap(models[i], q) for i in s])
        r = np.array([robustness(models[i], metric, q) for i in s])
        return float(spearmanr(g, r)[0]) if np.ptp(g) > 0 and np.ptp(r) > 0 else 0.0

    return bootstrap_statistic(rho, len(models), n_q, n_boot, seed=seed).clipped(-1.0, 1.0)


def robustness_difference(units: list[OccludedUnits], reference: list[OccludedUnits], metric: str = "R@1",
                          n_boot: int = 1000, seed: int = 0) -> Estimate:
    """Paired difference of robustness (points, ×100), method − reference, one ``OccludedUnits`` per seed each
    (the same seeds, the same test pairs and occluders in every draw)."""
    if len(units) != len(reference):
        raise ValueError(f"{len(units)} seeds against {len(reference)}: a paired comparison needs the same seeds")
    n_q = _same_size(units + reference)
    if any(not np.array_equal(u.labels, r.labels) for u, r in zip(units, reference)):
        raise ValueError("a paired comparison needs each seed's two models tested on the same pairs (their labels differ)")

    def diff(s, q):
        return float(np.mean([robustness(units[i], metric, q) - robustness(reference[i], metric, q) for i in s]))

    return bootstrap_statistic(diff, len(units), n_q, n_boot, seed=seed).scaled(100)
