"""Dimension-agnostic building blocks: the same code builds 1-D (spectra) and 2-D (image) networks."""
from __future__ import annotations

import torch
import torch.nn.functional as F
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


def space_to_channels(x: torch.Tensor, f: int) -> torch.Tensor:
    """Fold each f-sample (1-D) or f×f-pixel (2-D) patch into channels: (B, C, L) -> (B, fC, L/f),
    (B, C, H, W) -> (B, f²C, H/f, W/f). Sizes must be multiples of f (``pad_to_multiple``)."""
    if f == 1:
        return x
    if x.dim() == 4:
        return F.pixel_unshuffle(x, f)
    B, C, L = x.shape
    return x.reshape(B, C, L // f, f).permute(0, 1, 3, 2).reshape(B, C * f, L // f)


def channels_to_space(h: torch.Tensor, f: int) -> torch.Tensor:
    """The inverse of ``space_to_channels``."""
    if f == 1:
        return h
    if h.dim() == 4:
        return F.pixel_shuffle(h, f)
    B, CF, L = h.shape
    return h.reshape(B, CF // f, f, L).permute(0, 1, 3, 2).reshape(B, CF // f, L * f)


def pad_to_multiple(x: torch.Tensor, m: int) -> torch.Tensor:
    """Replicate-pad the end of every spatial axis up to a multiple of m (crop back with ``x[..., :L]``)."""
    pad = []
    for s in reversed(x.shape[2:]):
        pad += [0, (-s) % m]
    return F.pad(x, pad, mode="replicate") if any(pad) else x


class ConvBlock(nn.Sequential):
    """conv → BN → ReLU, twice (the UNet block)."""

    def __init__(self, dim: int, c_in: int, c_out: int, k: int = 3):
        C, N = conv(dim), norm(dim)
        super().__init__(C(c_in, c_out, k, padding=k // 2), N(c_out), nn.ReLU(inplace=True),
                         C(c_out, c_out, k, padding=k // 2), N(c_out), nn.ReLU(inplace=True))


class GradientReversal(torch.autograd.Function):
    """Identity forward, −λ·grad backward (Ganin & Lempitsky 2015): one optimiser plays both sides. Written in the
    form that ``torch.func`` transforms accept (``setup_context``), so a model using it can be ``vmap``-ed."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x, lam: float):
        return x.view_as(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.lam = inputs[1]

    @staticmethod
    def backward(ctx, grad):
        return -ctx.lam * grad, None


def grad_reverse(x: torch.Tensor, lam: float = 1.0) -> torch.Tensor:
    return GradientReversal.apply(x, lam)
