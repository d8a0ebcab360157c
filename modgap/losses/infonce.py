"""Symmetric InfoNCE, the CLIP loss (Radford et al. 2021; van den Oord et al. 2018).

For a batch of N true pairs with L2-normalised embeddings x_i, y_i:

    logits_ij = x_i · y_j / τ
    L = ½ [ CE(logits, I) + CE(logitsᵀ, I) ]
      = −(1/2N) Σ_i [ log softmax_j(logits_ij)|_{j=i} + log softmax_j(logits_ji)|_{j=i} ]

τ is fixed (0.1 in Grassucci et al.) or learned (CLIP: a parameter log(1/τ), initialised at
1/τ = 1/0.07 and kept in [1, 100] by clamping the *parameter* after each optimizer step, as open_clip clamps
``logit_scale`` to [0, log 100]). ``LearnableTemperature(init)`` starts from ``init`` (CLIP's 0.07 by
default; ``GapClosingLoss`` passes its own ``temperature``).

The logits and the loss are computed in float32 even under autocast: with bf16 logits the loss moved by up to
0.7% at τ = 0.01 (the peers train in fp32), while the matrix product is a negligible part of a step.
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
    with torch.autocast(device_type=x.device.type, enabled=False):  # fp32 logits, whatever autocast is on
        dtype = torch.promote_types(x.dtype, torch.float32)  # bf16/fp16 up to fp32; fp64 stays fp64
        logits = x.to(dtype) @ y.to(dtype).T / temperature  # (N, N)
        target = torch.arange(len(x), device=x.device)
        return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


#: CLIP's initial temperature (Radford et al. 2021), where a learned τ starts.
CLIP_INITIAL_TEMPERATURE = 0.07


class LearnableTemperature(nn.Module):
    """CLIP's temperature: stores s = log(1/τ); ``forward()`` returns τ = exp(−s).

    s is kept in [0, log max_scale] by ``after_optimizer_step()``, which ``modgap.training.fit`` calls after
    every step (open_clip: ``logit_scale.clamp_(0, log(100))``). Clamping the parameter, not the value in
    ``forward()``, keeps the gradient: a clamp inside ``forward()`` has gradient exactly 0 above the cap, so a τ
    that reached 1/max_scale stayed there for good."""

    def __init__(self, init: float = CLIP_INITIAL_TEMPERATURE, max_scale: float = 100.0):
        super().__init__()
        if not 1.0 / max_scale <= init <= 1.0:
            raise ValueError(f"a learned temperature must start in [1/{max_scale:g}, 1], got {init}")
        self.log_scale = nn.Parameter(torch.tensor(math.log(1.0 / init)))
        self.max_scale = max_scale

    def forward(self) -> torch.Tensor:
        return (-self.log_scale).exp()

    @torch.no_grad()
    def after_optimizer_step(self) -> None:
        self.log_scale.clamp_(0.0, math.log(self.max_scale))
