"""The full objective of Grassucci et al. (ICLR 2026) and its ablations.

    L = InfoNCE(x, y; τ) + α(p) · L_ATP(x, y) + β(p) · L_CU(x, y)

on L2-normalised tower outputs x, y, with α, β the schedules of ``schedules.py`` and p the fraction
of training done. τ is fixed, or learned from ``temperature`` as its starting value
(``LearnableTemperature``). ``variant`` picks the terms (``VARIANTS``): ``"clip"`` (InfoNCE only), ``"full"`` (all
three), ``"atp"`` (InfoNCE + L_ATP), ``"cu"`` (InfoNCE + L_CU), ``"atp+cu"`` (no InfoNCE). The ``-w1`` ablations
(``"atp-w1"``, ``"cu-w1"``) weight their term by a constant 1 instead of the α/β schedules: the form
ispamm/ModGap trains its "ATP only" and "CU only" ablations in.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from modgap.losses.infonce import LearnableTemperature, info_nce
from modgap.losses.pair_alignment import atp_loss
from modgap.losses.schedules import alpha_schedule, beta_schedule
from modgap.losses.uniformity import cu_loss


@dataclass(frozen=True)
class Variant:
    """Which terms a loss variant adds to its total, and how the extra terms are weighted: ``"scheduled"`` by α(p)
    and β(p) (Grassucci et al.), ``"constant"`` by 1 throughout (the ``-w1`` ablations of ispamm/ModGap)."""

    nce: bool
    atp: bool
    cu: bool
    weights: str = "scheduled"

    def atp_weight(self, progress: float) -> float:
        return 1.0 if self.weights == "constant" else alpha_schedule(progress)

    def cu_weight(self, progress: float) -> float:
        return 1.0 if self.weights == "constant" else beta_schedule(progress)


VARIANTS = {
    "clip": Variant(nce=True, atp=False, cu=False),
    "full": Variant(nce=True, atp=True, cu=True),
    "atp": Variant(nce=True, atp=True, cu=False),
    "cu": Variant(nce=True, atp=False, cu=True),
    "atp+cu": Variant(nce=False, atp=True, cu=True),
    "atp-w1": Variant(nce=True, atp=True, cu=False, weights="constant"),
    "cu-w1": Variant(nce=True, atp=False, cu=True, weights="constant"),
}


def _renamed_temperature(state_dict, prefix, *args):
    """Checkpoints written before the learned τ was named ``learned_temperature`` (it was ``temperature``) load."""
    for key in [k for k in state_dict if k.startswith(prefix + "temperature.")]:
        state_dict[prefix + "learned_" + key[len(prefix):]] = state_dict.pop(key)


class GapClosingLoss(nn.Module):
    """Callable as ``loss(x, y, progress) -> (total, parts)``; x, y raw tower outputs (N, D)."""

    def __init__(self, variant: str = "full", temperature: float = 0.1, learnable_temperature: bool = False):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r}; expected one of {sorted(VARIANTS)}")
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.variant = variant
        self.terms = VARIANTS[variant]
        #: τ as a parameter when it is learned (CLIP's logit scale), else None
        self.learned_temperature = LearnableTemperature(temperature) if learnable_temperature else None
        #: τ at the start: the fixed τ, or where a learned one starts
        self.initial_temperature = temperature
        self._register_load_state_dict_pre_hook(_renamed_temperature)

    def tau(self) -> torch.Tensor | float:
        """τ now: the learned one's current value, or the fixed one."""
        return self.learned_temperature() if self.learned_temperature is not None else self.initial_temperature

    def forward(self, x: torch.Tensor, y: torch.Tensor, progress: float):
        x, y = F.normalize(x, dim=1), F.normalize(y, dim=1)
        parts = {}
        total = x.new_zeros(())
        v = self.terms
        if v.nce:
            parts["nce"] = info_nce(x, y, self.tau())
            total = total + parts["nce"]
        if v.atp:
            parts["atp"] = atp_loss(x, y)
            total = total + v.atp_weight(progress) * parts["atp"]
        if v.cu:
            parts["cu"] = cu_loss(x, y)
            total = total + v.cu_weight(progress) * parts["cu"]
        return total, parts
