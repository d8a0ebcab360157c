"""Structural similarity (Wang, Bovik, Sheikh, Simoncelli 2004), differentiable, for spectra and images.

    SSIM(x, y) = mean over positions p of
                 (2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))      (at p)

μ, σ², σxy are local means, variances and the covariance under a Gaussian window (σ = 1.5, 11 taps, as
in Wang et al.), taken only where the window fits inside the sample; C1 = (0.01 L)², C2 = (0.03 L)², L the
data range (1 for samples in [0, 1]). SSIM(x, x) = 1.

``ssim_loss(ga, gb) = 1 − SSIM(ga, gb)`` is the option for cmUNet's perceptual term that needs no feature
network: it asks G(a) and G(b) of a true pair to share local means, contrasts and structure.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

SIGMA, RADIUS = 1.5, 5  # an 11-tap window: RADIUS = int(3.5 σ + 0.5), scikit-image's truncation


def _window(x: torch.Tensor) -> torch.Tensor:
    t = torch.arange(-RADIUS, RADIUS + 1, dtype=x.dtype, device=x.device)
    w = torch.exp(-t**2 / (2 * SIGMA**2))
    return w / w.sum()  # (11,)


def _local_mean(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Gaussian-weighted mean over each window that fits: (B, C, *S) -> (B, C, *(S - 10))."""
    c, dim = x.shape[1], x.dim() - 2
    for d in range(dim):  # separable: one 1-D pass per spatial axis
        shape = [1] * dim
        shape[d] = len(w)
        k = w.view(1, 1, *shape).expand(c, 1, *shape)
        x = (F.conv1d if dim == 1 else F.conv2d)(x, k, groups=c)
    return x


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Mean SSIM of ``x`` and ``y``, both (B, C, L) or (B, C, H, W), each side at least 11 long: a scalar."""
    if x.shape != y.shape:
        raise ValueError(f"ssim needs two tensors of one shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if x.dim() not in (3, 4) or min(x.shape[2:]) < 2 * RADIUS + 1:
        raise ValueError(f"ssim expects (B, C, L) or (B, C, H, W) with every side >= {2 * RADIUS + 1}, got {tuple(x.shape)}")
    w = _window(x)
    mx, my = _local_mean(x, w), _local_mean(y, w)
    vx = _local_mean(x * x, w) - mx**2
    vy = _local_mean(y * y, w) - my**2
    cxy = _local_mean(x * y, w) - mx * my
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = (2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    return s.mean()


def ssim_loss(ga: torch.Tensor, gb: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """1 − SSIM(G(a), G(b)): 0 when the two representations are identical."""
    return 1.0 - ssim(ga, gb, data_range)

