"""cmUNet's perceptual loss (Niu et al., IEEE TIP): G(a) and G(b) of a true pair close in the features
of a frozen network φ.

    L_perc = ‖φ(G(a)) − φ(G(b))‖₁          (mean over elements)

OUR ASSUMPTION: φ is trained here on our own data (no pretrained LPIPS or ImageNet network is available
offline). The option without a network is ``1 − SSIM(G(a), G(b))`` (``losses/ssim.py``).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def perceptual_loss(phi, ga: torch.Tensor, gb: torch.Tensor) -> torch.Tensor:
    """L_perc; ``phi`` frozen and in eval mode, so one pass over both modalities changes nothing."""
    fa, fb = phi(torch.cat([ga, gb])).chunk(2)
    return F.l1_loss(fa, fb)
