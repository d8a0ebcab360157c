"""The losses that train cmUNet G (Niu et al., IEEE TIP), for a true pair (a, b) of modalities A, B.

    L_trans = ‖G(a) − b‖₁ + ‖G(b) − a‖₁                    cross-modality transformation
    L_rec   = ‖G(a) − a‖₁ + ‖G(b) − b‖₁                    in-modality reconstruction
    L_adv   = BCE(D(R(G(a))), 0) + BCE(D(R(G(b))), 1)       adversarial, R = gradient reversal
    L_perc  = ‖φ(G(a)) − φ(G(b))‖₁                          perceptual, φ a frozen feature network

(‖·‖₁ as a mean over elements.) L_trans and L_rec pull G's output of either modality towards *both*
samples of the pair, so the representation keeps what the two share (identity) and must give up what
only one modality has; L_adv and L_perc make G(a) and G(b) indistinguishable in sample space and in
the feature space of φ. OUR ASSUMPTIONS: L1 distances, gradient reversal for the min–max game, and φ
trained here on our own data (no pretrained perceptual network is available offline).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from modgap.models.layers import grad_reverse


def transformation_loss(ga: torch.Tensor, gb: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(ga, b) + F.l1_loss(gb, a)


def reconstruction_loss(ga: torch.Tensor, gb: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(ga, a) + F.l1_loss(gb, b)


def adversarial_loss(discriminator, ga: torch.Tensor, gb: torch.Tensor, lam: float = 1.0) -> torch.Tensor:
    """Discriminator loss on reversed-gradient inputs: D learns to separate, G learns to confuse.

    Both modalities go through D in one batch, so D's BatchNorm cannot tell them apart by their batch
    statistics alone."""
    la, lb = discriminator(grad_reverse(torch.cat([ga, gb]), lam)).split([len(ga), len(gb)])
    return (F.binary_cross_entropy_with_logits(la, torch.zeros_like(la))
            + F.binary_cross_entropy_with_logits(lb, torch.ones_like(lb)))


def perceptual_loss(phi, ga: torch.Tensor, gb: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(phi(ga), phi(gb))
