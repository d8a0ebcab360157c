"""Intervals for the two-tower comparisons of notebook 05: the gap, R@1 and V-Measure of a method, or the
paired difference between two methods, from the run's per-query results (``modgap.metrics.per_query``: one
stratum, the test pairs as queries, a hierarchical bootstrap over model seeds and test pairs).

- gap: ‖mean(x̂_q) − mean(ŷ_q)‖ over the resampled test pairs q;
- R@1: text→image, per query 1 if its image comes first (a column mean, so an exact interval);
- V-Measure: each model's KMeans clusters are kept and the test pairs resampled (a pair brings its image
  and its caption), so the interval is about seeds and test pairs, not KMeans' own randomness.

Each seed's columns carry their own test pairs' classes: with data drawn per seed (05's ``data_draw``), every seed
is tested on its own draw, and a resampled index q means "the q-th test pair of that seed".
"""
from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from modgap.metrics.clustering import cluster_assignments, v_measure
from modgap.metrics.gap import centroid_gap
from modgap.metrics.normalize import l2_normalize
from modgap.metrics.per_query import PerQuery
from modgap.metrics.retrieval import hits_at_k
from modgap.metrics.uncertainty import Estimate


def pair_columns(x, y, labels, seed: int) -> dict[str, np.ndarray]:
    """The per-query columns of one two-tower model on its N test pairs, from raw embeddings ``x``, ``y`` (N, D)
    and the pairs' classes ``labels`` (N,): unit embeddings ``x``, ``y``; ``clusters`` (N, 2), the KMeans cluster
    of each image and of each caption (one cluster per class present); ``hit`` (N,), P(a caption's own image
    comes first: 1/0, a fraction on ties); ``labels``."""
    labels = np.asarray(labels)
    if len(labels) != len(x) or len(y) != len(x):
        raise ValueError(f"{len(x)} images, {len(y)} captions and {len(labels)} labels: one of each per test pair")
    clusters = cluster_assignments(x, y, len(np.unique(labels)), seed=seed)
    return {"x": l2_normalize(x), "y": l2_normalize(y), "clusters": clusters.reshape(2, -1).T,
            "hit": hits_at_k(x, y, 1)["y→x"], "labels": labels}


def gap(cell, q) -> float:
    """‖mean(x̂_q) − mean(ŷ_q)‖ of one model's test pairs q."""
    return centroid_gap(cell["x"][q], cell["y"][q], normalize=False)


def v_measure_of(cell, q) -> float:
    """V-Measure of the images and captions of the test pairs q against their classes, clusters kept."""
    truth = cell["labels"][q]
    return v_measure(np.r_[truth, truth], np.r_[cell["clusters"][q, 0], cell["clusters"][q, 1]])


def estimates(results: PerQuery, method: Hashable, reference: Hashable | None = None, n_boot: int = 1000,
              seed: int = 0, stratum: Hashable = "") -> dict[str, Estimate]:
    """``{"gap", "R@1", "V-Measure"}`` of ``method`` in ``results`` (columns of ``pair_columns``) or, with
    ``reference``, the paired differences method − reference (the same seeds, each on the same test pairs).
    R@1 and V-Measure in points (×100)."""
    if reference is not None:
        results.check_paired(method, reference, "labels", stratum)
    kw = dict(strata=[stratum], n_boot=n_boot, seed=seed)
    return {"gap": results.estimate(gap, method, reference, **kw),
            "R@1": results.estimate("hit", method, reference, **kw).scaled(100),
            "V-Measure": results.estimate(v_measure_of, method, reference, **kw).scaled(100)}
