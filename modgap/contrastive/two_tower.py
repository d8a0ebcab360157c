"""Train and evaluate a CLIP-style two-tower model on images and captions.

``train_two_tower`` builds an image tower and a text tower (a projection of frozen MiniLM features,
or a from-scratch text encoder), trains them with a :class:`~modgap.losses.GapClosingLoss` variant, and
``evaluate`` reports the gap, the mean true-pair cosine, R@1/5/10 both ways and clustering scores.
``checkpoint_name`` names a trained model after everything it was trained with (notebooks 05 and 06).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from modgap.losses import GapClosingLoss
from modgap.metrics import centroid_gap, cluster_scores, recall_at_k, true_pair_cosine
from modgap.models import ImageTower, ProjectionHead, ScratchTextEncoder
from modgap.seed import seeded
from modgap.training import FitResult, fit

#: Bump when a change to the training code makes old checkpoints describe a different model.
#: 2: a learned τ is clamped as a parameter after each step (it could lock at 0.01 before).
#: 3: trained on one torch thread wherever it runs (06's and 09's, trained in the kernel, took one per free core).
TRAINING_VERSION = 3


@dataclass
class TwoTowerConfig:
    variant: str = "clip"  # see modgap.losses.VARIANTS
    temperature: float = 0.1
    learnable_temperature: bool = False
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    embed_dim: int = 64
    seed: int = 0


def checkpoint_name(cfg: TwoTowerConfig, **data) -> str:
    """``<variant>-tau<τ>[learned]-s<seed>-e<epochs>-<digest>.pt``. The digest covers every setting of ``cfg``,
    ``TRAINING_VERSION`` and ``data``: whatever else decides the trained model (the training set's size and
    seed, the text encoder), so a changed setting never loads an old model."""
    text = json.dumps({**asdict(cfg), "version": TRAINING_VERSION, **data}, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    tau = f"{cfg.temperature:g}" + ("learned" if cfg.learnable_temperature else "")
    return f"{cfg.variant}-tau{tau}-s{cfg.seed}-e{cfg.epochs}-{digest}.pt"


class TwoTower(torch.nn.Module):
    def __init__(self, image: torch.nn.Module, text: torch.nn.Module, loss: GapClosingLoss):
        super().__init__()
        self.image, self.text, self.loss = image, text, loss

    @torch.no_grad()
    def embed(self, images: torch.Tensor, text: torch.Tensor, batch_size: int = 512):
        """Raw (unnormalised) embeddings of paired inputs, as NumPy arrays (N, D). On one torch thread, as training
        (``modgap.device.one_torch_thread``): the same model gives the same embeddings, to the bit, however busy
        the machine is (on more threads the convolutions add in another order)."""
        from modgap.device import one_torch_thread

        self.eval()
        xs, ys = [], []
        with one_torch_thread():
            for i in range(0, len(images), batch_size):
                xs.append(self.image(images[i:i + batch_size]).float().cpu())
                ys.append(self.text(text[i:i + batch_size]).float().cpu())
        return torch.cat(xs).numpy(), torch.cat(ys).numpy()


def build_two_tower(cfg: TwoTowerConfig, text_dim: int | None = None, vocab_size: int | None = None) -> TwoTower:
    """Image tower + text tower (projection of ``text_dim`` features, or a scratch encoder over ``vocab_size``),
    initialised from ``cfg.seed`` alone (torch's global generator is left as it was)."""
    if (text_dim is None) == (vocab_size is None):
        raise ValueError("give exactly one of text_dim (frozen features) or vocab_size (scratch encoder)")
    with seeded(cfg.seed):
        image = ImageTower(cfg.embed_dim)
        text = ProjectionHead(text_dim, cfg.embed_dim) if text_dim else ScratchTextEncoder(vocab_size, cfg.embed_dim)
    loss = GapClosingLoss(cfg.variant, cfg.temperature, cfg.learnable_temperature)
    return TwoTower(image, text, loss)


def train_two_tower(cfg: TwoTowerConfig, images: torch.Tensor, text: torch.Tensor, device=None,
                    checkpoint: str | Path | None = None, progress_bar: bool = True):
    """Train on paired ``images`` (N, 1, 28, 28) and ``text`` (N, 384) float features or (N, T) token ids.

    Returns ``(model, FitResult)``.
    """
    if len(images) != len(text):
        raise ValueError(f"{len(images)} images but {len(text)} captions")
    device = torch.device(device or "cpu")
    is_ids = text.dtype == torch.int64
    model = build_two_tower(cfg, vocab_size=int(text.max()) if is_ids else None,
                            text_dim=None if is_ids else text.shape[1]).to(device)
    images, text = images.to(device), text.to(device)

    def step(idx, progress):
        idx = idx.to(device)
        return model.loss(model.image(images[idx]), model.text(text[idx]), progress)

    result = fit({"model": model}, step, len(images), cfg.epochs, cfg.batch_size, cfg.lr, seed=cfg.seed,
                 checkpoint=checkpoint, device=device, progress_bar=progress_bar, desc=cfg.variant)
    return model, result


def evaluate(x: np.ndarray, y: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict:
    """Gap, true-pair cosine, R@1/5/10 (image→text as x→y and back) and clustering of both modalities."""
    out = {"gap": centroid_gap(x, y), "pair_cos": true_pair_cosine(x, y)}
    out.update(recall_at_k(x, y))
    out.update(cluster_scores(x, y, labels, seed=seed))
    return out


def train_or_load_two_tower(cfg: TwoTowerConfig, images: torch.Tensor, text: torch.Tensor, folder: str | Path,
                            device=None, **data) -> tuple[TwoTower, FitResult]:
    """The one way a notebook gets a trained two-tower model (05, 06, 08, 09): loaded from
    ``folder/checkpoint_name(cfg, **data)`` when a complete checkpoint is there (``FitResult.epochs_run == 0``),
    else trained on ``images`` (N, 1, 28, 28) and ``text`` (N, ·) — or resumed — and kept there. ``data`` names
    whatever decides the model besides ``cfg`` (the training set's size and seed, the text encoder, the captions),
    so a changed setting never loads an old model."""
    return train_two_tower(cfg, images, text, device=device, checkpoint=Path(folder) / checkpoint_name(cfg, **data))

