"""Second modalities for images: deterministic renderings that mimic the paper's face tasks.

Each function maps visible images ``(N, H, W)`` in [0, 1] to another modality of the same shape.
They are stand-ins (OUR ASSUMPTION — no paired photo–sketch, visible–thermal or visible–NIR set can
be shipped or fetched here) chosen to reproduce what makes those tasks hard:

- **sketch**: an edge/line drawing, dark strokes on white paper (contrast reversed, texture gone);
- **thermal**: smooth, low resolution, contrast-inverted emission with sensor noise;
- **nir**: a different reflectance curve (non-monotonic in visible intensity) and sensor noise.

These three are deterministic renderings of the visible image, which is the easy case for explicit
A→B transfer. The pairing **lowpass–edges** is not: its first modality keeps only the low frequencies
and the intensity of the image (a strong blur, 2× lower resolution, noise), its second only where the
edges are (gradient magnitude, each image scaled to its own strongest edge, noise): neither can be
computed from the other, while both keep the garment's shape, which is its identity.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

#: image pairing -> the rendering that is its second modality
IMAGE_PAIRINGS = {"photo-sketch": "sketch", "visible-thermal": "thermal", "visible-nir": "nir", "lowpass-edges": "edges"}
#: the first modality where it is not the visible image itself
FIRST_MODALITY = {"lowpass-edges": "lowpass"}


def _check(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images, np.float32)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got {images.shape}")
    if images.size and (images.min() < -1e-6 or images.max() > 1 + 1e-6):
        raise ValueError("images must be scaled to [0, 1] (divide uint8 images by 255)")
    return images


def to_sketch(images: np.ndarray) -> np.ndarray:
    """Line drawing: 1 − clip(k·|∇(G_σ * x)| / max|∇|)^0.8, dark strokes where intensity changes."""
    x = _check(images)
    smooth = ndimage.gaussian_filter(x, sigma=(0, 0.8, 0.8))
    sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, 1 * -1]], np.float32)[None]  # (1, 3, 3): per image
    gx = ndimage.correlate(smooth, sobel, mode="nearest")
    gy = ndimage.correlate(smooth, sobel.transpose(0, 2, 1), mode="nearest")
    mag = np.hypot(gx, gy)
    mag = mag / np.maximum(mag.max(axis=(1, 2), keepdims=True), 1e-6)  # strongest edge = 1
    return (1.0 - np.clip(1.8 * mag, 0.0, 1.0) ** 0.8).astype(np.float32)


def to_thermal(images: np.ndarray, seed: int = 0, noise: float = 0.03) -> np.ndarray:
    """Thermal-like: blur, 2× lower resolution, inverted and gamma-compressed contrast, noise."""
    x = _check(images)
    n, h, w = x.shape
    blurred = ndimage.gaussian_filter(x, sigma=(0, 1.5, 1.5))
    low = blurred[:, : h - h % 2, : w - w % 2].reshape(n, h // 2, 2, w // 2, 2).mean((2, 4))
    up = np.repeat(np.repeat(low, 2, 1), 2, 2)
    up = np.pad(up, ((0, 0), (0, h - up.shape[1]), (0, w - up.shape[2])), mode="edge")
    t = 0.15 + 0.8 * (1.0 - up) ** 0.7
    t = t + np.random.default_rng(seed).normal(0.0, noise, t.shape)
    return np.clip(t, 0.0, 1.0).astype(np.float32)


def to_nir(images: np.ndarray, seed: int = 0, noise: float = 0.04) -> np.ndarray:
    """NIR-like: a non-monotonic reflectance curve r(x) = 0.1 + 0.5x + 1.6x(1−x)·(1−x), slight blur, noise."""
    x = _check(images)
    r = 0.1 + 0.5 * x + 1.6 * x * (1 - x) ** 2
    r = ndimage.gaussian_filter(r, sigma=(0, 0.6, 0.6))
    r = r + np.random.default_rng(seed).normal(0.0, noise, r.shape)
    return np.clip(r, 0.0, 1.0).astype(np.float32)


def _gradient_magnitude(x: np.ndarray, sigma: float) -> np.ndarray:
    smooth = ndimage.gaussian_filter(x, sigma=(0, sigma, sigma))
    sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32)[None]
    return np.hypot(ndimage.correlate(smooth, sobel, mode="nearest"),
                    ndimage.correlate(smooth, sobel.transpose(0, 2, 1), mode="nearest"))


def to_lowpass(images: np.ndarray, seed: int = 0, noise: float = 0.03) -> np.ndarray:
    """Low frequencies and intensity only: blur (σ = 2 px), 2× lower resolution, noise."""
    x = _check(images)
    n, h, w = x.shape
    low = ndimage.gaussian_filter(x, sigma=(0, 2.0, 2.0))[:, : h - h % 2, : w - w % 2].reshape(n, h // 2, 2, w // 2, 2).mean((2, 4))
    up = np.pad(np.repeat(np.repeat(low, 2, 1), 2, 2), ((0, 0), (0, h % 2), (0, w % 2)), mode="edge")
    return np.clip(up + np.random.default_rng(seed).normal(0.0, noise, up.shape), 0.0, 1.0).astype(np.float32)


def to_edges(images: np.ndarray, seed: int = 0, noise: float = 0.03) -> np.ndarray:
    """Edges only: gradient magnitude, each image scaled to its strongest edge (intensity is lost), noise."""
    x = _check(images)
    mag = _gradient_magnitude(x, 0.8)
    mag = mag / np.maximum(mag.max(axis=(1, 2), keepdims=True), 1e-6)
    return np.clip(mag + np.random.default_rng(seed).normal(0.0, noise, mag.shape), 0.0, 1.0).astype(np.float32)


RENDER = {"sketch": to_sketch, "thermal": to_thermal, "nir": to_nir, "lowpass": to_lowpass, "edges": to_edges}


def _jitter(x: np.ndarray, max_shift: int, rng) -> np.ndarray:
    """Translate each image by up to ±max_shift pixels, filling with the image's background value."""
    if max_shift == 0:
        return x.copy()
    border = np.concatenate([x[:, 0], x[:, -1], x[:, :, 0], x[:, :, -1]], axis=1)  # (N, 2H+2W)
    out = np.broadcast_to(np.median(border, axis=1)[:, None, None], x.shape).copy()
    h, w = x.shape[1:]
    for i, (dy, dx) in enumerate(rng.integers(-max_shift, max_shift + 1, size=(len(x), 2))):
        src = x[i, max(0, -dy): h - max(0, dy), max(0, -dx): w - max(0, dx)]
        out[i, max(0, dy): max(0, dy) + src.shape[0], max(0, dx): max(0, dx) + src.shape[1]] = src
    return out


