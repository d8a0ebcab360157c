"""Train-or-load for the matching benchmark, shared by notebooks 02 (cmUNet), 03 (accuracy) and 04
(occlusion): they keep models in one folder under names that say everything they were trained with
(task, method, seed, data size, epochs and a digest of the configuration), so a later notebook reuses
what an earlier one trained, and trains it itself when run alone or with other settings."""
from __future__ import annotations

from pathlib import Path

import torch

from modgap.marrnet import MatchConfig, train_matcher, train_perceptual_net
from modgap.tasks import MatchingTask


def perceptual_net(T: MatchingTask, ckpt_dir: Path, seed: int, epochs: int, device=None):
    return train_perceptual_net(torch.cat([T.a, T.b]), torch.cat([T.phi_labels, T.phi_labels]), T.dim,
                                int(T.phi_labels.max()) + 1, epochs=epochs, seed=seed, device=device,
                                checkpoint=Path(ckpt_dir) / f"phi-{T.name}-s{seed}-{len(T.a)}-{epochs}.pt")


def train_or_load(T: MatchingTask, method: str, seed: int, epochs: int, ckpt_dir: Path, phi=None, device=None,
                  progress_bar: bool = False):
    """Return ``(model, FitResult)``; ``FitResult.epochs_run == 0`` means it was loaded from its checkpoint."""
    cfg = MatchConfig(method=method, dim=T.dim, epochs=epochs, n_ids=T.n_ids, seed=seed)
    return train_matcher(cfg, T.a, T.b, T.ids, phi=phi, device=device, progress_bar=progress_bar,
                         checkpoint=Path(ckpt_dir) / f"{T.name}-{method}-s{seed}-{len(T.a)}-{epochs}-{cfg.digest()}.pt")
