"""cmUNet: a compact cross-modality encoder-decoder (Niu, Li, Liu, Wang, Osadchy, Fang; IEEE TIP).

One network G, shared by both modalities, maps a sample of either modality to a representation of
the *same shape* — the modality-agnostic representation lives in the original sample space:

    r = G(x),   x, r ∈ R^{C×L} (spectra) or R^{C×H×W} (images)

OUR ASSUMPTIONS (the paper gives no architecture table): a UNet with ``depth`` down/up levels, skip
connections, ``base`` channels doubling per level, BatchNorm, nearest-neighbour upsampling + conv
in the decoder, and a 1×1 output convolution; inputs
whose length is not a multiple of 2^depth are padded and the output cropped back.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from modgap.models.layers import ConvBlock, check_dim, conv, pool


class CMUNet(nn.Module):
    def __init__(self, dim: int = 2, channels: int = 1, base: int = 16, depth: int = 2, residual: bool = False):
        super().__init__()
        self.dim, self.depth, self.residual = check_dim(dim), depth, residual
        C = conv(dim)
        self.down = nn.ModuleList()
        c = channels
        for i in range(depth):
            self.down.append(ConvBlock(dim, c, base * 2**i))
            c = base * 2**i
        self.pool = pool(dim)(2)
        self.bottom = ConvBlock(dim, c, base * 2**depth)
        self.up, self.merge = nn.ModuleList(), nn.ModuleList()
        c = base * 2**depth
        for i in reversed(range(depth)):
            # nearest upsampling + conv rather than a transposed conv: no checkerboard artefacts
            self.up.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), C(c, base * 2**i, 3, padding=1)))
            self.merge.append(ConvBlock(dim, 2 * base * 2**i, base * 2**i))
            c = base * 2**i
        self.out = C(c, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, L) or (B, C, H, W) -> same shape
        if x.dim() != self.dim + 2:
            raise ValueError(f"cmUNet({self.dim}-D) expects (B, C, {'L' if self.dim == 1 else 'H, W'}), got {tuple(x.shape)}")
        size = x.shape[2:]
        m = 2**self.depth
        pad = []
        for s in reversed(size):
            pad += [0, (-s) % m]
        h = F.pad(x, pad, mode="replicate") if any(pad) else x
        skips = []
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = self.pool(h)
        h = self.bottom(h)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips)):
            h = merge(torch.cat([up(h), skip], dim=1))
        h = self.out(h)[(...,) + tuple(slice(0, s) for s in size)]
        return x + h if self.residual else h
