"""MarrNet and the baselines it is compared with: one table, ``METHODS``, and one model, ``Matcher``.

Every method shares the same feature extractor E (a small ResNet), the same matching objective
(multi-positive InfoNCE over identities, plus identity classification when the test identities are the
training identities) and the same training budget. They differ in what E sees and what else is trained:

| method      | E sees                  | extra terms                                          | family the paper criticises |
|-------------|-------------------------|------------------------------------------------------|-----------------------------|
| siamese     | a, b                    | —                                                    | no bridging                 |
| mmd         | a, b                    | MMD² between E(a) and E(b)                          | distribution alignment      |
| dann        | a, b                    | domain discriminator on features, gradient reversal | indistinguishable features  |
| transfer    | T(a), b                 | ‖T(a) − b‖₁, T a UNet translator                    | explicit modality transfer  |
| marrnet     | G(a), G(b)              | cmUNet losses (trans, rec, adv, perc)                | — (the paper's method)       |
| marrnet-2stage | G(a), G(b)           | as marrnet, in two stages: G first, then E on G's outputs | — (the paper's protocol) |

    L = L_match(E(r_a), E(r_b)) [+ L_id] + Σ extra terms,    (r_a, r_b) = what E sees

Any method can add Grassucci et al.'s gap-closing terms on E's features of true pairs (``gap_closing``:
L_ATP, L_CU with identities as groups, or both; notebook 08):

    L += w_atp α(p) L_ATP(f̂a, f̂b) + w_cu β(p) L_CU(f̂a, f̂b; ids)

Each row is a ``Method``: which modalities go through the UNet, which other modules it trains, its extra
loss terms, its label, the relative cost of its training step and its stages. Adding a method is adding a row.

``marrnet`` trains everything jointly; ``marrnet-2stage`` follows the paper's description: for the first half
of the steps cmUNet G (with h_A, h_B and D) learns from its own losses alone, then G is frozen and E learns
to match on G's outputs for the second half (the same total budget; the cosine learning rate runs over both).

MarrNet's pixel losses are rendered through two small heads (``ModalityRenderer``):
trans = ‖h_B(G(a)) − b‖₁ + ‖h_A(G(b)) − a‖₁ and rec = ‖h_A(G(a)) − a‖₁ + ‖h_B(G(b)) − b‖₁ (see renderer.py for why).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from modgap.losses import (
    adversarial_loss,
    alpha_schedule,
    atp_loss,
    beta_schedule,
    cu_loss,
    domain_bce,
    mmd_loss,
    multi_positive_info_nce,
    perceptual_loss,
    reconstruction_loss,
    ssim_loss,
    transformation_loss,
)
from modgap.models import CMUNet, FeatureExtractor, ModalityRenderer, PatchDiscriminator
from modgap.models.layers import grad_reverse
from modgap.seed import seeded
from modgap.training import fit

#: Bump when a change to the training code makes old checkpoints describe a different model
#: (2: both modalities share one BatchNorm pass; 3: augmentation draws seeded by fit, cmUNet starts as the identity;
#: 4: pixel losses through the modality renderer, fused Adam).
TRAINING_VERSION = 4


@dataclass
class MatchConfig:
    method: str = "marrnet"
    dim: int = 2  # 1: spectra, 2: images
    epochs: int = 5
    # small batches, many steps: every model here is limited by its number of steps (results/held_out.md)
    batch_size: int = 32
    lr: float = 4e-3
    lr_schedule: str = "cosine"  # or "constant"; cosine made every method less seed-dependent
    embed_dim: int = 64
    width: int = 8  # E's base width
    unet_base: int = 8
    unet_fold: int = 2  # cmUNet on 2×2-pixel / 2-bin patches folded into channels: ~3× faster, same output shape
    temperature: float = 0.1
    n_ids: int = 0  # > 0: identity classification over this many training identities
    seed: int = 0
    # loss weights (OUR ASSUMPTIONS: the paper does not publish them)
    w_trans: float = 0.3
    w_rec: float = 0.15
    w_adv: float = 0.1
    w_perc: float = 0.5
    perceptual: str = "phi"  # "phi": ‖φ(G(a)) − φ(G(b))‖₁ with a trained φ; "ssim": 1 − SSIM(G(a), G(b)), no network
    w_align: float = 1.0  # MMD (mmd) or domain loss (dann)
    residual: bool = True  # G(x) = x + UNet(x), last layer zero: MarrNet starts where the siamese baseline starts
    dann_max: float = 0.03  # final gradient-reversal strength of DANN (0.1 collapsed at lr 4e-3: results/held_out.md)
    shift: int = 2  # training augmentation: random circular shift of each sample by up to ±shift pixels/bins
    fresh_data: bool = False  # new simulated training measurements every epoch (spectra; the task's ``redraw``)
    # Grassucci et al.'s gap-closing terms on E's features of true pairs, added to any method (notebook 08):
    # "" none, "atp", "cu" or "atp+cu"; weighted w·α(p) and w·β(p) with the schedules of the contrastive track
    gap_closing: str = ""
    w_atp: float = 1.0
    w_cu: float = 1.0
    # early stopping: > 0 holds out ``val_fraction`` of the training pairs (whole identities on open-set tasks,
    # some measurements of every molecule on Raman-IR), scores rank-1 on them after every epoch and stops after
    # ``patience`` epochs without progress, keeping the best epoch; ``epochs`` is then the most it may train
    patience: int = 0
    val_fraction: float = 0.1
    # "auto": bf16 autocast on CUDA, float32 on a CPU; "bf16": bf16 autocast on a CPU too; "fp32": never
    # (on held-out seeds a CPU's bf16 kept rank-1 within noise, 1.1-1.3x faster: opt-in until the references are
    # rerun with it, results/held_out.md)
    precision: str = "auto"

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; expected one of {list(METHODS)}")
        if self.dim not in (1, 2):
            raise ValueError(f"dim must be 1 or 2, got {self.dim}")
        if self.perceptual not in ("phi", "ssim"):
            raise ValueError(f"perceptual must be 'phi' or 'ssim', got {self.perceptual!r}")
        if self.gap_closing not in GAP_CLOSING:
            raise ValueError(f"gap_closing must be one of {GAP_CLOSING}, got {self.gap_closing!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.patience < 0 or not 0 < self.val_fraction < 1:
            raise ValueError(f"need patience >= 0 and 0 < val_fraction < 1, got {self.patience} and {self.val_fraction}")

    @property
    def uses_phi(self) -> bool:
        """Whether training needs the perceptual network φ."""
        return METHODS[self.method].perceptual and self.perceptual == "phi" and self.w_perc > 0

    def digest(self, **context: str) -> str:
        """8 hex digits that change with any setting, with ``TRAINING_VERSION`` and with ``context`` (what
        else the model was trained with, e.g. which φ): part of checkpoint names, so that a checkpoint is
        never loaded into a model trained differently."""
        settings = {k: v for k, v in asdict(self).items() if not (k in _ADDED_LATER and v == _ADDED_LATER[k])}
        text = json.dumps({**settings, "version": TRAINING_VERSION, **context}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:8]


#: the options of ``MatchConfig.precision`` (``fit``'s ``amp``)
PRECISIONS = ("auto", "bf16", "fp32")
#: the gap-closing options of ``MatchConfig.gap_closing``
GAP_CLOSING = ("", "atp", "cu", "atp+cu")
#: settings added after the models of TRAINING_VERSION 4 were trained: left out of the digest at these values,
#: so those models keep their names (they were trained without the setting, i.e. at its default)
_ADDED_LATER = {"gap_closing": "", "w_atp": 1.0, "w_cu": 1.0, "patience": 0, "val_fraction": 0.1, "precision": "auto"}


class Views(NamedTuple):
    """One training batch as every loss term sees it."""

    a: torch.Tensor  # (B, 1, ...) augmented samples of A
    b: torch.Tensor  # (B, 1, ...) their partners in B
    ra: torch.Tensor  # what E saw of a (G(a), T(a) or a)
    rb: torch.Tensor  # what E saw of b
    fa: torch.Tensor | None  # (B, D) E's features of ra (None in a stage that does not train E)
    fb: torch.Tensor | None  # (B, D) E's features of rb


@dataclass(frozen=True)
class Method:
    """One row of the comparison."""

    label: str  # the name in tables and figures
    family: str  # the family of bridging methods it stands for
    through_unet: tuple[str, ...]  # modalities that pass through the UNet before E: () none, ("a",) T(a), ("a", "b") G
    step_cost: float  # relative cost of a training step (batch 32, 2 cores: MarrNet 80 ms, transfer 45, others 20–25)
    extra_modules: Callable[[MatchConfig], dict[str, nn.Module]]  # trained besides E (and the UNet), built in order
    extra_loss: Callable[[Matcher, Views, float], dict[str, torch.Tensor]]  # weighted terms added to the match loss
    stages: Callable[[float], tuple[bool, bool]] = lambda progress: (True, True)  # (train the bridge, train E) at progress
    perceptual: bool = False  # its losses include cmUNet's perceptual term (so it trains with φ or SSIM)
    baseline: bool = True  # one of the families the paper compares MarrNet with (False: a MarrNet variant)


def _two_stages(progress: float) -> tuple[bool, bool]:
    """The bridge (G and its heads) in the first half of training, E in the second."""
    return (True, False) if progress < 0.5 else (False, True)


def _no_modules(cfg: MatchConfig) -> dict[str, nn.Module]:
    return {}


def _no_terms(model: Matcher, v: Views, progress: float) -> dict[str, torch.Tensor]:
    return {}


def _mmd_terms(model, v, progress):
    return {"mmd": model.cfg.w_align * mmd_loss(v.fa, v.fb)}


def _dann_modules(cfg):
    return {"domain_classifier": nn.Sequential(nn.Linear(cfg.embed_dim, 64), nn.ReLU(), nn.Linear(64, 1))}


def _dann_terms(model, v, progress):
    c = model.cfg
    lam = c.dann_max * (2.0 / (1.0 + np.exp(-10 * progress)) - 1.0)  # Ganin's schedule 0 → dann_max
    return {"domain": c.w_align * domain_bce(model.domain_classifier(grad_reverse(v.fa, lam)),
                                              model.domain_classifier(grad_reverse(v.fb, lam)))}


def _transfer_terms(model, v, progress):
    return {"transfer": model.cfg.w_trans * F.l1_loss(v.ra, v.b)}  # ‖T(a) − b‖₁ (not MarrNet's "trans")


def _marrnet_modules(cfg):
    return {"D": PatchDiscriminator(cfg.dim, 1, width=8),
            "H": ModalityRenderer(cfg.dim, 1)}  # h_A, h_B: trained only through the pixel losses


def _marrnet_terms(model, v, progress):
    c = model.cfg
    to_a, to_b = model.H(torch.cat([v.ra, v.rb]))  # renderings of G(a), G(b) in A and in B: (2B, 1, ...) each
    a_to_a, b_to_a = to_a.chunk(2)
    a_to_b, b_to_b = to_b.chunk(2)
    parts = {"trans": c.w_trans * transformation_loss(a_to_b, b_to_a, v.a, v.b),
             "rec": c.w_rec * reconstruction_loss(a_to_a, b_to_b, v.a, v.b),
             "adv": c.w_adv * adversarial_loss(model.D, v.ra, v.rb)}
    if c.w_perc:
        parts["perc"] = c.w_perc * (ssim_loss(v.ra, v.rb) if c.perceptual == "ssim" else perceptual_loss(model.phi, v.ra, v.rb))
    return parts


#: The methods of notebooks 02–04, in table order.
METHODS: dict[str, Method] = {
    "siamese": Method("no bridging (siamese)", "no bridging", (), 1, _no_modules, _no_terms),
    "mmd": Method("distribution alignment (MMD)", "distribution alignment", (), 1, _no_modules, _mmd_terms),
    "dann": Method("indistinguishable features (DANN)", "indistinguishable features", (), 1, _dann_modules, _dann_terms),
    "transfer": Method("modality transfer (A→B)", "explicit modality transfer", ("a",), 2, _no_modules, _transfer_terms),
    "marrnet": Method("MarrNet (cmUNet + E)", "the paper's method", ("a", "b"), 4, _marrnet_modules, _marrnet_terms,
                      perceptual=True, baseline=False),
    "marrnet-2stage": Method("MarrNet, two stages", "the paper's protocol", ("a", "b"), 3, _marrnet_modules,
                             _marrnet_terms, _two_stages, perceptual=True, baseline=False),
}
#: the baselines, in table order
BASELINES = [name for name, m in METHODS.items() if m.baseline]


def _renamed_domain_classifier(state_dict, prefix, *args):
    for key in [k for k in state_dict if k.startswith(prefix + "D.")]:
        state_dict[prefix + "domain_classifier." + key[len(prefix) + 2:]] = state_dict.pop(key)


class Matcher(nn.Module):
    """E, the method's UNet (G for MarrNet, T for transfer) and its other modules; build it under
    ``modgap.seed.seeded(cfg.seed)`` for reproducible weights (``train_matcher`` does)."""

    def __init__(self, cfg: MatchConfig, phi: nn.Module | None = None):
        super().__init__()
        self.cfg = cfg
        self.method = METHODS[cfg.method]
        if cfg.uses_phi and phi is None:
            raise ValueError("MarrNet with perceptual='phi' and w_perc > 0 needs the perceptual network phi "
                             "(train_perceptual_net), or perceptual='ssim', or w_perc=0")
        self.E = FeatureExtractor(cfg.dim, 1, cfg.width, embed_dim=cfg.embed_dim, n_classes=cfg.n_ids)
        self.G = (CMUNet(cfg.dim, 1, cfg.unet_base, residual=cfg.residual, fold=cfg.unet_fold)
                  if self.method.through_unet else None)
        self.D = self.H = self.domain_classifier = None  # MarrNet's PatchGAN D and renderers H; DANN's domain MLP
        for name, module in self.method.extra_modules(cfg).items():
            setattr(self, name, module)
        if cfg.method == "dann":  # DANN's MLP was called D before it got its own name: its checkpoints still load
            self._register_load_state_dict_pre_hook(_renamed_domain_classifier)
        # φ, the frozen perceptual network, is deliberately not a submodule: never saved or trained here
        object.__setattr__(self, "phi", phi.eval().requires_grad_(False) if phi is not None else None)
        if cfg.dim == 2:  # channels-last image convolutions: 10–22% faster steps on a CPU (benchmarks/throughput.py)
            self.to(memory_format=torch.channels_last)
            if phi is not None:
                phi.to(memory_format=torch.channels_last)

    def memory_format(self, x: torch.Tensor) -> torch.Tensor:
        """Images in channels-last layout, as the convolutions' weights (a 1-channel batch would otherwise stay
        channels-first and take the slower kernels); spectra as they are."""
        return x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x

    def represent(self, x: torch.Tensor, modality: str) -> torch.Tensor:
        """The sample-space input of E: G(x) for MarrNet, T(a) for transfer, x otherwise."""
        x = self.memory_format(x)
        return self.G(x) if modality in self.method.through_unet else x

    def embed(self, x: torch.Tensor, modality: str) -> torch.Tensor:
        return self.E(self.represent(x, modality))

    @torch.no_grad()
    def _batched(self, fn, x: torch.Tensor, modality: str, batch_size: int, device) -> np.ndarray:
        self.eval()
        device = device or next(self.parameters()).device
        return torch.cat([fn(x[i:i + batch_size].to(device), modality).float().cpu()
                          for i in range(0, len(x), batch_size)]).numpy()

    def embed_all(self, x: torch.Tensor, modality: str, batch_size: int = 256, device=None) -> np.ndarray:
        """E's features of every sample, in eval mode, as a NumPy array (N, D)."""
        return self._batched(self.embed, x, modality, batch_size, device)

    def represent_all(self, x: torch.Tensor, modality: str, batch_size: int = 256, device=None) -> np.ndarray:
        """The sample-space representations (G(x) for MarrNet) of every sample, as NumPy."""
        return self._batched(self.represent, x, modality, batch_size, device)

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        """Shift every sample by its own random offset (same for all methods)."""
        s = self.cfg.shift
        if s == 0 or not self.training:
            return x
        offsets = torch.randint(-s, s + 1, (len(x), x.dim() - 2))  # (B, 1) spectra, (B, 2) images: drawn on the CPU
        return circular_shift(x, offsets.to(x.device))

    def loss(self, a: torch.Tensor, b: torch.Tensor, ids: torch.Tensor, progress: float):
        c = self.cfg
        a, b = self.memory_format(self.augment(a)), self.memory_format(self.augment(b))
        # both modalities go through G and E in ONE batch: BatchNorm then normalises them with shared
        # statistics, as it does at test time. Separate calls would give each modality its own batch
        # statistics in training only: a free per-modality alignment that the test never sees.
        train_bridge, train_e = self.method.stages(progress)
        with torch.set_grad_enabled(torch.is_grad_enabled() and train_bridge):  # a frozen bridge builds no graph
            if self.method.through_unet == ("a", "b"):
                ra, rb = self.G(torch.cat([a, b])).chunk(2)  # (2B, 1, ...) -> 2 × (B, 1, ...)
            else:
                ra, rb = self.represent(a, "a"), self.represent(b, "b")
        parts = {}
        fa = fb = None
        if train_e:
            fa, fb = self.E(torch.cat([ra, rb])).chunk(2)  # (B, D) each
            parts["match"] = multi_positive_info_nce(fa, fb, ids, c.temperature)
            if c.n_ids:
                parts["id"] = 0.5 * (F.cross_entropy(self.E.classifier(fa), ids) + F.cross_entropy(self.E.classifier(fb), ids))
            parts.update(gap_closing_terms(c, fa, fb, ids, progress))
        if train_bridge:
            parts.update(self.method.extra_loss(self, Views(a, b, ra, rb, fa, fb), progress))
        return sum(parts.values()), parts


