"""L_CU: uniformity of the pairs' centroids on the sphere (Grassucci et al., ICLR 2026).

With μ_i = normalize((x_i + y_i) / 2), the centre of pair i,

    L_CU = log( (1 / N(N−1)) Σ_{i≠j} exp(−2 ‖μ_i − μ_j‖²) )

the uniformity loss of Wang & Isola (2020) with t = 2, applied to pair centroids rather than to each
modality separately: the pairs spread over the sphere, while L_ATP keeps each pair together.
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


def cu_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Centroid uniformity of the true pairs; x, y: (N, D), L2-normalised."""
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    return uniformity(pair_centroids(x, y))


def modality_uniformity_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The ablation: uniformity of each modality separately, ½[U(x) + U(y)]."""
    return 0.5 * (uniformity(x) + uniformity(y))
