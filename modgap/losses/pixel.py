"""cmUNet's two pixel losses (Niu et al., IEEE TIP), for a true pair (a, b) of modalities A, B.

    L_trans = ‖h_B(G(a)) − b‖₁ + ‖h_A(G(b)) − a‖₁          cross-modality transformation
    L_rec   = ‖h_A(G(a)) − a‖₁ + ‖h_B(G(b)) − b‖₁          in-modality reconstruction

‖·‖₁ is a mean over elements; h_A, h_B are the two heads of ``models.renderer.ModalityRenderer``, and
both functions take the renderings (e.g. ``a_to_b = h_B(G(a))``). Together they ask G's output of
either modality to hold enough to draw *both* views of the pair, so the representation keeps identity.
OUR ASSUMPTIONS: L1 distances and the renderer (asked of G's output itself, the two L1 targets conflict
pixel by pixel and G learns to swap the modalities; see ``models/renderer.py``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def transformation_loss(a_to_b: torch.Tensor, b_to_a: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """L_trans from the cross renderings; all four tensors have the samples' shape (B, 1, ...)."""
    return F.l1_loss(a_to_b, b) + F.l1_loss(b_to_a, a)


def reconstruction_loss(a_to_a: torch.Tensor, b_to_b: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """L_rec from the in-modality renderings; all four tensors have the samples' shape (B, 1, ...)."""
    return F.l1_loss(a_to_a, a) + F.l1_loss(b_to_b, b)
