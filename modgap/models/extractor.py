"""The standard feature extractor of MarrNet and of every baseline: a small ResNet (He et al. 2016), 1-D or 2-D.

    x → stem conv (stride 2) → [residual block, downsample] × stages → average pool to a coarse grid
      (16 bins for spectra, 4×4 for images) → linear → embedding (D)

Residual block: y = ReLU(x + BN(conv(ReLU(BN(conv(x)))))). Also has a classifier head for identity
(or class) supervision, used when the training identities are known.
"""
from __future__ import annotations

import torch
from torch import nn

from modgap.models.layers import check_dim, conv, norm, pool


class ResBlock(nn.Module):
    def __init__(self, dim: int, c: int, k: int = 3):
        super().__init__()
        C, N = conv(dim), norm(dim)
        self.body = nn.Sequential(C(c, c, k, padding=k // 2, bias=False), N(c), nn.ReLU(inplace=True),
                                  C(c, c, k, padding=k // 2, bias=False), N(c))

    def forward(self, x):
        return torch.relu(x + self.body(x))


class FeatureExtractor(nn.Module):
    def __init__(self, dim: int = 2, channels: int = 1, width: int = 16, stages: int = 3, embed_dim: int = 64,
                 n_classes: int = 0, stem_kernel: int | None = None):
        super().__init__()
        C, N = conv(check_dim(dim)), norm(dim)
        k = stem_kernel or (7 if dim == 1 else 3)
        stride = 2  # halve the input at once: spectra are long, and it makes 2-D training 4× cheaper
        layers = [C(channels, width, k, stride=stride, padding=k // 2, bias=False), N(width), nn.ReLU(inplace=True)]
        c = width
        for i in range(stages):
            layers += [ResBlock(dim, c)]
            if i < stages - 1:
                layers += [C(c, 2 * c, 3, padding=1, bias=False), N(2 * c), nn.ReLU(inplace=True), pool(dim)(2)]
                c *= 2
        self.features = nn.Sequential(*layers)
        # a coarse grid instead of one global average: where a peak (or an edge) sits is identity
        # information for spectra and small images, and a global pool would throw it away
        cells = 16 if dim == 1 else 4
        self.grid_pool = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d}[dim](cells)
        self.embed = nn.Linear(c * cells**dim, embed_dim)
        self.classifier = nn.Linear(embed_dim, n_classes) if n_classes else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, ...) -> (B, D)
        return self.embed(self.grid_pool(self.features(x)).flatten(1))