@dataclass
class PairedImages:
    """``a[i]`` (visible) and ``b[i]`` (other modality) show image ``identity[i]`` of class ``label[i]``."""

    a: np.ndarray  # (N, 1, H, W) float32 in [0, 1]
    b: np.ndarray  # (N, 1, H, W)
    identity: np.ndarray  # (N,)
    label: np.ndarray  # (N,)
    pairing: str  # a key of IMAGE_PAIRINGS

    def __len__(self) -> int:
        return len(self.identity)

    def subset(self, mask) -> "PairedImages":
        return PairedImages(self.a[mask], self.b[mask], self.identity[mask], self.label[mask], self.pairing)


def make_image_pairs(images: np.ndarray, labels: np.ndarray, pairing: str, seed: int = 0,
                     max_shift: int = 2) -> PairedImages:
    """Pair each visible image with its rendering in ``pairing``'s second modality (``IMAGE_PAIRINGS``).

    Both views are translated independently by up to ``max_shift`` pixels, so a pair is never a
    pixel-aligned copy: matching must be done on content, as with real paired photographs.
    """
    if pairing not in IMAGE_PAIRINGS:
        raise ValueError(f"unknown image pairing {pairing!r}; expected one of {sorted(IMAGE_PAIRINGS)}")
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    labels = np.asarray(labels)
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    rng = np.random.default_rng(seed)
    render = RENDER[IMAGE_PAIRINGS[pairing]]
    b = render(images) if pairing == "photo-sketch" else render(images, seed=seed + 1)
    a = RENDER[FIRST_MODALITY[pairing]](images, seed=seed + 2) if pairing in FIRST_MODALITY else _check(images)
    a = _jitter(a, max_shift, rng)
    b = _jitter(b, max_shift, rng)
    return PairedImages(a[:, None], b[:, None], np.arange(len(images)), labels, pairing)