def circular_shift(x: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
    """Roll every sample by its own offsets, in one gather (what ``torch.roll`` does to one sample at a time):

        out[i, c, l] = x[i, c, (l − o_i) mod L]     (spectra; images: both axes, o_i = (o_i,h, o_i,w))

    x: (B, C, L) or (B, C, H, W); offsets: (B, 1) or (B, 2) integers."""
    B, C, *size = x.shape
    if offsets.shape != (B, len(size)):
        raise ValueError(f"offsets must be (B, {len(size)}) = {(B, len(size))} for x of shape {tuple(x.shape)}, got {tuple(offsets.shape)}")
    index = [torch.arange(B, device=x.device).view(B, *[1] * (len(size) + 1)),
             torch.arange(C, device=x.device).view(1, C, *[1] * len(size))]
    for axis, n in enumerate(size):  # (B, 1, ..., n, ..., 1): this axis's source positions for every sample
        shape = [B, 1] + [1] * len(size)
        shape[2 + axis] = n
        index.append(((torch.arange(n, device=x.device) - offsets[:, axis:axis + 1]) % n).view(shape))
    return x[tuple(index)]


def gap_closing_terms(cfg: MatchConfig, fa: torch.Tensor, fb: torch.Tensor, ids: torch.Tensor,
                      progress: float) -> dict[str, torch.Tensor]:
    """Grassucci et al.'s terms on E's features of the batch's true pairs (B, D), L2-normalised first:

        w_atp · α(p) · (1/B) Σ_i ‖f̂a_i − f̂b_i‖²      and      w_cu · β(p) · L_CU(f̂a, f̂b; groups = ids)

    with the identities as L_CU's groups (several measurements of one molecule share a centroid)."""
    if not cfg.gap_closing:
        return {}
    xa, xb = F.normalize(fa, dim=1), F.normalize(fb, dim=1)
    parts = {}
    if "atp" in cfg.gap_closing:
        parts["atp"] = cfg.w_atp * alpha_schedule(progress) * atp_loss(xa, xb)
    if "cu" in cfg.gap_closing:
        parts["cu"] = cfg.w_cu * beta_schedule(progress) * cu_loss(xa, xb, groups=ids)
    return parts


def validation_split(ids: torch.Tensor, n_ids: int, fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(train, val)`` indices of the training pairs. Open set (``n_ids == 0``, one pair per identity): a random
    ``fraction`` of the pairs, so validation identities are unseen, as at test time. Closed set: ``fraction`` of
    the measurements of every identity with at least two (at least one each), as the test split does."""
    g = torch.Generator().manual_seed(seed * 7919 + 17)
    n = len(ids)
    if n_ids == 0:
        k = max(2, round(fraction * n))
        if k >= n:
            raise ValueError(f"a validation split of {k} pairs leaves nothing to train on ({n} pairs)")
        perm = torch.randperm(n, generator=g)
        return perm[k:].sort().values, perm[:k].sort().values
    val = []
    for i in torch.unique(ids).tolist():
        rows = torch.nonzero(ids == i).flatten()
        if len(rows) >= 2:
            k = min(len(rows) - 1, max(1, round(fraction * len(rows))))
            val.append(rows[torch.randperm(len(rows), generator=g)[:k]])
    val = torch.cat(val).sort().values if val else torch.empty(0, dtype=torch.long)
    if not len(val):
        raise ValueError("no identity has two training measurements: nothing to validate on")
    keep = torch.ones(n, dtype=torch.bool)
    keep[val] = False
    return torch.nonzero(keep).flatten(), val


def train_matcher(cfg: MatchConfig, a: torch.Tensor, b: torch.Tensor, ids: torch.Tensor, phi: nn.Module | None = None,
                  device=None, checkpoint: str | Path | None = None, progress_bar: bool = True, redraw=None):
    """Train one method on paired training samples ``a[i] ↔ b[i]`` with identity ``ids[i]``. With
    ``cfg.fresh_data``, epoch e > 0 trains on ``redraw(e)`` (new samples of the same identities) instead.
    With ``cfg.patience``, a validation split of the pairs decides when to stop (``validation_split``)."""
    if cfg.fresh_data and redraw is None:
        raise ValueError("fresh_data=True needs redraw (a task that can simulate new training measurements)")
    if not (len(a) == len(b) == len(ids)):
        raise ValueError(f"a, b and ids must have the same length, got {len(a)}, {len(b)}, {len(ids)}")
    if len(a) == 0:
        raise ValueError("no training pairs: a, b and ids are empty")
    if a.shape[1:] != b.shape[1:] or a.dim() != cfg.dim + 2:
        raise ValueError(f"a and b must both be (N, 1, {'L' if cfg.dim == 1 else 'H, W'}); got {tuple(a.shape)}, {tuple(b.shape)}")
    if cfg.n_ids and int(ids.max()) >= cfg.n_ids:
        raise ValueError(f"identity {int(ids.max())} is out of range for n_ids={cfg.n_ids}")
    device = torch.device(device or "cpu")
    with seeded(cfg.seed):
        model = Matcher(cfg, phi.to(device) if phi is not None else None)
    model = model.to(device)
    train, val = (validation_split(ids, cfg.n_ids, cfg.val_fraction, cfg.seed) if cfg.patience
                  else (torch.arange(len(ids)), None))
    ids_train = ids[train].to(device)
    current = {0: (a[train].to(device), b[train].to(device))}  # the training pairs of the epoch being trained

    def step(idx, progress):
        epoch = min(int(progress * cfg.epochs), cfg.epochs - 1) if cfg.fresh_data else 0
        if epoch not in current:
            current.clear()
            current[epoch] = tuple(t[train].to(device) for t in redraw(epoch))
        ea, eb = current[epoch]
        idx = idx.to(device)
        return model.loss(ea[idx], eb[idx], ids_train[idx], progress)

    validate = None
    if val is not None:
        from modgap.metrics.identification import per_query_scores

        val_ids = ids[val].cpu().numpy()

        def validate() -> float:
            fa, fb = model.embed_all(a[val], "a", device=device), model.embed_all(b[val], "b", device=device)
            return float(per_query_scores(fa, fb, val_ids, val_ids)["rank1"].mean())

    # a method that trains E only in a later stage: validation starts with E's first epoch (before, it cannot move)
    first_e_epoch = next((e for e in range(cfg.epochs) if model.method.stages(e / cfg.epochs)[1]), 0)
    res = fit({"model": model}, step, len(train), cfg.epochs, cfg.batch_size, cfg.lr, seed=cfg.seed,
              checkpoint=checkpoint, device=device, amp=cfg.precision, progress_bar=progress_bar, desc=cfg.method,
              lr_schedule=cfg.lr_schedule, validate=validate, patience=cfg.patience, validate_from=first_e_epoch + 1)
    return model, res


def train_perceptual_net(x: torch.Tensor, labels: torch.Tensor, dim: int, n_classes: int, epochs: int = 3,
                         seed: int = 0, device=None, checkpoint: str | Path | None = None) -> FeatureExtractor:
    """φ for the perceptual loss: a FeatureExtractor trained to classify ``labels`` from raw samples of both modalities."""
    device = torch.device(device or "cpu")
    with seeded(seed):
        phi = FeatureExtractor(dim, 1, 8, stages=2, embed_dim=32, n_classes=n_classes)
    phi = phi.to(device)
    x, labels = x.to(device), labels.to(device)

    def step(idx, progress):
        idx = idx.to(device)
        loss = F.cross_entropy(phi.classifier(phi(x[idx])), labels[idx])
        return loss, {}

    fit({"phi": phi}, step, len(x), epochs, 128, 2e-3, seed=seed, checkpoint=checkpoint, device=device,
        progress_bar=False, desc="phi")
    return phi.eval().requires_grad_(False)
