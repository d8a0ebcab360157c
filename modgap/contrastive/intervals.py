"""Intervals for the two-tower comparisons of notebook 05: the gap, R@1 and V-Measure of a method, or the
paired difference between two methods, each with a hierarchical bootstrap over model seeds and test pairs
(``modgap.metrics.uncertainty``).

- gap: ‖mean(x̂_q) − mean(ŷ_q)‖ over the resampled test pairs q;
- R@1: text→image, per query 1 if its image comes first (a mean, so ``bootstrap_mean``);
- V-Measure: each model's KMeans clusters are kept and the test pairs resampled (a pair brings its image
  and its caption), so the interval is about seeds and test pairs, not KMeans' own randomness.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from modgap.metrics.clustering import cluster_assignments, v_measure
from modgap.metrics.normalize import l2_normalize
from modgap.metrics.retrieval import hits_at_k
from modgap.metrics.uncertainty import Estimate, bootstrap_mean, bootstrap_statistic


@dataclass(frozen=True)
class PairUnits:
    """What the bootstrap needs of one trained model on the test pairs."""

    x: np.ndarray  # (N, D) unit image embeddings
    y: np.ndarray  # (N, D) unit caption embeddings
    clusters: np.ndarray  # (2N,) KMeans cluster of each image, then each caption
    hit: np.ndarray  # (N,) P(a caption's own image comes first): 1/0, a fraction on ties


def pair_units(x, y, n_classes: int, seed: int) -> PairUnits:
    return PairUnits(l2_normalize(x), l2_normalize(y), cluster_assignments(x, y, n_classes, seed=seed),
                     hits_at_k(x, y, 1)["y→x"])


def _gap(units: list[PairUnits], seeds, q) -> float:
    return float(np.mean([np.linalg.norm(units[s].x[q].mean(0) - units[s].y[q].mean(0)) for s in seeds]))


def _v_measure(units: list[PairUnits], labels: np.ndarray, seeds, q) -> float:
    both = np.r_[q, q + len(labels)]
    truth = np.r_[labels, labels][both]
    return float(np.mean([v_measure(truth, units[s].clusters[both]) for s in seeds]))


def estimates(units: list[PairUnits], labels, reference: list[PairUnits] | None = None, n_boot: int = 1000,
              seed: int = 0) -> dict[str, Estimate]:
    """``{"gap", "R@1", "V-Measure"}`` of one method (a list of ``PairUnits``, one per seed) or, with
    ``reference``, the paired differences method − reference (the same seeds and pairs). R@1 and V-Measure
    in points (×100)."""
    labels = np.asarray(labels)
    n_s, n_q = len(units), len(labels)
    if reference is not None and len(reference) != n_s:
        raise ValueError(f"{n_s} seeds against {len(reference)}: a paired comparison needs the same seeds")
    diff = (lambda f: lambda s, q: f(units, s, q) - f(reference, s, q)) if reference is not None else \
           (lambda f: lambda s, q: f(units, s, q))
    hits = np.stack([u.hit for u in units])
    ref_hits = np.stack([u.hit for u in reference]) if reference is not None else None
    return {"gap": bootstrap_statistic(diff(_gap), n_s, n_q, n_boot, seed=seed),
            "R@1": bootstrap_mean(hits, ref_hits, n_boot, seed=seed).scaled(100),
            "V-Measure": bootstrap_statistic(diff(lambda u, s, q: _v_measure(u, labels, s, q)), n_s, n_q, n_boot,
                                             seed=seed).scaled(100)}
