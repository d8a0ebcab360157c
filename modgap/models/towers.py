"""The two towers of a CLIP-style model, small enough to train on a CPU in seconds.

- :class:`ImageTower`: a small CNN for 1×28×28 images → D-dim embedding.
- :class:`ProjectionHead`: a trainable MLP on top of frozen text features (MiniLM, 384-d).
- :class:`ScratchTextEncoder`: word embeddings, mean-pooled, then an MLP — a text tower trained from scratch.
- :class:`MLP`: a plain stack of linear layers (with or without a nonlinearity) for the cone-effect study.
"""
from __future__ import annotations

import torch
from torch import nn


class ImageTower(nn.Module):
    def __init__(self, embed_dim: int = 64, width: int = 16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, w, 14, 14)
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 2w, 7, 7)
            nn.Flatten(), nn.Linear(2 * width * 49, 128), nn.ReLU(), nn.Linear(128, embed_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, 28, 28) -> (B, D)
        return self.net(x)


class ProjectionHead(nn.Module):
    def __init__(self, in_dim: int = 384, embed_dim: int = 64, hidden: int = 256):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, embed_dim))

    def forward(self, f: torch.Tensor) -> torch.Tensor:  # (B, in_dim) -> (B, D)
        return self.net(f)


class ScratchTextEncoder(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int = 64, word_dim: int = 64):
        super().__init__()
        self.embed = nn.Embedding(vocab_size + 1, word_dim, padding_idx=0)
        self.head = ProjectionHead(word_dim, embed_dim, hidden=128)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (B, T) int64 -> (B, D)
        mask = (ids > 0).float().unsqueeze(-1)  # (B, T, 1)
        pooled = (self.embed(ids) * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.head(pooled)


class MLP(nn.Module):
    """``depth`` linear layers of width ``width``; ReLU between them if ``nonlinear``."""

    def __init__(self, in_dim: int, width: int = 128, depth: int = 4, nonlinear: bool = True, bias: bool = True):
        super().__init__()
        layers, d = [], in_dim
        for i in range(depth):
            layers.append(nn.Linear(d, width, bias=bias))
            if nonlinear and i < depth - 1:
                layers.append(nn.ReLU())
            d = width
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1))
