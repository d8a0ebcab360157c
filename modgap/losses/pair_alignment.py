"""L_ATP: pull the two embeddings of every true pair onto each other (Grassucci et al., ICLR 2026).

    L_ATP = (1/N) Σ_i ‖x_i − y_i‖²     (x, y L2-normalised, so ‖x_i − y_i‖² = 2 − 2 cos(x_i, y_i))

InfoNCE only asks a true pair to be *closer* than the others, which a constant offset between the
modalities (the gap) does not disturb; L_ATP penalises the offset itself.
"""
from __future__ import annotations

import torch


def atp_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared distance between the normalised embeddings of true pairs; x, y: (N, D)."""
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    return (x - y).pow(2).sum(dim=1).mean()
