"""Distribution-alignment losses on features (the baseline family that reduces distributional differences).

    MMD²(f_a, f_b) with a sum of RBF kernels, bandwidths σ ∈ {median·2^k}    (Gretton et al. 2012)
    CORAL(f_a, f_b) = ‖C_a − C_b‖²_F / (4 d²),  C = feature covariance        (Sun & Saenko 2016)
"""
from __future__ import annotations

import torch


def mmd_loss(fa: torch.Tensor, fb: torch.Tensor, scales=(0.5, 1.0, 2.0)) -> torch.Tensor:
    """Biased multi-kernel MMD² estimate between feature batches (B, D)."""
    z = torch.cat([fa, fb])
    d2 = torch.cdist(z, z).pow(2)
    sigma2 = d2.detach().median().clamp(min=1e-6)
    k = sum(torch.exp(-d2 / (2 * s * sigma2)) for s in scales)
    n = len(fa)
    return k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean()


def coral_loss(fa: torch.Tensor, fb: torch.Tensor) -> torch.Tensor:
    d = fa.shape[1]
    ca = torch.cov(fa.T)
    cb = torch.cov(fb.T)
    return (ca - cb).pow(2).sum() / (4 * d * d)
