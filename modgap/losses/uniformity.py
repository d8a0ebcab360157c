"""L_CU: uniformity of the pairs' centroids on the sphere (Grassucci et al., ICLR 2026).

With μ_i = normalize((x_i + y_i) / 2), the centre of pair i,

    L_CU = log( (1 / N(N−1)) Σ_{i≠j} exp(−2 ‖μ_i − μ_j‖²) )

the uniformity loss of Wang & Isola (2020) with t = 2, applied to pair centroids rather than to each
modality separately: the pairs spread over the sphere, while L_ATP keeps each pair together.

With ``groups`` (identities, e.g. the measurements of one molecule in a matching batch) the centroid is
that of the group, μ_g = normalize(mean_{i ∈ g} (x_i + y_i)/2), and the sum runs over distinct groups:
samples of one identity are not pushed apart. With one pair per group this is L_CU above.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def pair_centroids(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """μ_i = normalize((x_i + y_i)/2), shape (N, D)."""
    return F.normalize(0.5 * (x + y), dim=1)


def uniformity(z: torch.Tensor, t: float = 2.0) -> torch.Tensor:
    """log mean_{i≠j} exp(−t ‖z_i − z_j‖²) over the rows of z (N ≥ 2)."""
    n = len(z)
    if n < 2:
        raise ValueError("uniformity needs at least 2 embeddings")
    sq = torch.cdist(z, z).pow(2)  # (N, N)
    off = ~torch.eye(n, dtype=torch.bool, device=z.device)
    return torch.logsumexp(-t * sq[off], dim=0) - math.log(n * (n - 1))


def group_centroids(x: torch.Tensor, y: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """μ_g = normalize(mean over the pairs of group g of (x_i + y_i)/2), shape (G, D), groups in sorted order."""
    _, inverse = torch.unique(groups, return_inverse=True)  # (N,) group index of each pair
    sums = torch.zeros(int(inverse.max()) + 1, x.shape[1], dtype=x.dtype, device=x.device)
    sums = sums.index_add(0, inverse, 0.5 * (x + y))  # the normalisation makes the mean a sum
    return F.normalize(sums, dim=1)


def cu_loss(x: torch.Tensor, y: torch.Tensor, groups: torch.Tensor | None = None) -> torch.Tensor:
    """Centroid uniformity of the true pairs (or of the ``groups`` (N,), when given); x, y: (N, D), L2-normalised."""
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if groups is None:
        return uniformity(pair_centroids(x, y))
    if groups.shape != (len(x),):
        raise ValueError(f"groups must be ({len(x)},), one per pair; got {tuple(groups.shape)}")
    return uniformity(group_centroids(x, y, groups))

