"""The losses that train cmUNet G (Niu et al., IEEE TIP), for a true pair (a, b) of modalities A, B.

    L_trans = ‖h_B(G(a)) − b‖₁ + ‖h_A(G(b)) − a‖₁          cross-modality transformation
    L_rec   = ‖h_A(G(a)) − a‖₁ + ‖h_B(G(b)) − b‖₁          in-modality reconstruction
    L_adv   = BCE(D(R(G(a))), 0) + BCE(D(R(G(b))), 1)       adversarial, R = gradient reversal
    L_perc  = ‖φ(G(a)) − φ(G(b))‖₁                          perceptual, φ a frozen feature network
              or 1 − SSIM(G(a), G(b))                        the option without a network (``losses/ssim.py``)

(‖·‖₁ as a mean over elements; h_A, h_B the two small heads of ``models.renderer``.) L_trans and L_rec
ask G's output of either modality to hold enough to draw *both* views of the pair, so the
representation keeps identity; L_adv and L_perc make G(a) and G(b) indistinguishable in sample space
and in the feature space of φ. ``transformation_loss`` and ``reconstruction_loss`` take the renderings
(e.g. ``a_to_b = h_B(G(a))``). OUR ASSUMPTIONS: L1 distances, the renderer (asked of G's output itself,
the two L1 targets conflict and G learns to swap the modalities), gradient reversal for the min–max
game, and φ trained here on our own data (no pretrained perceptual network is available offline).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from modgap.models.layers import grad_reverse


def transformation_loss(a_to_b: torch.Tensor, b_to_a: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(a_to_b, b) + F.l1_loss(b_to_a, a)


def reconstruction_loss(a_to_a: torch.Tensor, b_to_b: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(a_to_a, a) + F.l1_loss(b_to_b, b)


def adversarial_loss(discriminator, ga: torch.Tensor, gb: torch.Tensor, lam: float = 1.0) -> torch.Tensor:
    """Discriminator loss on reversed-gradient inputs: D learns to separate, G learns to confuse.

    Both modalities go through D in one batch, so D's BatchNorm cannot tell them apart by their batch
    statistics alone."""
    la, lb = discriminator(grad_reverse(torch.cat([ga, gb]), lam)).split([len(ga), len(gb)])
    return (F.binary_cross_entropy_with_logits(la, torch.zeros_like(la))
            + F.binary_cross_entropy_with_logits(lb, torch.ones_like(lb)))


def perceptual_loss(phi, ga: torch.Tensor, gb: torch.Tensor) -> torch.Tensor:
    fa, fb = phi(torch.cat([ga, gb])).chunk(2)  # one pass (φ is frozen, in eval mode: batching changes nothing)
    return F.l1_loss(fa, fb)
