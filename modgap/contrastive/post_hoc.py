"""Closing the gap after training: transforms fitted on a train split of pairs, applied to held-out pairs.

Each closer is fitted on train pairs (x, y) (N, D) and returns ``apply(x, y) -> (x', y')``, unit rows:

- **mean-centring** (GR-CLIP's training-free fix): subtract each modality's train mean, renormalise,
  ``x' = normalize(x̂ − μ_x)``, ``y' = normalize(ŷ − μ_y)``;
- **shift** along the gap (Liang et al. 2022): with g = Δ/‖Δ‖ and Δ = μ_x − μ_y of the train pairs,
  ``x' = normalize(x̂ − ½λg)``, ``y' = normalize(ŷ + ½λg)``; λ = ‖Δ‖ by default (the shift that would bring the
  two train centres together before renormalising);
- **Procrustes**: the orthogonal R minimising ‖aR − b‖_F over the train pairs (Schönemann 1966,
  ``scipy.linalg.orthogonal_procrustes``), fitted where it is determined: in the top-k principal directions U
  (D × k) of the train pairs of both modalities, a = x̂U, b = ŷU, with k below the number of pairs, so aᵀb has
  full rank and R is unique (in all 512 dimensions, 250 pairs leave aᵀb of rank 250 and many optimal rotations:
  which one the linear-algebra library returns decided R@1). Then ``x' = normalize(x̂ + x̂U(R − I)Uᵀ)``, ``y' = ŷ``:
  the rest of the space is left as it is. k is chosen on a validation split carved from the train pairs (80/20, the
  k of ``PROCRUSTES_DIMS`` with the best mean R@1 of both directions there, the smallest on a tie), then R is
  refitted on every train pair. A rotation keeps every within-modality cosine inside the subspace.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from modgap.contrastive.anatomy import shift_along_gap, unit_gap_direction
from modgap.metrics.gap import centroid_gap
from modgap.metrics.normalize import l2_normalize

Closer = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def mean_centring(x_train, y_train) -> Closer:
    mx, my = l2_normalize(x_train).mean(0), l2_normalize(y_train).mean(0)
    return lambda x, y: (l2_normalize(l2_normalize(x) - mx), l2_normalize(l2_normalize(y) - my))


def gap_shift(x_train, y_train, lam: float | None = None) -> Closer:
    g = unit_gap_direction(x_train, y_train)
    if lam is None:
        lam = centroid_gap(x_train, y_train)
    return lambda x, y: shift_along_gap(x, y, lam, g)


#: the subspace sizes Procrustes chooses from on its validation split (each below the pairs it is fitted on)
PROCRUSTES_DIMS = (4, 8, 16, 32, 64, 128)


def _procrustes_map(x_train, y_train, k: int) -> np.ndarray:
    """(D, D) the map x̂ ↦ x̂ + x̂U(R − I)Uᵀ of a rotation R fitted in the top-k principal directions U."""
    from scipy.linalg import orthogonal_procrustes

    x, y = l2_normalize(x_train), l2_normalize(y_train)
    if not 0 < k < len(x):
        raise ValueError(f"Procrustes in {k} dimensions needs more than {k} train pairs (it has {len(x)}): "
                         "below that the rotation is not determined")
    z = np.concatenate([x, y])
    u = np.linalg.svd(z - z.mean(0), full_matrices=False)[2][:k].T  # (D, k) principal directions
    r, _ = orthogonal_procrustes(x @ u, y @ u)  # (k, k): unique, since (xU)ᵀ(yU) has rank k
    return np.eye(x.shape[1]) + u @ (r - np.eye(k)) @ u.T


def procrustes_dims(x_train, y_train, seed: int = 0) -> int:
    """The k of ``PROCRUSTES_DIMS`` (below the inner train pairs) with the best mean R@1 of both directions on a
    validation split of the train pairs (20%, drawn with ``seed``); the smallest k on a tie."""
    from modgap.metrics.retrieval import recall_at_k

    n = len(x_train)
    perm = np.random.default_rng(seed).permutation(n)
    n_val = max(2, n // 5)
    val, fit = perm[:n_val], perm[n_val:]
    dims = [k for k in PROCRUSTES_DIMS if k < len(fit) and k <= x_train.shape[1]]
    if not dims:
        raise ValueError(f"{n} train pairs are too few for Procrustes (the smallest subspace is {PROCRUSTES_DIMS[0]})")

    def score(k):
        m = _procrustes_map(x_train[fit], y_train[fit], k)
        r = recall_at_k(l2_normalize(l2_normalize(x_train[val]) @ m), l2_normalize(y_train[val]), (1,))
        return (r["R@1 x→y"] + r["R@1 y→x"]) / 2

    scores = [score(k) for k in dims]
    return dims[int(np.argmax(scores))]  # argmax takes the first, i.e. the smallest k, on a tie


def procrustes(x_train, y_train, k: int | None = None, seed: int = 0) -> Closer:
    k = procrustes_dims(x_train, y_train, seed) if k is None else k
    m = _procrustes_map(x_train, y_train, k)
    closer = lambda x, y: (l2_normalize(l2_normalize(x) @ m), l2_normalize(y))  # noqa: E731
    closer.dims = k
    return closer


#: name -> fit(x_train, y_train) -> closer; the names the audit's ``--closers`` accepts
CLOSERS: dict[str, Callable[[np.ndarray, np.ndarray], Closer]] = {
    "mean-centring": mean_centring, "shift": gap_shift, "procrustes": procrustes}
