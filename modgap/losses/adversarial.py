"""Domain-adversarial losses: a discriminator D learns to tell modality A (label 0) from B (label 1)
through a gradient-reversal layer R (Ganin & Lempitsky 2015), so the network before R learns to make
the modalities indistinguishable — with one optimiser for both sides of the min–max game.

    L_dom(ℓ_a, ℓ_b) = BCE(ℓ_a, 0) + BCE(ℓ_b, 1)                    ℓ = D(R(·)) the logits
    L_adv = L_dom(D(R(G(a))), D(R(G(b))))                            cmUNet, in sample space (PatchGAN D)

DANN uses ``domain_bce`` on the logits of its feature-space D; cmUNet uses ``adversarial_loss``, which
runs both modalities through D in one batch so that D's BatchNorm cannot tell them apart by their batch
statistics alone. OUR ASSUMPTION for cmUNet: gradient reversal for the paper's adversarial loss.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from modgap.models.layers import grad_reverse


def domain_bce(logits_a: torch.Tensor, logits_b: torch.Tensor) -> torch.Tensor:
    """L_dom: binary cross-entropy with A labelled 0 and B labelled 1 (means over each side's logits)."""
    return (F.binary_cross_entropy_with_logits(logits_a, torch.zeros_like(logits_a))
            + F.binary_cross_entropy_with_logits(logits_b, torch.ones_like(logits_b)))


def adversarial_loss(discriminator, ga: torch.Tensor, gb: torch.Tensor, lam: float = 1.0) -> torch.Tensor:
    """L_adv on reversed-gradient inputs, both modalities in one pass: D learns to separate, G to confuse."""
    la, lb = discriminator(grad_reverse(torch.cat([ga, gb]), lam)).split([len(ga), len(gb)])
    return domain_bce(la, lb)
