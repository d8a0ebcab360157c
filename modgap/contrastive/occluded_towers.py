"""Occlusion robustness of two-tower models (notebook 08): Niu et al.'s indicator — a model that bridged the
gap degrades less when part of its input is hidden — applied to Grassucci et al.'s image–caption towers.

For one trained model, the test images are occluded at fractions f_0 = 0 < … < f_K (``modgap.data.occluders``)
while the captions stay whole, and per test pair q (``occluded_columns``, one cell of the run's
``modgap.metrics.per_query.PerQuery``):

- ``hit[q, k]`` = 1 if caption q retrieves its own image first among the images occluded at f_k (R@1 text→image);
- ``clusters[q, k]``: KMeans clusters of occluded image q and of caption q (V-Measure at f_k);
- ``x``, ``y``: unit embeddings of the clean images and the captions (the gap).

Robustness is the share of the clean score kept over the occlusion range (``modgap.metrics.robustness``):

    ρ_R@1 = AUC_f[R@1(f)] / R@1(0),    ρ_V = AUC_f[V(f)] / V(0)

Every statistic is a function of resampled seeds and test pairs, so it gets the hierarchical bootstrap of
``modgap.metrics.uncertainty``: a pair brings its image and caption at every fraction; a seed brings every model
trained on its draw.
"""
from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import torch

from modgap.data.occluders import occlude_images
from modgap.metrics.clustering import cluster_assignments, v_measure
from modgap.metrics.gap import centroid_gap
from modgap.metrics.normalize import l2_normalize
from modgap.metrics.per_query import PerQuery
from modgap.metrics.retrieval import hits_at_k
from modgap.metrics.robustness import occlusion_auc, share_kept
from modgap.metrics.uncertainty import Estimate

METRICS = ("R@1", "V-Measure")


def check_fractions(fractions) -> tuple[float, ...]:
    """The occluded fractions as floats, starting at 0 (the clean score) and increasing."""
    fractions = tuple(float(f) for f in fractions)
    if not fractions or fractions[0] != 0.0 or any(b <= a for a, b in zip(fractions, fractions[1:])):
        raise ValueError(f"fractions must start at 0 and increase, got {list(fractions)}")
    return fractions


@torch.no_grad()
def occluded_columns(embed, images: torch.Tensor, labels: np.ndarray, fractions, kind: str = "patches",
                     seed: int = 0) -> dict[str, np.ndarray]:
    """The per-query columns of one model (see the module docstring): ``embed(images) -> (x, y)`` raw embeddings
    (N, D) of the given test images and of the (whole) captions; ``labels`` (N,): the test pairs' classes. The
    occluders are drawn from ``seed`` (the same for every model given the same seed)."""
    fractions = check_fractions(fractions)
    labels = np.asarray(labels)
    n_classes = len(np.unique(labels))
    hits, clusters, clean = [], [], None
    for f in fractions:
        occluded = occlude_images(images, f, kind, seed=seed)[0] if f > 0 else images
        x, y = embed(occluded)
        if clean is None:
            clean = (l2_normalize(x), l2_normalize(y))
        hits.append(hits_at_k(x, y, 1)["y→x"])
        clusters.append(cluster_assignments(x, y, n_classes, seed=seed).reshape(2, -1).T)  # (N, 2)
    return {"x": clean[0], "y": clean[1], "hit": np.stack(hits, 1), "clusters": np.stack(clusters, 1), "labels": labels}


def curve(cell, metric: str, q: np.ndarray | None = None) -> np.ndarray:
    """The score at each fraction (K,), on the test pairs ``q`` (all by default), in [0, 1]."""
    q = np.arange(len(cell["labels"])) if q is None else q
    if metric == "R@1":
        return cell["hit"][q].mean(0)
    if metric == "V-Measure":
        truth = cell["labels"][q]
        both = np.concatenate([truth, truth])  # each test pair's class, for its image and its caption
        return np.array([v_measure(both, np.concatenate([c[:, 0], c[:, 1]])) for c in cell["clusters"][q].swapaxes(0, 1)])
    raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")


def robustness(cell, metric: str, fractions, q: np.ndarray | None = None) -> float:
    """The share of the clean score kept over the occlusion range, AUC / score at 0 (0 when the clean score is 0)."""
    c = curve(cell, metric, q)
    return share_kept(occlusion_auc(fractions, c), c[0])


def robustness_of(metric: str, fractions):
    """``robustness`` as a statistic ``f(cell, q)`` of ``PerQuery.estimate``."""
    fractions = check_fractions(fractions)
    return lambda cell, q: robustness(cell, metric, fractions, q)


def gap(cell, q: np.ndarray | None = None) -> float:
    """‖mean(x̂_q) − mean(ŷ_q)‖ of the clean test pairs."""
    q = np.arange(len(cell["x"])) if q is None else q
    return centroid_gap(cell["x"][q], cell["y"][q], normalize=False)


def tower_gap_robustness_correlation(results: PerQuery, fractions, metric: str = "R@1", n_boot: int = 1000,
                               seed: int = 0, stratum: Hashable = "") -> Estimate:
    """Spearman ρ between each model's gap and its robustness, over every model of ``results`` (every method
    and seed), with a bootstrap that resamples the seeds — a seed brings all its models, which share its data —
    and, within, the test pairs (the same pair indices for every model in a draw). Niu et al.'s indicator
    predicts ρ < 0: the smaller the gap, the more of its score a model keeps."""
    from scipy.stats import spearmanr

    if len(results) < 3:
        raise ValueError(f"a rank correlation needs at least 3 models, got {len(results)}")
    fractions = check_fractions(fractions)

    def rho(cells, q):
        g = np.array([gap(c, q) for c in cells])
        r = np.array([robustness(c, metric, fractions, q) for c in cells])
        return float(spearmanr(g, r)[0]) if np.ptp(g) > 0 and np.ptp(r) > 0 else 0.0

    return results.across_models(rho, stratum, n_boot=n_boot, seed=seed).clipped(-1.0, 1.0)


def robustness_difference(results: PerQuery, method: Hashable, reference: Hashable, fractions, metric: str = "R@1",
                          n_boot: int = 1000, seed: int = 0, stratum: Hashable = "") -> Estimate:
    """Paired difference of robustness (points, ×100), method − reference (the same seeds, test pairs and
    occluders in every draw)."""
    results.check_paired(method, reference, "labels", stratum)
    return results.estimate(robustness_of(metric, fractions), method, reference, strata=[stratum], n_boot=n_boot,
                            seed=seed).scaled(100)
