"""Captions for Fashion-MNIST images: class name + attributes measured on the image + a template.

A caption like "a light, patterned pullover that fills the frame" carries the class (group-level
semantics) and a little about the individual image (instance-level semantics), so image–text
retrieval is possible but not trivial. Attributes, each by terciles/halves over the set:

- tone: mean intensity of the garment pixels → dark / mid-grey / light
- size: fraction of the frame covered → small / medium / large
- texture: mean gradient magnitude inside the garment → plain / patterned
"""
from __future__ import annotations

import numpy as np

from modgap.data.fashion_mnist import CLASSES

NAMES = ["t-shirt", "pair of trousers", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
TONE = ["dark", "mid-grey", "light"]
SIZE = ["small", "medium-sized", "large"]
TEXTURE = ["plain", "patterned"]
TEMPLATES = [
    "a photo of a {tone} {texture} {name}.",
    "a {size}, {tone} {name} with a {texture} surface.",
    "a {texture} {name} in {tone} tones.",
    "a picture of a {size} {name}, {tone} and {texture}.",
]


def image_attributes(images: np.ndarray) -> dict:
    """Per-image tone, size and texture measurements; images (N, 28, 28) uint8 or [0, 1] float."""
    x = np.asarray(images, np.float32)
    if x.max() > 1.0:
        x = x / 255.0
    mask = x > 0.1
    area = mask.mean(axis=(1, 2))
    tone = (x * mask).sum(axis=(1, 2)) / np.maximum(mask.sum(axis=(1, 2)), 1)
    gy, gx = np.gradient(x, axis=(1, 2))
    texture = (np.hypot(gx, gy) * mask).sum(axis=(1, 2)) / np.maximum(mask.sum(axis=(1, 2)), 1)
    return {"tone": tone, "size": area, "texture": texture}


def _bins(v: np.ndarray, n: int) -> np.ndarray:
    edges = np.quantile(v, np.linspace(0, 1, n + 1)[1:-1])
    return np.digitize(v, edges)


def make_captions(images: np.ndarray, labels: np.ndarray, seed: int = 0) -> list[str]:
    """One caption per image (deterministic in ``seed``, which picks the template)."""
    labels = np.asarray(labels)
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if labels.min() < 0 or labels.max() >= len(CLASSES):
        raise ValueError(f"labels must be in 0..{len(CLASSES) - 1}")
    a = image_attributes(images)
    tone, size, texture = _bins(a["tone"], 3), _bins(a["size"], 3), _bins(a["texture"], 2)
    template = np.random.default_rng(seed).integers(len(TEMPLATES), size=len(labels))
    return [TEMPLATES[t].format(tone=TONE[to], size=SIZE[si], texture=TEXTURE[te], name=NAMES[c])
            for t, to, si, te, c in zip(template, tone, size, texture, labels)]


def tokenize(captions: list[str], vocab: dict | None = None):
    """Lower-case word tokens → ids (0 = padding); returns (ids (N, T) int64, vocab)."""
    words = [c.lower().replace(",", " ").replace(".", " ").split() for c in captions]
    if vocab is None:
        vocab = {w: i + 1 for i, w in enumerate(sorted({w for ws in words for w in ws}))}
    T = max(len(ws) for ws in words)
    ids = np.zeros((len(words), T), np.int64)
    for i, ws in enumerate(words):
        ids[i, : len(ws)] = [vocab.get(w, 0) for w in ws]
    return ids, vocab
