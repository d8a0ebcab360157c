"""The five cross-modality matching tasks of notebooks 02–04, built the same way everywhere.

| task            | A (probes) | B (gallery) | identities                 | split                                   |
|-----------------|------------|-------------|----------------------------|-----------------------------------------|
| Raman-IR        | Raman      | IR          | 106 molecules (closed set) | by measurement: fresh test measurements |
| photo-sketch    | photo      | sketch      | images (open set)          | by identity: unseen test images         |
| visible-thermal | visible    | thermal     | images (open set)          | by identity                             |
| visible-nir     | visible    | NIR         | images (open set)          | by identity                             |
| lowpass-edges   | low-pass   | edges       | images (open set)          | by identity                             |

In photo-sketch, visible-thermal and visible-nir, B is a deterministic rendering of A (A→B transfer is
learnable exactly); Raman-IR pairs two spectra computed from the same molecule (neither is a rendering of the
other: each has lines the other lacks, by the selection rules); in lowpass-edges each modality lacks what the
other keeps, so transfer is ill-posed both ways.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from modgap.data import IMAGE_PAIRINGS, load_fashion_mnist, load_linelists, make_image_pairs, simulate_pairs, split_by_measurement

MATCHING_TASKS = ["Raman-IR", *IMAGE_PAIRINGS]
#: Spectra are matched on an 8 cm⁻¹ grid (451 points): half the cost of 01's 4 cm⁻¹, same peaks.
MATCH_GRID = np.arange(400.0, 4000.0 + 1e-9, 8.0)


@dataclass
class MatchingTask:
    name: str
    dim: int
    a: torch.Tensor  # (N, 1, ...) training samples of A
    b: torch.Tensor  # (N, 1, ...) their partners in B
    ids: torch.Tensor  # (N,) training identity
    n_ids: int  # > 0: test identities are training identities (identity classification helps)
    phi_labels: torch.Tensor  # (N,) labels the perceptual network is trained on
    probe: torch.Tensor  # (P, 1, ...) test samples of A
    gallery: torch.Tensor  # (G, 1, ...) test samples of B
    probe_ids: np.ndarray
    gallery_ids: np.ndarray
    data_seed: int = 0  # the seed that drew these samples (renderings, noise, which images)
    source: str = ""  # where the images came from when not the shipped subset, e.g. "fm10000" (a 10,000-image set)
    redraw: Callable[[int], tuple[torch.Tensor, torch.Tensor]] | None = None  # fresh training (a, b) for an epoch

    @property
    def key(self) -> str:
        """Names the training data in checkpoint names: task, data seed, number of training pairs, source."""
        return f"{self.name}-d{self.data_seed}-{len(self.a)}" + (f"-{self.source}" if self.source else "")


@dataclass(frozen=True)
class FreshSpectra:
    """New simulated training measurements for every epoch (``redraw(epoch) -> (raman, ir)``, each (N, 1, L)),
    the same molecules in the same order as the task's training set; epoch 0 is the task's own draw. A class,
    not a closure, so that training processes can receive it."""

    seed: int
    n_measurements: int

    def __call__(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        lines, _, _ = load_linelists()
        pairs = simulate_pairs(lines, self.n_measurements, seed=(self.seed + 1) * 1_000_003 + epoch, grid=MATCH_GRID)
        return torch.tensor(pairs.raman)[:, None], torch.tensor(pairs.ir)[:, None]


def load_task(name: str, seed: int = 0, n_train_measurements: int = 20, n_test_measurements: int = 4,
              n_train_images: int = 600, n_test_images: int = 400, fashion_root: str | None = None) -> MatchingTask:
    """Task ``name`` with data drawn by ``seed``. Images come from the Fashion-MNIST subset shipped in ``data/``,
    or from the test split (10,000 images) in ``fashion_root``, e.g. Debian's ``/usr/share/datasets/fashion-mnist``."""
    if name not in MATCHING_TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {MATCHING_TASKS}")
    for arg, v in (("n_train_measurements", n_train_measurements), ("n_test_measurements", n_test_measurements),
                   ("n_train_images", n_train_images), ("n_test_images", n_test_images)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{arg} must be a positive integer, got {v!r}")
    if name == "Raman-IR":
        lines, _, _ = load_linelists()
        pairs = simulate_pairs(lines, n_train_measurements + n_test_measurements, seed=seed, grid=MATCH_GRID)
        tr, te = split_by_measurement(pairs, n_train_measurements)
        ids = torch.tensor(tr.identity)
        return MatchingTask(name, 1, a=torch.tensor(tr.raman)[:, None], b=torch.tensor(tr.ir)[:, None], ids=ids,
                            n_ids=len(pairs.names), phi_labels=ids, probe=torch.tensor(te.raman)[:, None],
                            gallery=torch.tensor(te.ir)[:, None], probe_ids=te.identity, gallery_ids=te.identity,
                            data_seed=seed, redraw=FreshSpectra(seed, n_train_measurements))
    images, labels = load_fashion_mnist(fashion_root or None, split="test")
    n = n_train_images + n_test_images
    if n > len(images):
        raise ValueError(f"n_train_images + n_test_images = {n} images requested but the set has {len(images)}")
    pick = np.random.default_rng(seed).permutation(len(images))[:n]
    p = make_image_pairs(images[pick], labels[pick], name, seed=seed)
    tr = np.arange(n) < n_train_images
    test_ids = np.arange(n - n_train_images)
    return MatchingTask(name, 2, a=torch.tensor(p.a[tr]), b=torch.tensor(p.b[tr]), ids=torch.arange(n_train_images),
                        n_ids=0, phi_labels=torch.tensor(p.label[tr]), probe=torch.tensor(p.a[~tr]),
                        gallery=torch.tensor(p.b[~tr]), probe_ids=test_ids, gallery_ids=test_ids, data_seed=seed,
                        source=f"fm{len(images)}" if fashion_root else "")
