"""The four cross-modality matching tasks of notebooks 02–04, built the same way everywhere.

| task            | A (probes) | B (gallery) | identities                 | split                                   |
|-----------------|------------|-------------|----------------------------|-----------------------------------------|
| Raman-IR        | Raman      | IR          | 106 molecules (closed set) | by measurement: fresh test measurements |
| photo-sketch    | photo      | sketch      | images (open set)          | by identity: unseen test images         |
| visible-thermal | visible    | thermal     | images (open set)          | by identity                             |
| visible-nir     | visible    | NIR         | images (open set)          | by identity                             |
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from modgap.data import TASKS, load_fashion_mnist, load_linelists, make_image_pairs, simulate_pairs, split_by_measurement

ALL_TASKS = ["Raman-IR", *TASKS]
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


def load_task(name: str, seed: int = 0, n_train_measurements: int = 20, n_test_measurements: int = 4,
              n_train_images: int = 600, n_test_images: int = 400) -> MatchingTask:
    if name not in ALL_TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {ALL_TASKS}")
    if name == "Raman-IR":
        lines, _, _ = load_linelists()
        pairs = simulate_pairs(lines, n_train_measurements + n_test_measurements, seed=seed, grid=MATCH_GRID)
        tr, te = split_by_measurement(pairs, n_train_measurements)
        ids = torch.tensor(tr.identity)
        return MatchingTask(name, 1, torch.tensor(tr.raman)[:, None], torch.tensor(tr.ir)[:, None], ids,
                            len(pairs.names), ids, torch.tensor(te.raman)[:, None], torch.tensor(te.ir)[:, None],
                            te.identity, te.identity)
    images, labels = load_fashion_mnist()
    n = n_train_images + n_test_images
    if n > len(images):
        raise ValueError(f"{n} images requested but the set has {len(images)}")
    pick = np.random.default_rng(seed).permutation(len(images))[:n]
    p = make_image_pairs(images[pick], labels[pick], name, seed=seed)
    tr = np.arange(n) < n_train_images
    test_ids = np.arange(n - n_train_images)
    return MatchingTask(name, 2, torch.tensor(p.a[tr]), torch.tensor(p.b[tr]), torch.arange(n_train_images), 0,
                        torch.tensor(p.label[tr]), torch.tensor(p.a[~tr]), torch.tensor(p.b[~tr]), test_ids, test_ids)
