"""cmUNet: a compact cross-modality encoder-decoder (Niu, Li, Liu, Wang, Osadchy, Fang; IEEE TIP).

One network G, shared by both modalities, maps a sample of either modality to a representation of
the *same shape* — the modality-agnostic representation lives in the original sample space:

    r = G(x),   x, r ∈ R^{C×L} (spectra) or R^{C×H×W} (images)

OUR ASSUMPTIONS (the paper gives no architecture table): a UNet with ``depth`` down/up levels, skip
connections, ``base`` channels doubling per level, BatchNorm, nearest-neighbour upsampling + conv
in the decoder, and a 1×1 output convolution; inputs
whose length is not a multiple of fold·2^depth are padded and the output cropped back.

``residual=True``: G(x) = x + UNet(x) with the UNet's last layer initialised to zero, so G starts as the
identity and learns only the changes its losses ask for (the matching benchmark's default).

``fold = 2`` folds each 2-sample (spectra) or 2×2-pixel (images) patch into channels before the UNet and
unfolds its output again (pixel (un)shuffle): the output keeps the input's shape and every input value,
but the convolutions run at half resolution, 2× (spectra) or 4× (images) fewer positions.
"""
from __future__ import annotations

import torch
from torch import nn

from modgap.models.layers import ConvBlock, channels_to_space, check_dim, conv, pad_to_multiple, pool, space_to_channels


class CMUNet(nn.Module):
    def __init__(self, dim: int = 2, channels: int = 1, base: int = 16, depth: int = 2, residual: bool = False,
                 fold: int = 1):
        super().__init__()
        if fold not in (1, 2):
            raise ValueError(f"fold must be 1 or 2, got {fold}")
        self.dim, self.depth, self.residual, self.fold = check_dim(dim), depth, residual, fold
        C = conv(dim)
        self.down = nn.ModuleList()
        c = channels * fold**dim
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
        self.out = C(c, channels * fold**dim, 1)
        if residual:  # G(x) = x + UNet(x) with the UNet's last layer at zero: G starts as the identity
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, L) or (B, C, H, W) -> same shape
        if x.dim() != self.dim + 2:
            raise ValueError(f"cmUNet({self.dim}-D) expects (B, C, {'L' if self.dim == 1 else 'H, W'}), got {tuple(x.shape)}")
        size = x.shape[2:]
        h = space_to_channels(pad_to_multiple(x, self.fold * 2**self.depth), self.fold)  # (B, C·fold^dim, .../fold)
        skips = []
        for block in self.down:
            h = block(h)
            skips.append(h)
            h = self.pool(h)
        h = self.bottom(h)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips)):
            h = merge(torch.cat([up(h), skip], dim=1))
        h = channels_to_space(self.out(h), self.fold)[(...,) + tuple(slice(0, s) for s in size)]
        return x + h if self.residual else h
