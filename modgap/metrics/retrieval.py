"""Cross-modal retrieval: Recall@K in both directions, and the mean true-pair cosine.

Query i's true match is item i of the other modality. With similarities s_ij = cos(x_i, y_j),

    R@K(x→y) = (1/N) Σ_i 1[ rank of y_i among {s_ij}_j ≤ K ]

Ties are broken pessimistically (an item with the same score as the true match counts as ahead of it).
"""
from __future__ import annotations

import numpy as np

from modgap.metrics.normalize import l2_normalize


def true_match_ranks(x, y) -> dict:
    """``{"x→y": (N,), "y→x": (N,)}`` rank of each query's true match, 1 = best (ties count against)."""
    x, y = l2_normalize(x), l2_normalize(y)
    if x.shape != y.shape:
        raise ValueError(f"x and y must be paired (same shape), got {x.shape} and {y.shape}")
    sim = x @ y.T  # (N, N)
    return {name: (s >= np.diag(s)[:, None]).sum(axis=1) for name, s in (("x→y", sim), ("y→x", sim.T))}


def recall_at_k(x, y, ks=(1, 5, 10)) -> dict:
    """``{"R@1 x→y": …, "R@1 y→x": …, …}`` for paired rows of x, y (N, D); in [0, 1]."""
    x, y = l2_normalize(x), l2_normalize(y)
    if x.shape != y.shape:
        raise ValueError(f"x and y must be paired (same shape), got {x.shape} and {y.shape}")
    sim = x @ y.T  # (N, N)
    out = {}
    for name, s in (("x→y", sim), ("y→x", sim.T)):
        true = np.diag(s)[:, None]
        rank = (s >= true).sum(axis=1)  # 1 = best; ties count against
        for k in ks:
            out[f"R@{k} {name}"] = float((rank <= k).mean())
    return out


def true_pair_cosine(x, y) -> float:
    """Mean cos(x_i, y_i) over true pairs."""
    x, y = l2_normalize(x), l2_normalize(y)
    return float((x * y).sum(1).mean())
