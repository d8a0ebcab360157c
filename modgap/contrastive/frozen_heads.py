"""Closing the gap by training, on frozen pretrained features: a linear head per modality on top of fixed
embeddings (e.g. CLIP's), trained with a ``GapClosingLoss`` variant on a train split of the pairs.

    x' = W_x f_x + b_x,    y' = W_y f_y + b_y      (W initialised to the identity, b to 0)

so training starts from the pretrained geometry (its gap, its retrieval) and the loss alone decides what
moves: InfoNCE ("clip") against InfoNCE + α L_ATP + β L_CU ("full", Grassucci et al.). The features never
change; only the two (D × D) heads learn.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from modgap.losses import GapClosingLoss
from modgap.seed import seeded
from modgap.training import fit


class IdentityInitLinear(nn.Linear):
    """``nn.Linear(d, d)`` that starts as the identity map."""

    def __init__(self, d: int):
        super().__init__(d, d)
        with torch.no_grad():
            self.weight.copy_(torch.eye(d))
            self.bias.zero_()


class FrozenFeatureHeads(nn.Module):
    def __init__(self, dim: int, loss: GapClosingLoss):
        super().__init__()
        self.head_x, self.head_y, self.loss = IdentityInitLinear(dim), IdentityInitLinear(dim), loss

    @torch.no_grad()
    def embed(self, fx, fy) -> tuple[np.ndarray, np.ndarray]:
        """Raw head outputs (N, D) of features fx, fy, as NumPy."""
        self.eval()
        dev = self.head_x.weight.device
        fx, fy = (torch.as_tensor(np.asarray(f), dtype=torch.float32, device=dev) for f in (fx, fy))
        return self.head_x(fx).cpu().numpy(), self.head_y(fy).cpu().numpy()


def train_heads(fx, fy, variant: str = "clip", temperature: float = 0.01, epochs: int = 40, batch_size: int = 64,
                lr: float = 1e-3, seed: int = 0, device="cpu", progress_bar: bool = False) -> FrozenFeatureHeads:
    """Heads trained on the train pairs (fx, fy) (N, D) with ``GapClosingLoss(variant, temperature)``, full
    cosine schedule, last epoch kept."""
    fx, fy = (torch.as_tensor(np.asarray(f), dtype=torch.float32, device=device) for f in (fx, fy))
    if fx.shape != fy.shape or fx.ndim != 2:
        raise ValueError(f"fx and fy must both be (N, D), got {tuple(fx.shape)} and {tuple(fy.shape)}")
    with seeded(seed):
        model = FrozenFeatureHeads(fx.shape[1], GapClosingLoss(variant, temperature)).to(device)

    def step(idx, progress):
        return model.loss(model.head_x(fx[idx]), model.head_y(fy[idx]), progress)

    fit({"model": model}, step, len(fx), epochs, batch_size, lr, seed=seed, progress_bar=progress_bar,
        desc=f"heads {variant} s{seed}", lr_schedule="cosine", device=device)
    return model
