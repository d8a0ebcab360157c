"""Distribution-alignment losses on features (the baseline family that reduces distributional differences).

    MMD²(f_a, f_b) = mean k(a, a') + mean k(b, b') − 2 mean k(a, b)       biased estimate (Gretton et al. 2012)
        k(u, v) = Σ_{s ∈ {½, 1, 2}} exp(−‖u − v‖² / (2 s m)),  m = median of the batch's squared distances
        (so the squared bandwidths are σ² = s·m; m is treated as a constant, not differentiated)
"""
from __future__ import annotations

import torch


def mmd_loss(fa: torch.Tensor, fb: torch.Tensor, scales=(0.5, 1.0, 2.0)) -> torch.Tensor:
    """Biased multi-kernel MMD² between feature batches (B, D); ``scales`` are the s above."""
    z = torch.cat([fa, fb])
    d2 = torch.cdist(z, z).pow(2)
    sigma2 = d2.detach().median().clamp(min=1e-6)
    k = sum(torch.exp(-d2 / (2 * s * sigma2)) for s in scales)
    n = len(fa)
    return k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean()

