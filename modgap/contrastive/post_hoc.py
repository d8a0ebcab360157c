"""Closing the gap after training: transforms fitted on a train split of pairs, applied to held-out pairs.

Each closer is fitted on train pairs (x, y) (N, D) and returns ``apply(x, y) -> (x', y')``, unit rows:

- **mean-centring** (GR-CLIP's training-free fix): subtract each modality's train mean, renormalise,
  ``x' = normalize(x̂ − μ_x)``, ``y' = normalize(ŷ − μ_y)``;
- **shift** along the gap (Liang et al. 2022): with g = Δ/‖Δ‖ and Δ = μ_x − μ_y of the train pairs,
  ``x' = normalize(x̂ − ½λg)``, ``y' = normalize(ŷ + ½λg)``; λ = ‖Δ‖ by default (the shift that would bring the
  two train centres together before renormalising);
- **Procrustes**: the orthogonal R minimising ‖x̂R − ŷ‖_F over the train pairs (Schönemann 1966,
  ``scipy.linalg.orthogonal_procrustes``), ``x' = x̂R``, ``y' = ŷ``. A rotation keeps every within-modality
  cosine, so only cross-modal scores change.
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


def procrustes(x_train, y_train) -> Closer:
    from scipy.linalg import orthogonal_procrustes

    r, _ = orthogonal_procrustes(l2_normalize(x_train), l2_normalize(y_train))  # (D, D) orthogonal
    return lambda x, y: (l2_normalize(l2_normalize(x) @ r), l2_normalize(y))


#: name -> fit(x_train, y_train) -> closer; the names the audit's ``--closers`` accepts
CLOSERS: dict[str, Callable[[np.ndarray, np.ndarray], Closer]] = {
    "mean-centring": mean_centring, "shift": gap_shift, "procrustes": procrustes}
