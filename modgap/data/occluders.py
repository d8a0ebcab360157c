"""Occluders: hide part of a sample, for both tracks (Niu et al.: a matcher that has not bridged the gap leans
on partial or wrong regions, and collapses when they are hidden; notebook 08 asks the same of two-tower models).

Every operator returns ``(occluded, mask)`` with ``mask`` True where the sample was hidden; only masked
elements change (they are set to ``fill``), and the hidden fraction is exact by construction.

Spectra ``(N, 1, L)``:
- ``random``: ``round(f·L)`` random bins;
- ``band``: one contiguous band of ``round(f·L)`` bins at a random (or given) start;
- ``peaks``: the ``round(f·L)`` most intense bins of each spectrum (a targeted attack on its peaks).

Images ``(N, 1, H, W)``:
- ``patches``: ``round(f·n_cells)`` random cells of a grid of ``cell×cell`` squares (H, W multiples of cell);
- ``square``: one square of side ``s`` at a random (or given) position, hidden fraction ``s²/(H·W)``.
"""
from __future__ import annotations

import numpy as np
import torch

SPECTRUM_KINDS = ("random", "band", "peaks")
IMAGE_KINDS = ("patches", "square")


def _check_fraction(f: float) -> float:
    if not 0.0 <= f <= 1.0:
        raise ValueError(f"occluded fraction must be in [0, 1], got {f}")
    return float(f)


def occlude_spectra(x: torch.Tensor, fraction: float, kind: str = "band", seed: int = 0, start: int | None = None,
                    fill: float = 0.0):
    """Occlude spectra ``x`` (N, 1, L); returns (occluded, mask (N, 1, L) bool)."""
    if x.dim() != 3 or x.shape[1] != 1:
        raise ValueError(f"spectra must be (N, 1, L), got {tuple(x.shape)}")
    if kind not in SPECTRUM_KINDS:
        raise ValueError(f"unknown spectrum occlusion {kind!r}; expected one of {SPECTRUM_KINDS}")
    n, _, L = x.shape
    k = round(_check_fraction(fraction) * L)
    g = torch.Generator().manual_seed(seed)
    mask = torch.zeros(n, 1, L, dtype=torch.bool)
    if k:
        if kind == "random":
            for i in range(n):
                mask[i, 0, torch.randperm(L, generator=g)[:k]] = True
        elif kind == "band":
            starts = (torch.full((n,), start) if start is not None else torch.randint(0, L - k + 1, (n,), generator=g))
            if start is not None and not 0 <= start <= L - k:
                raise ValueError(f"band start {start} with width {k} does not fit in {L} bins")
            bins = torch.arange(L)
            mask[:, 0] = (bins >= starts[:, None]) & (bins < starts[:, None] + k)  # one band per spectrum
        else:  # peaks
            top = x[:, 0].argsort(dim=1, descending=True, stable=True)[:, :k]
            mask[torch.arange(n)[:, None], 0, top] = True
    return x.masked_fill(mask.to(x.device), fill), mask


def occlude_images(x: torch.Tensor, fraction: float, kind: str = "patches", seed: int = 0, cell: int = 4,
                   position: tuple[int, int] | None = None, fill: float = 0.0):
    """Occlude images ``x`` (N, 1, H, W); returns (occluded, mask (N, 1, H, W) bool)."""
    if x.dim() != 4 or x.shape[1] != 1:
        raise ValueError(f"images must be (N, 1, H, W), got {tuple(x.shape)}")
    if kind not in IMAGE_KINDS:
        raise ValueError(f"unknown image occlusion {kind!r}; expected one of {IMAGE_KINDS}")
    n, _, H, W = x.shape
    f = _check_fraction(fraction)
    g = torch.Generator().manual_seed(seed)
    mask = torch.zeros(n, 1, H, W, dtype=torch.bool)
    if kind == "patches":
        if H % cell or W % cell:
            raise ValueError(f"image size {H}×{W} is not a multiple of the cell size {cell}")
        gh, gw = H // cell, W // cell
        k = round(f * gh * gw)
        cells = torch.zeros(n, gh * gw, dtype=torch.bool)  # the hidden cells of each image
        if k and n:
            chosen = torch.stack([torch.randperm(gh * gw, generator=g)[:k] for _ in range(n)])  # (n, k), as drawn
            cells.scatter_(1, chosen, True)
        # each cell to its cell×cell pixels: (n, gh·gw) -> (n, 1, H, W)
        mask = cells.view(n, 1, gh, gw).repeat_interleave(cell, 2).repeat_interleave(cell, 3)
    else:
        s = round(np.sqrt(f * H * W))
        s = min(s, H, W)
        if s and n:
            if position is not None:
                r0, c0 = position
                if not (0 <= r0 <= H - s and 0 <= c0 <= W - s):
                    raise ValueError(f"a {s}×{s} square at {position} does not fit in {H}×{W}")
                pos = [(r0, c0)] * n
            else:
                pos = zip(torch.randint(0, H - s + 1, (n,), generator=g).tolist(),
                          torch.randint(0, W - s + 1, (n,), generator=g).tolist())
            r0, c0 = (torch.tensor(v).view(n, 1) for v in zip(*pos))  # (n, 1) each: every square's corner
            rows, cols = torch.arange(H), torch.arange(W)
            inside_r = (rows >= r0) & (rows < r0 + s)  # (n, H)
            inside_c = (cols >= c0) & (cols < c0 + s)  # (n, W)
            mask[:, 0] = inside_r[:, :, None] & inside_c[:, None, :]
    return x.masked_fill(mask.to(x.device), fill), mask


def occlude(x: torch.Tensor, fraction: float, kind: str | None = None, seed: int = 0, **kw):
    """Dispatch on the sample's dimensionality (spectra: ``band`` by default; images: ``patches``)."""
    if x.dim() == 3:
        return occlude_spectra(x, fraction, kind or "band", seed, **kw)
    return occlude_images(x, fraction, kind or "patches", seed, **kw)
