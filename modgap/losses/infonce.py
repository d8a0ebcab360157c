"""Symmetric InfoNCE, the CLIP loss (Radford et al. 2021; van den Oord et al. 2018).

For a batch of N true pairs with L2-normalised embeddings x_i, y_i:

    logits_ij = x_i · y_j / τ
    L = ½ [ CE(logits, I) + CE(logitsᵀ, I) ]
      = −(1/2N) Σ_i [ log softmax_j(logits_ij)|_{j=i} + log softmax_j(logits_ji)|_{j=i} ]

τ is fixed (0.1 in Grassucci et al.) or learned (CLIP: a parameter log(1/τ), initialised at
1/τ = 1/0.07 and clamped at 100). ``LearnableTemperature(init)`` starts from ``init`` (CLIP's 0.07 by
default; ``GapClosingLoss`` passes its own ``temperature``).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def info_nce(x: torch.Tensor, y: torch.Tensor, temperature: float | torch.Tensor = 0.1) -> torch.Tensor:
    """Symmetric InfoNCE of normalised embeddings ``x, y`` of shape (N, D); row i of each is a true pair."""
    if x.shape != y.shape or x.ndim != 2:
        raise ValueError(f"x and y must both be (N, D), got {tuple(x.shape)} and {tuple(y.shape)}")
    logits = x @ y.T / temperature  # (N, N)
    target = torch.arange(len(x), device=x.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


#: CLIP's initial temperature (Radford et al. 2021), where a learned τ starts.
CLIP_INITIAL_TEMPERATURE = 0.07


class LearnableTemperature(nn.Module):
    """CLIP's temperature: stores s = log(1/τ); ``forward()`` returns τ = 1/exp(s) with exp(s) ≤ max_scale."""

    def __init__(self, init: float = CLIP_INITIAL_TEMPERATURE, max_scale: float = 100.0):
        super().__init__()
        self.log_scale = nn.Parameter(torch.tensor(math.log(1.0 / init)))
        self.max_scale = max_scale

    def forward(self) -> torch.Tensor:
        return 1.0 / self.log_scale.exp().clamp(max=self.max_scale)
