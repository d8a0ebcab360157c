"""Cross-modal retrieval: Recall@K in both directions, and the mean true-pair cosine.

Query i's true match is item i of the other modality. With similarities s_ij = cos(x_i, y_j), let
``a_i = #{j : s_ij > s_ii}`` (items strictly ahead of the true match) and ``t_i = #{j : s_ij = s_ii}`` (items
tied with it, the true match included; "equal" within ``TIE_TOL``, so a duplicated caption is a tie however the
matrix product rounds). Ties are broken **uniformly at random**, so the true match's rank is uniform on
``a_i + 1, …, a_i + t_i`` and

    P(rank_i ≤ K) = clip((K − a_i) / t_i, 0, 1),     R@K(x→y) = (1/N) Σ_i P(rank_i ≤ K)

(the expected recall under random tie-breaking), and the expected rank is ``a_i + (t_i + 1)/2``. A duplicate of
the true match thus neither counts against it (the old pessimistic rule: R@1 = 0 for two identical captions)
nor for it (an optimistic rule would let a model that maps every caption to one point score R@1 = 1): with t
indistinguishable candidates the query scores 1/t at R@1. Without ties this is the usual Recall@K.
"""
from __future__ import annotations

import numpy as np

from modgap.metrics.normalize import l2_normalize

TIE_TOL = 1e-9  # |s_ij − s_ii| at or below this is a tie (float64 cosines of identical rows agree far closer)


def _ahead_and_tied(x, y) -> dict:
    """``{"x→y": (a, t), "y→x": (a, t)}``: per query, items strictly ahead of its true match and items tied
    with it (itself included)."""
    x, y = l2_normalize(x), l2_normalize(y)
    if x.shape != y.shape:
        raise ValueError(f"x and y must be paired (same shape), got {x.shape} and {y.shape}")
    sim = x @ y.T  # (N, N)
    out = {}
    for name, s in (("x→y", sim), ("y→x", sim.T)):
        true = np.diag(s)[:, None]
        out[name] = ((s > true + TIE_TOL).sum(1), (np.abs(s - true) <= TIE_TOL).sum(1))
    return out


def true_match_ranks(x, y) -> dict:
    """``{"x→y": (N,), "y→x": (N,)}`` expected rank of each query's true match, 1 = best; a tie of t items
    puts it at the middle of their ranks (a float then)."""
    return {name: a + (t + 1) / 2 for name, (a, t) in _ahead_and_tied(x, y).items()}


def hits_at_k(x, y, k: int = 1) -> dict:
    """``{"x→y": (N,), "y→x": (N,)}`` per query, P(its true match is within the top k), in [0, 1]: 1 or 0
    without ties, a fraction when the true match ties with others. The per-query units of ``recall_at_k``."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return {name: np.clip((k - a) / t, 0.0, 1.0) for name, (a, t) in _ahead_and_tied(x, y).items()}


def recall_at_k(x, y, ks=(1, 5, 10)) -> dict:
    """``{"R@1 x→y": …, "R@1 y→x": …, …}`` for paired rows of x, y (N, D); in [0, 1]."""
    counts = _ahead_and_tied(x, y)
    return {f"R@{k} {name}": float(np.clip((k - a) / t, 0.0, 1.0).mean())
            for k in ks for name, (a, t) in counts.items()}


def true_pair_cosine(x, y, weights=None):
    """Mean cos(x_i, y_i) over true pairs; with ``weights`` (B, N) over the pairs, the weighted mean under each
    weighting (an array (B,))."""
    x, y = l2_normalize(x), l2_normalize(y)
    cos = (x * y).sum(1)
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        return w @ cos / w.sum(1)
    return float(cos.mean())
