"""Dimension-agnostic building blocks: the same code builds 1-D (spectra) and 2-D (image) networks."""
from __future__ import annotations

import torch
from torch import nn


def conv(dim: int):
    return {1: nn.Conv1d, 2: nn.Conv2d}[dim]


def norm(dim: int):
    return {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}[dim]


def pool(dim: int):
    return {1: nn.MaxPool1d, 2: nn.MaxPool2d}[dim]


def check_dim(dim: int) -> int:
    if dim not in (1, 2):
        raise ValueError(f"dim must be 1 (spectra) or 2 (images), got {dim}")
    return dim


class ConvBlock(nn.Sequential):
    """conv → BN → ReLU, twice (the UNet block)."""

    def __init__(self, dim: int, c_in: int, c_out: int, k: int = 3):
        C, N = conv(dim), norm(dim)
        super().__init__(C(c_in, c_out, k, padding=k // 2), N(c_out), nn.ReLU(inplace=True),
                         C(c_out, c_out, k, padding=k // 2), N(c_out), nn.ReLU(inplace=True))


class GradientReversal(torch.autograd.Function):
    """Identity forward, −λ·grad backward (Ganin & Lempitsky 2015): one optimiser plays both sides."""

    @staticmethod
    def forward(ctx, x, lam: float):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.lam * grad, None


def grad_reverse(x: torch.Tensor, lam: float = 1.0) -> torch.Tensor:
    return GradientReversal.apply(x, lam)
