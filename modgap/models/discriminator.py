"""A small PatchGAN-style discriminator in sample space (Isola et al. 2017), 1-D or 2-D.

It scores local patches of a cmUNet output: logit > 0 means "came from modality B". Used through a
gradient-reversal layer, so that training it to tell the modalities apart trains cmUNet to make them
indistinguishable (OUR ASSUMPTION for the paper's adversarial loss).
"""
from __future__ import annotations

import torch
from torch import nn

from modgap.models.layers import check_dim, conv, norm


class PatchDiscriminator(nn.Module):
    def __init__(self, dim: int = 2, channels: int = 1, width: int = 16, layers: int = 3):
        super().__init__()
        C, N = conv(check_dim(dim)), norm(dim)
        mods, c = [], channels
        for i in range(layers):
            mods += [C(c, width * 2**i, 4, stride=2, padding=1), N(width * 2**i), nn.LeakyReLU(0.2, inplace=True)]
            c = width * 2**i
        mods.append(C(c, 1, 3, padding=1))
        self.net = nn.Sequential(*mods)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, ...) -> (B, P) patch logits
        return self.net(x).flatten(1)
