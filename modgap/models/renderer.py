"""The modality renderer of cmUNet's pixel losses: a small convolutional head that draws a
sample-space representation r = G(x) as a sample of modality A and as a sample of modality B.

    (h_A(r), h_B(r)) = split(conv₃(ReLU(conv₃(fold(r)))))     one hidden layer shared, one output per modality

``fold`` puts each 2-sample (spectra) or 2×2-pixel (images) patch into channels, as cmUNet does, and the
outputs are unfolded back to r's shape: on a CPU a 3×3 convolution of a single full-resolution channel
is 8× slower than the same work folded.

Why it exists (OUR ASSUMPTION, the paper gives no architecture): cross-modality transformation asks
G(a) to look like b and in-modality reconstruction asks it to look like a. Asked of G's output itself,
the two L1 targets conflict pixel by pixel and their minimiser is the weighted median of (a, b): with
the transformation weight larger, G learns to *swap* the modalities, which leaves the gap where it was.
Rendered through h_A and h_B, both targets can be met at once, and G's output is free to be what the
two views share, while the adversarial and perceptual losses make G(a) and G(b) indistinguishable.
"""
from __future__ import annotations

import torch
from torch import nn

from modgap.models.layers import channels_to_space, check_dim, conv, pad_to_multiple, space_to_channels


class ModalityRenderer(nn.Module):
    def __init__(self, dim: int = 2, channels: int = 1, width: int = 16, fold: int = 2):
        super().__init__()
        C = conv(check_dim(dim))
        self.fold, k = fold, fold**dim
        self.hidden = C(channels * k, width, 3, padding=1)
        self.out = C(width, 2 * channels * k, 3, padding=1)  # first half of the channels: A, second half: B

    def forward(self, r: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # (B, C, ...) -> 2 × (B, C, ...)
        size = r.shape[2:]
        h = self.out(torch.relu(self.hidden(space_to_channels(pad_to_multiple(r, self.fold), self.fold))))
        crop = (...,) + tuple(slice(0, s) for s in size)
        to_a, to_b = h.chunk(2, dim=1)  # (B, C·k, .../fold) each
        return channels_to_space(to_a, self.fold)[crop], channels_to_space(to_b, self.fold)[crop]
