"""Closing the gap by training, on frozen pretrained features: a linear head per modality on top of fixed
embeddings (e.g. CLIP's), trained with a ``GapClosingLoss`` variant on a train split of the pairs.

    x' = W_x f_x + b_x,    y' = W_y f_y + b_y      (W initialised to the identity, b to 0)

so training starts from the pretrained geometry (its gap, its retrieval) and the loss alone decides what
moves: InfoNCE ("clip") against InfoNCE + α L_ATP + β L_CU ("full", Grassucci et al.). The features never
change; only the two (D × D) heads learn. With a few hundred pairs for 2·D(D + 1) ≈ 525k parameters, both
variants fit their train pairs perfectly, so a pull to the identity (ρ ‖W − I‖²) and the learning rate are chosen
on a validation split carved from the train pairs, by a rule fixed before any test pair is seen
(:func:`choose_head_settings`).
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
    def __init__(self, dim: int, loss: GapClosingLoss, identity_pull: float = 0.0):
        super().__init__()
        self.head_x, self.head_y, self.loss = IdentityInitLinear(dim), IdentityInitLinear(dim), loss
        self.identity_pull = identity_pull

    def pull(self) -> torch.Tensor:
        """ρ (‖W_x − I‖²_F + ‖W_y − I‖²_F + ‖b_x‖² + ‖b_y‖²): the regulariser that keeps the heads near the identity
        — near the pretrained geometry — with a few hundred pairs to fit 2·D(D + 1) parameters."""
        eye = torch.eye(self.head_x.weight.shape[0], device=self.head_x.weight.device)
        return self.identity_pull * sum((h.weight - eye).pow(2).sum() + h.bias.pow(2).sum()
                                        for h in (self.head_x, self.head_y))

    @torch.no_grad()
    def embed(self, fx, fy) -> tuple[np.ndarray, np.ndarray]:
        """Raw head outputs (N, D) of features fx, fy, as NumPy."""
        self.eval()
        dev = self.head_x.weight.device
        fx, fy = (torch.as_tensor(np.asarray(f), dtype=torch.float32, device=dev) for f in (fx, fy))
        return self.head_x(fx).cpu().numpy(), self.head_y(fy).cpu().numpy()


def train_heads(fx, fy, variant: str = "clip", temperature: float = 0.01, epochs: int = 40, batch_size: int = 64,
                lr: float = 1e-3, seed: int = 0, device="cpu", progress_bar: bool = False,
                identity_pull: float = 0.0) -> FrozenFeatureHeads:
    """Heads trained on the train pairs (fx, fy) (N, D) with ``GapClosingLoss(variant, temperature)`` plus the pull
    to the identity (``FrozenFeatureHeads.pull``, weight ``identity_pull``), full cosine schedule, last epoch kept."""
    fx, fy = (torch.as_tensor(np.asarray(f), dtype=torch.float32, device=device) for f in (fx, fy))
    if fx.shape != fy.shape or fx.ndim != 2:
        raise ValueError(f"fx and fy must both be (N, D), got {tuple(fx.shape)} and {tuple(fy.shape)}")
    with seeded(seed):
        model = FrozenFeatureHeads(fx.shape[1], GapClosingLoss(variant, temperature), identity_pull).to(device)

    def step(idx, progress):
        loss, logs = model.loss(model.head_x(fx[idx]), model.head_y(fy[idx]), progress)
        return (loss + model.pull(), logs) if identity_pull else (loss, logs)

    fit({"model": model}, step, len(fx), epochs, batch_size, lr, seed=seed, progress_bar=progress_bar,
        desc=f"heads {variant} s{seed}", lr_schedule="cosine", device=device)
    return model


#: the settings the heads choose from, on a validation split of the train pairs: (learning rate, pull to the identity)
HEAD_GRID = tuple((lr, pull) for lr in (1e-3, 1e-4) for pull in (0.0, 0.01, 0.1, 1.0))


def choose_head_settings(fx, fy, temperature: float = 0.01, epochs: int = 40, seed: int = 0, device="cpu",
                         grid=HEAD_GRID) -> tuple[float, float]:
    """The rule, fixed before any test pair is seen: carve 20% of the train pairs off as a validation split (drawn
    with ``seed``), train **InfoNCE** heads (the baseline loss, so the choice does not favour the gap-closing terms)
    at every (learning rate, identity pull) of ``grid`` on the rest, and keep the setting with the best mean R@1 of
    both directions on the validation pairs (the first in ``grid`` order on a tie). Both variants then train with it
    on every train pair."""
    from modgap.metrics.normalize import l2_normalize
    from modgap.metrics.retrieval import recall_at_k

    fx, fy = np.asarray(fx), np.asarray(fy)
    perm = np.random.default_rng(seed).permutation(len(fx))
    n_val = max(2, len(fx) // 5)
    val, fit_ = perm[:n_val], perm[n_val:]
    scores = []
    for lr, pull in grid:
        heads = train_heads(fx[fit_], fy[fit_], "clip", temperature, epochs=epochs, lr=lr, seed=seed, device=device,
                            identity_pull=pull)
        a, b = (l2_normalize(v) for v in heads.embed(fx[val], fy[val]))
        r = recall_at_k(a, b, (1,))
        scores.append((r["R@1 x→y"] + r["R@1 y→x"]) / 2)
    return grid[int(np.argmax(scores))]
