"""Intervals for the two-tower comparisons of notebook 05: the gap, R@1 and V-Measure of a method, or the
paired difference between two methods, each with a hierarchical bootstrap over model seeds and test pairs
(``modgap.metrics.uncertainty``).

- gap: ‖mean(x̂_q) − mean(ŷ_q)‖ over the resampled test pairs q;
- R@1: text→image, per query 1 if its image comes first (a mean, so ``bootstrap_mean``);
- V-Measure: each model's KMeans clusters are kept and the test pairs resampled (a pair brings its image
  and its caption), so the interval is about seeds and test pairs, not KMeans' own randomness.

Each seed's units carry their own test pairs' classes: with data drawn per seed (05's ``data_draw``), every seed
is tested on its own draw, and a resampled index q means "the q-th test pair of that seed".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from modgap.metrics.clustering import cluster_assignments, v_measure
from modgap.metrics.gap import centroid_gap
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
    labels: np.ndarray  # (N,) class of each test pair


def pair_units(x, y, labels, seed: int) -> PairUnits:
    """The units of one model: raw embeddings ``x``, ``y`` (N, D) of its test pairs and their classes ``labels`` (N,);
    KMeans gets one cluster per class present."""
    labels = np.asarray(labels)
    if len(labels) != len(x) or len(y) != len(x):
        raise ValueError(f"{len(x)} images, {len(y)} captions and {len(labels)} labels: one of each per test pair")
    return PairUnits(l2_normalize(x), l2_normalize(y), cluster_assignments(x, y, len(np.unique(labels)), seed=seed),
                     hits_at_k(x, y, 1)["y→x"], labels)


def _gap(units: list[PairUnits], seeds, q) -> float:
    return float(np.mean([centroid_gap(units[s].x[q], units[s].y[q], normalize=False) for s in seeds]))


def _v_measure(units: list[PairUnits], seeds, q) -> float:
    out = []
    for s in seeds:
        labels = units[s].labels
        both = np.r_[q, q + len(labels)]
        out.append(v_measure(np.r_[labels, labels][both], units[s].clusters[both]))
    return float(np.mean(out))


def estimates(units: list[PairUnits], reference: list[PairUnits] | None = None, n_boot: int = 1000,
              seed: int = 0) -> dict[str, Estimate]:
    """``{"gap", "R@1", "V-Measure"}`` of one method (a list of ``PairUnits``, one per seed) or, with
    ``reference``, the paired differences method − reference (the same seeds, each on the same test pairs).
    R@1 and V-Measure in points (×100)."""
    n_s, n_q = len(units), len(units[0].labels)
    if reference is not None and len(reference) != n_s:
        raise ValueError(f"{n_s} seeds against {len(reference)}: a paired comparison needs the same seeds")
    if any(len(u.labels) != n_q for u in units + (reference or [])):
        raise ValueError("every seed needs the same number of test pairs: "
                         f"{sorted({len(u.labels) for u in units + (reference or [])})}")
    if reference is not None and any(not np.array_equal(u.labels, r.labels) for u, r in zip(units, reference)):
        raise ValueError("a paired comparison needs each seed's two models tested on the same pairs (their labels differ)")
    diff = (lambda f: lambda s, q: f(units, s, q) - f(reference, s, q)) if reference is not None else \
           (lambda f: lambda s, q: f(units, s, q))
    hits = np.stack([u.hit for u in units])
    ref_hits = np.stack([u.hit for u in reference]) if reference is not None else None
    return {"gap": bootstrap_statistic(diff(_gap), n_s, n_q, n_boot, seed=seed),
            "R@1": bootstrap_mean(hits, ref_hits, n_boot, seed=seed).scaled(100),
            "V-Measure": bootstrap_statistic(diff(_v_measure), n_s, n_q, n_boot,
                                             seed=seed).scaled(100)}
