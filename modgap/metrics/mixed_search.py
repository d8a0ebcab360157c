"""Mixed-modality search (Li et al., 2025, "Closing the modality gap for mixed modality search", GR-CLIP): one
index that holds both modalities, as a search engine over images *and* captions would.

With N pairs (x_i, y_i) the index holds all 2N unit rows z = [x; y]; every item queries the other 2N − 1, and its
only relevant item is its partner (x_i's caption y_i, or y_i's image x_i). With s_qj = cos(z_q, z_j), ``a_q`` the
items strictly ahead of the partner and ``t_q`` those tied with it (partner included; ties broken at random, as in
``modgap.metrics.retrieval``):

- **partner@1** = P(rank ≤ 1) = clip((1 − a_q)/t_q, 0, 1): the partner comes first;
- **nDCG@k** with the partner as the one relevant item = 1/log₂(1 + rank) if rank ≤ k, else 0 (at the expected rank
  a_q + (t_q + 1)/2; the ideal DCG is 1);
- **own-modality share@k**: the share of the query's top k from its own modality. With a gap, cos(x_i, x_j) of two
  images tends to exceed cos(x_i, y_i) of the true pair: a query prefers its own modality, and GR-CLIP's
  mean-centring is meant to remove that preference.

Per pair, the two queries' values are averaged (``per_pair``), the unit a bootstrap over pairs resamples.
"""
from __future__ import annotations

import numpy as np

from modgap.metrics.normalize import l2_normalize
from modgap.metrics.retrieval import TIE_TOL

K = 10


def mixed_outcomes(x, y, k: int = K) -> dict[str, np.ndarray]:
    """``{"partner@1", f"nDCG@{k}", f"own-modality share@{k}"}`` → (2N,) per query: images 0…N−1, then captions."""
    x, y = l2_normalize(np.asarray(x, np.float64)), l2_normalize(np.asarray(y, np.float64))
    if x.shape != y.shape:
        raise ValueError(f"x and y must be paired (same shape), got {x.shape} and {y.shape}")
    n = len(x)
    if n < 2 or k < 1:
        raise ValueError(f"a mixed index needs at least 2 pairs and k ≥ 1, got {n} pairs and k = {k}")
    z = np.concatenate([x, y])
    s = z @ z.T
    np.fill_diagonal(s, -np.inf)  # a query is not its own result
    partner = np.r_[np.arange(n, 2 * n), np.arange(n)]
    true = s[np.arange(2 * n), partner][:, None]
    ahead = (s > true + TIE_TOL).sum(1)
    tied = (np.abs(s - true) <= TIE_TOL).sum(1)
    rank = ahead + (tied + 1) / 2
    top = np.argsort(-s, axis=1, kind="stable")[:, :k]
    own = (top < n) == (np.arange(2 * n) < n)[:, None]
    return {"partner@1": np.clip((1 - ahead) / tied, 0.0, 1.0),
            f"nDCG@{k}": np.where(rank <= k, 1.0 / np.log2(1.0 + rank), 0.0),
            f"own-modality share@{k}": own.mean(1)}


def per_pair(outcomes: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """(2N,) per query → (N,) per pair: the mean of the image's and the caption's query."""
    return {name: (v[: len(v) // 2] + v[len(v) // 2:]) / 2 for name, v in outcomes.items()}


def mixed_search(x, y, k: int = K) -> dict[str, float]:
    """The three numbers over all queries (means of ``mixed_outcomes``)."""
    return {name: float(v.mean()) for name, v in mixed_outcomes(x, y, k).items()}
