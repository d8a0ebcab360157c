"""The two-tower experiment of notebook 05, shared with notebook 08: the image–caption data, the methods
(loss variant × temperature regime) and train-or-load.

A model is kept under ``<05's output folder>/checkpoints/<checkpoint_name>``, a name that covers every
setting and the data, so notebook 08 loads the models 05 trained (and trains them itself when 05 has not run).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from modgap.contrastive.two_tower import TwoTower, TwoTowerConfig, checkpoint_name, train_or_load_two_tower
from modgap.losses import CLIP_INITIAL_TEMPERATURE
from modgap.parameters import at_least, between, one_of
from modgap.seed import DATA_DRAWS, data_seed

#: the shipped Fashion-MNIST subset: 05 uses all of it, the first ``n_train`` (after a seeded shuffle) to train
N_PAIRS = 3000
#: smoke mode (tiny and fast) in 05 and 08: one seed, one epoch, 256 of 512 pairs for training
SMOKE_SIZES = dict(epochs=1, n_train=256, n_total=512)


#: The two-tower parameters of notebook 05, with their rules (``modgap.check_parameters``); notebook 08 takes the
#: same ones (its tower epochs as ``tower_epochs``), so that it loads the models 05 trained.
PARAMETERS = dict(seed=int, n_seeds=at_least(1), device=str, smoke=(bool, type(None)), epochs=at_least(1),
                  batch_size=at_least(2), n_train=between(100, 2900), temperature=between(0.001, 10, float),
                  low_temperature=between(0.001, 10, float), text_encoder=one_of("minilm", "scratch"),
                  data_draw=one_of(*DATA_DRAWS), output_dir=str)


@dataclass(frozen=True)
class TwoTowerMethod:
    """One row of 05: a loss variant (``modgap.losses.VARIANTS``) trained at a temperature, the temperature regime
    it belongs to, and the method it is the treatment against in that regime's paired comparison (None: a row
    shown, not compared)."""

    name: str
    variant: str
    temperature: float  # the fixed τ, or where a learned τ starts
    learned: bool = False
    regime: str = "fixed"  # one of REGIMES
    compared_with: str | None = None


#: the temperature regimes of 05 and 08, in their order: a fixed τ, a low fixed τ, CLIP's learnable τ
REGIMES = ("fixed", "low", "learned")


def regime_label(regime: str, temperature: float, low_temperature: float) -> str:
    """How a regime is shown and named in claim ids (``slug``: "tau-0.1", "tau-0.01", "learned-tau")."""
    return {"fixed": f"τ = {temperature:g}", "low": f"τ = {low_temperature:g}", "learned": "learned τ"}[regime]


def gap_closing_methods(temperature: float, low_temperature: float) -> dict[str, TwoTowerMethod]:
    """05's rows by name: InfoNCE alone and with L_ATP + L_CU in three temperature regimes — a fixed τ, a low fixed
    τ, and CLIP's learnable τ from 0.07 — each full objective compared with InfoNCE alone at its temperature; and
    the two single-term ablations at the fixed τ, in the form ispamm/ModGap trains them (the term's weight a
    constant 1, variants ``atp-w1`` / ``cu-w1``; the full objective keeps Grassucci et al.'s α/β schedules)."""
    base, low, learned = f"CLIP (τ={temperature:g})", f"CLIP (τ={low_temperature:g})", "CLIP (learned τ)"
    rows = [
        TwoTowerMethod(base, "clip", temperature),
        TwoTowerMethod("+ L_ATP + L_CU", "full", temperature, compared_with=base),
        TwoTowerMethod("+ L_ATP only (α = 1)", "atp-w1", temperature),
        TwoTowerMethod("+ L_CU only (β = 1)", "cu-w1", temperature),
        TwoTowerMethod(low, "clip", low_temperature, regime="low"),
        TwoTowerMethod(f"+ L_ATP + L_CU (τ={low_temperature:g})", "full", low_temperature, regime="low",
                       compared_with=low),
        TwoTowerMethod(learned, "clip", CLIP_INITIAL_TEMPERATURE, learned=True, regime="learned"),
        TwoTowerMethod("+ L_ATP + L_CU (learned τ)", "full", CLIP_INITIAL_TEMPERATURE, learned=True, regime="learned",
                       compared_with=learned),
    ]
    return {m.name: m for m in rows}


def regimes(temperature: float, low_temperature: float) -> dict[str, tuple[str, str]]:
    """``regime label -> (full objective, InfoNCE alone)``: the paired comparisons of 05 and 08, by method name,
    read from the methods' ``compared_with`` (a row added to ``gap_closing_methods`` changes no pairing)."""
    methods = gap_closing_methods(temperature, low_temperature)
    pairs = {m.regime: (m.name, m.compared_with) for m in methods.values() if m.compared_with}
    return {regime_label(r, temperature, low_temperature): pairs[r] for r in REGIMES if r in pairs}


def reference_method(temperature: float, low_temperature: float, regime: str = "fixed") -> str:
    """The name of InfoNCE alone in ``regime``: what the full objective is compared with there."""
    return next(m.compared_with for m in gap_closing_methods(temperature, low_temperature).values()
                if m.regime == regime and m.compared_with)


@dataclass
class CaptionedImages:
    """Fashion-MNIST images with generated captions, shuffled by the data seed; the first ``n_train`` train."""

    images: torch.Tensor  # (N, 1, 28, 28) in [0, 1]
    labels: np.ndarray  # (N,) class
    captions: list[str]
    text: torch.Tensor  # (N, 384) frozen MiniLM features, or (N, T) token ids for the scratch encoder
    n_train: int
    seed: int
    text_encoder: str
    cached: bool = False  # the MiniLM features came from the cache
    caption_detail: str = "fine"  # modgap.data.captions.make_captions(detail=…)

    @property
    def train(self) -> np.ndarray:
        return np.arange(len(self.labels)) < self.n_train

    @property
    def test(self) -> np.ndarray:
        return ~self.train

    def key(self) -> dict:
        """What decides a model trained on these data besides its config (``checkpoint_name``'s ``data``)."""
        extra = {} if self.caption_detail == "coarse" else {"captions": self.caption_detail}  # coarse: the old names
        return dict(n_train=self.n_train, n_total=len(self.labels), data_seed=self.seed, text_encoder=self.text_encoder,
                    **extra)

    def checkpoint(self, cfg: TwoTowerConfig, folder: str | Path) -> Path:
        """Where the model trained with ``cfg`` on these data is kept in ``folder``."""
        return Path(folder) / checkpoint_name(cfg, **self.key())


def captioned_images(seed: int, n_train: int, n_total: int = N_PAIRS, text_encoder: str = "minilm",
                     cache_dir: str | Path | None = None, caption_detail: str = "fine") -> CaptionedImages:
    """``n_total`` images of the shipped subset drawn by ``seed``, their captions and text-tower inputs."""
    from modgap.data import load_fashion_mnist
    from modgap.data.captions import make_captions, tokenize

    if not 0 < n_train < n_total:
        raise ValueError(f"n_train must be between 1 and n_total - 1 = {n_total - 1}, got {n_train}")
    if text_encoder not in ("minilm", "scratch"):
        raise ValueError(f"text_encoder must be 'minilm' or 'scratch', got {text_encoder!r}")
    images, labels = load_fashion_mnist()
    if n_total > len(images):
        raise ValueError(f"n_total = {n_total} pairs requested but the subset has {len(images)} images")
    order = np.random.default_rng(seed).permutation(len(images))[:n_total]
    images, labels = images[order], labels[order]
    captions = make_captions(images, labels, seed=seed, detail=caption_detail)
    cached = False
    if text_encoder == "minilm":
        from modgap.models.minilm import encode_captions
        from modgap.paths import RUNS_DIR

        feats, cached = encode_captions(captions, cache_dir=Path(cache_dir) if cache_dir else RUNS_DIR / "cache")
        text = torch.tensor(feats)
    else:
        ids, _ = tokenize(captions)
        text = torch.tensor(ids)
    x = torch.tensor(images, dtype=torch.float32)[:, None] / 255.0
    return CaptionedImages(x, labels, captions, text, n_train, seed, text_encoder, cached, caption_detail)


def train_or_load_tower(data: CaptionedImages, cfg: TwoTowerConfig, folder: str | Path, device=None):
    """``(model, FitResult)`` for ``cfg`` trained on ``data``'s training pairs, loaded from ``folder`` when a
    complete checkpoint is there (``FitResult.epochs_run == 0``), else trained (or resumed) and kept there."""
    tr = data.train
    return train_or_load_two_tower(cfg, data.images[tr], data.text[tr], folder, device=device, **data.key())


@dataclass(frozen=True)
class TowerSettings:
    """What notebooks 05 and 08 train as two-tower models, derived from their parameters by ``settings``."""

    seed: int  # the run's seed (its data seed when data_draw = "fixed")
    seeds: list[int]  # model seeds
    epochs: int
    batch_size: int
    n_train: int
    n_total: int
    temperature: float
    low_temperature: float
    text_encoder: str
    data_draw: str = "per-seed"

    def methods(self) -> dict[str, TwoTowerMethod]:
        """05's rows: ``gap_closing_methods`` at this run's temperatures."""
        return gap_closing_methods(self.temperature, self.low_temperature)

    def draws(self, cache_dir: str | Path | None = None) -> dict[int, CaptionedImages]:
        """``model seed -> CaptionedImages``: the data each seed trains and is tested on (``data_draw``)."""
        drawn: dict[int, CaptionedImages] = {}
        for s in self.seeds:
            d = data_seed(s, self.seed, self.data_draw)
            drawn.setdefault(d, captioned_images(d, self.n_train, self.n_total, self.text_encoder, cache_dir=cache_dir))
        return {s: drawn[data_seed(s, self.seed, self.data_draw)] for s in self.seeds}

    def jobs(self, draws: dict[int, CaptionedImages], folder: str | Path) -> dict[tuple[str, int], dict]:
        """``(method, seed) -> keyword arguments of train_or_load_tower``, method by method, seed by seed."""
        return {(name, s): dict(data=draws[s], folder=Path(folder),
                                cfg=TwoTowerConfig(variant=m.variant, temperature=m.temperature,
                                                   learnable_temperature=m.learned, epochs=self.epochs,
                                                   batch_size=self.batch_size, seed=s))
                for name, m in self.methods().items() for s in self.seeds}


def settings(P, smoke: bool, epochs: int | None = None) -> TowerSettings:
    """The two-tower settings of 05 from its parameters ``P`` (``PARAMETERS``); 08 passes its ``tower_epochs`` as
    ``epochs``. Smoke mode: ``SMOKE_SIZES`` and one seed."""
    if smoke:
        sizes = dict(seeds=[P.seed], epochs=SMOKE_SIZES["epochs"], n_train=SMOKE_SIZES["n_train"],
                     n_total=SMOKE_SIZES["n_total"])
    else:
        sizes = dict(seeds=list(range(P.seed, P.seed + P.n_seeds)), epochs=epochs or P.epochs, n_train=P.n_train,
                     n_total=N_PAIRS)
    return TowerSettings(seed=P.seed, batch_size=P.batch_size, temperature=P.temperature,
                         low_temperature=P.low_temperature, text_encoder=P.text_encoder,
                         data_draw=getattr(P, "data_draw", "per-seed"), **sizes)


def train_towers(jobs: list[dict], workers: int = 0, device=None, progress_bar: bool = True,
                 scheduler: str | None = None) -> list[tuple[float, int]]:
    """Train every job (keyword arguments ``data``, ``cfg``, ``folder`` of ``train_or_load_tower``) into its
    checkpoint, ``workers`` at a time, where ``scheduler`` says (``modgap.executor``: local processes by default,
    a Dask cluster with ``$MODGAP_SCHEDULER``); on an accelerator without a cluster, here, one after another.
    Returns ``(seconds, epochs trained)`` per job, in order (``(0.0, 0)`` for a complete checkpoint, which is not
    run: ``modgap.executor.train_unfinished``); load the models afterwards with
    ``train_or_load_tower`` (same arguments)."""
    from modgap.executor import train_unfinished

    jobs = [{**job, "device": device} for job in jobs]
    on_accelerator = torch.device(device or "cpu").type != "cpu"
    checkpoints = [j["data"].checkpoint(j["cfg"], j["folder"]) for j in jobs]
    return train_unfinished(train_or_load_tower, jobs, checkpoints, [j["cfg"].epochs for j in jobs],
                            workers=1 if on_accelerator else workers, scheduler=scheduler,
                            names=[c.stem for c in checkpoints], progress_bar=progress_bar, desc="two-tower training")


def embed_test(model: TwoTower, data: CaptionedImages, images: torch.Tensor | None = None, device=None):
    """Raw embeddings (N_test, D) of the test images (or of ``images``, e.g. occluded ones) and their captions."""
    device = device or next(model.parameters()).device
    te = data.test
    imgs = data.images[te] if images is None else images
    return model.embed(imgs.to(device), data.text[te].to(device))
