"""Audit the modality gap of any paired embeddings, with bootstrap intervals over pairs (API and CLI).

Given N true pairs (x_i, y_i) of two modalities (rows L2-normalised here; the report says when they were not):

- **centroid gap** ``‖mean(x̂) − mean(ŷ)‖`` (Liang et al. 2022) and the **true-pair cosine** ``mean cos(x_i, y_i)``;
- each modality's **cone**: mean pairwise cosine over i ≠ j (1 = all rows on one ray);
- **linear separability**: held-out accuracy of a logistic regression telling x from y (5-fold, 0.5 = chance;
  ``modgap.metrics.gap.domain_classifier_correct``);
- **R@1/5/10** both ways, ties at their expected rank (``modgap.metrics.retrieval``);
- in the closers' comparison, **mixed-modality search** (``modgap.metrics.mixed_search``): one index of both
  modalities, the partner's hit at 1, nDCG@10 and the share of a query's own modality in its top 10;
- **where the gap sits**: the share of ‖Δ‖² = Σ_d Δ_d² carried by the k largest of the per-dimension
  contributions Δ_d² (Schrodi et al., ICLR 2025, "Two effects, one trigger": a few dimensions carry most of it);
- with class labels, **V-Measure / ARI / NMI** of KMeans (k = classes) on both modalities stacked.

Every number is an :class:`~modgap.metrics.uncertainty.Estimate`: the value on all pairs and a BCa bootstrap
interval over pairs (``modgap.metrics.uncertainty.bca_interval``; a draw resamples N pairs with replacement, a
pair brings its x and its y; BCa, because the plain percentile interval of a norm near 0 — a closed gap — is
biased upwards and can miss its own estimate). For
retrieval and separability the per-pair outcomes are computed once on all pairs (the gallery and the
classifier's folds stay fixed) and the draws resample them; the clusters are likewise fitted once.

From the command line (Liang et al.'s ``(2, N, D)`` ``.npy``, two ``(N, D)`` ``.npy``, ``.npz`` or ``.pt``, or a folder
that clip-retrieval's ``clip-inference`` wrote: ``img_emb/img_emb_<i>.npy`` beside ``text_emb/text_emb_<i>.npy``)::

    python -m modgap.audit features_clip.npy --out runs/audit/clip --closers all

writes ``report.md``, ``report.json``, ``means.npy`` (each modality's mean unit embedding, (2, D)) and ``audit.png``
(PCA of both modalities with true pairs joined, as in Liang et al.'s Figure 1, and the cosine histograms).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from modgap.metrics.clustering import cluster_assignments, v_measure
from modgap.metrics.gap import centroid_gap, domain_classifier_correct, mean_pairwise_cosine
from modgap.metrics.mixed_search import mixed_outcomes, per_pair
from modgap.metrics.normalize import l2_normalize
from modgap.metrics.retrieval import hits_at_k, true_pair_cosine
from modgap.metrics.uncertainty import LEVEL, Estimate, bca_interval

MIN_PAIRS = 10
KS = (1, 5, 10)


class AuditInputError(ValueError):
    """Input the audit cannot use; the message names the file (or argument) and the problem."""


# ----------------------------------------------------------------------------------------------- input checks
def check_pairs(x, y, source: str = "x, y") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(x̂, ŷ, notes): float64 unit rows of paired embeddings (N, D) each, or a named ``AuditInputError``."""
    x, y = np.asarray(x), np.asarray(y)
    for name, a in (("first modality", x), ("second modality", y)):
        if a.ndim != 2:
            raise AuditInputError(f"{source}: the {name} must be a 2-D (pairs, dims) array, got shape {a.shape}")
        if not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
            raise AuditInputError(f"{source}: the {name} must hold real numbers, got dtype {a.dtype}")
    if len(x) != len(y):
        raise AuditInputError(f"{source}: the modalities must have the same number of pairs (rows), "
                              f"got {len(x)} and {len(y)}")
    if x.shape[1] != y.shape[1]:
        raise AuditInputError(f"{source}: the modalities must have the same dimension, got {x.shape[1]} and "
                              f"{y.shape[1]} (project them to a shared space first)")
    if len(x) < MIN_PAIRS:
        raise AuditInputError(f"{source}: {len(x)} pairs; the audit needs at least {MIN_PAIRS}")
    x, y = x.astype(np.float64), y.astype(np.float64)
    for name, a in (("first modality", x), ("second modality", y)):
        bad = ~np.isfinite(a).all(1)
        if bad.any():
            raise AuditInputError(f"{source}: the {name} has NaN or infinite values in {bad.sum()} rows "
                                  f"(first: row {int(np.flatnonzero(bad)[0])})")
        zero = np.abs(a).max(1) == 0  # exactly zero: not a norm that underflowed (1e-200) or overflowed (1e300)
        if zero.any():
            raise AuditInputError(f"{source}: the {name} has {zero.sum()} all-zero rows (first: row "
                                  f"{int(np.flatnonzero(zero)[0])}); a zero vector has no direction")
    notes, unit = [], []
    for name, a in (("first modality", x), ("second modality", y)):
        scale = np.abs(a).max(1, keepdims=True)  # rows scaled to a largest entry of 1 first: no overflow, no underflow
        norms = scale[:, 0] * np.linalg.norm(a / scale, axis=1)
        if np.abs(norms - 1).max() > 1e-3:
            notes.append(f"the {name}'s rows were not unit length (norms {norms.min():.3g}–{norms.max():.3g}); "
                         "they were L2-normalised")
        with np.errstate(over="ignore", under="ignore"):
            direct = np.linalg.norm(a, axis=1)
        plain = np.isfinite(direct).all() and (direct > 1e-150).all()  # the usual case: normalised as it always was
        unit.append(l2_normalize(a) if plain else l2_normalize(a / scale))
    return unit[0], unit[1], notes


def _read_array(path: Path):
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".npz", ".pt", ".pth"):
        raise AuditInputError(f"{path}: unknown format {suffix or '(no extension)'!r}; "
                              "expected .npy, .npz or .pt")
    from modgap.io import UnreadableFile, load_npy, readable_file

    try:
        if suffix == ".npy":
            return load_npy(path)
        readable_file(path)
    except UnreadableFile as exc:
        raise AuditInputError(str(exc)) from None
    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        import torch

        obj = torch.load(path, map_location="cpu", weights_only=True)  # tensors only: no code from the file
    except Exception as exc:  # noqa: BLE001 - every reader's failure becomes one named error
        text = str(exc)
        if "pickle" in text.lower() or "weights_only" in text or type(exc).__name__ == "UnpicklingError":
            # NumPy's and PyTorch's own messages advise loading such a file unsafely: never passed on
            raise AuditInputError(f"{path}: holds Python objects, not only arrays or tensors; such files are never "
                                  "loaded here (loading them could run code from the file): save the arrays alone") from None
        raise AuditInputError(f"{path}: cannot be read as {suffix} ({type(exc).__name__}: "
                              f"{text.splitlines()[0] if text else 'corrupt or truncated'})") from None
    return _to_numpy(obj, path)


def _to_numpy(obj, path: Path):
    if hasattr(obj, "detach"):
        return obj.detach().cpu().numpy()
    if isinstance(obj, dict):
        return {str(k): _to_numpy(v, path) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_numpy(v, path) for v in obj]
    raise AuditInputError(f"{path}: holds a {type(obj).__name__}, expected tensors")


def _split(obj, path: Path):
    """(x, y) from one file: a (2, N, D) array, a dict with x/y (or exactly two arrays), or a pair."""
    if isinstance(obj, dict):
        if {"x", "y"} <= obj.keys():
            return obj["x"], obj["y"]
        if len(obj) == 2:
            return tuple(obj.values())
        if len(obj) == 1:
            obj = next(iter(obj.values()))
        else:
            raise AuditInputError(f"{path}: holds arrays {sorted(obj)}; expected 'x' and 'y', exactly two arrays, "
                                  "or one (2, N, D) array")
    if isinstance(obj, list):
        if len(obj) != 2:
            raise AuditInputError(f"{path}: holds {len(obj)} arrays, expected 2 (one per modality)")
        return obj[0], obj[1]
    if obj.ndim != 3 or obj.shape[0] != 2:
        raise AuditInputError(f"{path}: shape {obj.shape}; one file must hold (2, N, D) — both modalities, "
                              "row i of each a true pair — or give the second modality as a second file")
    return obj[0], obj[1]


def read_clip_retrieval(folder) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) from the layout clip-retrieval's ``clip-inference`` writes: ``img_emb/img_emb_<i>.npy`` and
    ``text_emb/text_emb_<i>.npy`` shards, row j of image shard i paired with row j of text shard i; shards are read
    in the order of their number i (not of their name: ``_10`` after ``_9``)."""
    import re

    folder = Path(folder)
    shards = {}
    for kind in ("img", "text"):
        sub = folder / f"{kind}_emb"
        if not sub.is_dir():
            raise AuditInputError(f"{folder}: no {kind}_emb/ folder (clip-retrieval's layout has img_emb/ and text_emb/)")
        found = {int(m.group(1)): p for p in sub.glob(f"{kind}_emb_*.npy")
                 if (m := re.fullmatch(rf"{kind}_emb_(\d+)\.npy", p.name))}
        if not found:
            raise AuditInputError(f"{sub}: no {kind}_emb_<i>.npy shards")
        shards[kind] = found
    if set(shards["img"]) != set(shards["text"]):
        raise AuditInputError(f"{folder}: image shards {sorted(shards['img'])} and text shards "
                              f"{sorted(shards['text'])} differ; each image shard needs its text shard")
    x, y = [], []
    for i in sorted(shards["img"]):
        a, b = _read_array(shards["img"][i]), _read_array(shards["text"][i])
        if not isinstance(a, np.ndarray) or not isinstance(b, np.ndarray) or len(a) != len(b):
            raise AuditInputError(f"{folder}: shard {i} holds {len(a)} image and {len(b)} text rows; they must pair")
        x.append(a)
        y.append(b)
    return np.concatenate(x), np.concatenate(y)


def load_pairs(file, file2=None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(x̂, ŷ, notes) from one file holding both modalities, two files holding one each, or a folder in
    clip-retrieval's layout (``img_emb/``, ``text_emb/``: :func:`read_clip_retrieval`)."""
    file = Path(file)
    if file2 is None and file.is_dir() and (file / "img_emb").is_dir():
        return check_pairs(*read_clip_retrieval(file), str(file))
    if file2 is None:
        x, y = _split(_read_array(file), file)
        source = str(file)
    else:
        file2 = Path(file2)
        x, y = (_read_array(f) for f in (file, file2))
        for f, a in ((file, x), (file2, y)):
            if not isinstance(a, np.ndarray):
                raise AuditInputError(f"{f}: holds several arrays; with two files each must hold one (N, D) array")
        source = f"{file} + {file2}"
    return check_pairs(x, y, source)


def load_labels(path, n: int) -> np.ndarray:
    """(N,) integer class labels from ``.npy`` or a text file of one label per line (any strings)."""
    from modgap.io import UnreadableFile, load_npy, readable_file

    path = Path(path)
    try:
        readable_file(path, "labels file")
        raw = load_npy(path, "labels file") if path.suffix.lower() == ".npy" else None
    except UnreadableFile as exc:
        raise AuditInputError(str(exc)) from None
    if raw is None:
        try:
            raw = np.array([line.strip() for line in path.read_text().splitlines() if line.strip()])
        except UnicodeDecodeError:
            raise AuditInputError(f"{path}: not a text file of one label per line") from None
    raw = np.asarray(raw).ravel()
    if len(raw) != n:
        raise AuditInputError(f"{path}: {len(raw)} labels for {n} pairs; give one label per pair")
    if raw.dtype.kind == "f" and np.isnan(raw).any():
        raise AuditInputError(f"{path}: {int(np.isnan(raw).sum())} labels are NaN (first: pair "
                              f"{int(np.flatnonzero(np.isnan(raw))[0])}); give every pair a class")
    if raw.dtype.kind in "USO" and np.isin(np.char.lower(raw.astype(str)), ["nan", "none", ""]).any():
        raise AuditInputError(f"{path}: some labels are missing ('nan' or 'none'); give every pair a class")
    labels = np.unique(raw, return_inverse=True)[1]
    if labels.max() < 1:
        raise AuditInputError(f"{path}: one class only; clustering scores need at least two")
    if labels.max() + 1 == n:
        raise AuditInputError(f"{path}: every pair has a class of its own ({n} classes for {n} pairs), so any "
                              "clustering scores perfectly; give class labels shared by several pairs")
    return labels


# ----------------------------------------------------------------------------------------------- the bootstrap
def pair_counts(n: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n) how often each pair is drawn in each bootstrap draw (rows sum to n). A mean over the draw is
    then ``counts @ v / n``: integer counts keep sums of 0/1 outcomes exact."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, (n_boot, n))
    c = np.zeros((n_boot, n))
    np.add.at(c, (np.arange(n_boot)[:, None], draws), 1.0)
    return c


def bootstrap_bytes(n: int, d: int, n_boot: int) -> int:
    """About how much memory the audit's resampling takes: the (1 + B + N, N) counts and a few (1 + B + N, max(N, D))
    arrays of float64 at once."""
    return 8 * (1 + n_boot + n) * (n + 3 * max(n, d))


def _memory_bytes() -> int | None:
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_bootstrap(n: int, d: int, n_boot: int, seed: int) -> None:
    """Refuse, before any work, bootstrap settings that cannot run: fewer than 100 draws, a negative seed, or more
    draws than half this machine's memory holds (the message says the memory they would need)."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 100:
        raise AuditInputError(f"--n-boot {n_boot}: use at least 100 bootstrap draws for a 95% interval")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise AuditInputError(f"--seed {seed}: a seed is a whole number from 0 to 2**63 - 1")
    need, have = bootstrap_bytes(n, d, n_boot), _memory_bytes()
    if have is not None and need > have / 2:
        most = max(100, int(have / 2 / (8 * (n + 3 * max(n, d)))) - 1 - n)
        raise AuditInputError(f"--n-boot {n_boot}: {n} pairs would need about {need / 2**30:.1f} GiB for the "
                              f"bootstrap, more than half of this machine's {have / 2**30:.1f} GiB; use at most "
                              f"{most:,} draws (1000 give a 95% interval)")


def resampling_counts(n: int, n_boot: int, seed: int) -> np.ndarray:
    """(1 + n_boot + n, n) pair counts of every weighting the audit evaluates a statistic under: row 0 all pairs
    once (the estimate), then the bootstrap draws, then the n leave-one-out sets (the jackknife BCa needs)."""
    return np.vstack([np.ones((1, n)), pair_counts(n, n_boot, seed), 1.0 - np.eye(n)])


def _bca(values: np.ndarray, n_boot: int, level: float) -> Estimate:
    """Values of a statistic under ``resampling_counts`` rows -> its estimate with a BCa interval."""
    return bca_interval(values[0], values[1:1 + n_boot], values[1 + n_boot:], level, len(values) - 1 - n_boot)


def _top_share(delta: np.ndarray, k: int) -> np.ndarray:
    """(…,) share of ‖Δ‖² held by the k largest Δ_d² of each row of Δ (…, D)."""
    sq = np.sort(delta ** 2, axis=-1)[..., ::-1]
    return sq[..., :k].sum(-1) / sq.sum(-1)


def _labelled_values(clusters: np.ndarray, labels: np.ndarray, counts: np.ndarray) -> dict:
    """V-Measure, ARI and NMI of the fixed clusters on the pairs of each row of ``counts`` (a pair brings its
    x and its y)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    n = len(labels)
    truth = np.r_[labels, labels]
    out = {"V-Measure": [], "ARI": [], "NMI": []}
    for row in counts:
        q = np.repeat(np.arange(n), row.astype(int))
        both = np.r_[q, q + n]
        t, c = truth[both], clusters[both]
        out["V-Measure"].append(v_measure(t, c))
        out["ARI"].append(adjusted_rand_score(t, c))
        out["NMI"].append(normalized_mutual_info_score(t, c))
    return {k: np.asarray(v) for k, v in out.items()}


@dataclass(frozen=True)
class AuditResult:
    """What ``audit`` measured: ``estimates`` (name -> Estimate, in the order of the report) and ``notes``."""

    n_pairs: int
    dim: int
    estimates: dict
    notes: tuple = ()
    contributions: np.ndarray = field(default=None, repr=False)  # (D,) Δ_d² / ‖Δ‖², largest first

    means: np.ndarray = field(default=None, repr=False)  # (2, D) each modality's mean unit embedding

    @property
    def outside(self) -> list[str]:
        """The metrics whose estimate lies outside its own interval (flagged ``*`` everywhere they are shown)."""
        return [k for k, e in self.estimates.items() if not e.low <= e.value <= e.high]

    def table(self):
        import pandas as pd

        return pd.DataFrame([{"metric": k, "value": e.value, "low": e.low, "high": e.high,
                              "outside": k in self.outside} for k, e in self.estimates.items()])

    def to_dict(self) -> dict:
        return {"n_pairs": self.n_pairs, "dim": self.dim, "notes": list(self.notes),
                "level": LEVEL, "estimates": {k: {"value": e.value, "low": e.low, "high": e.high,
                                                  "outside": k in self.outside}
                                              for k, e in self.estimates.items()},
                "interval": INTERVAL_NOTE, "definitions": DEFINITIONS,
                "top_dimension_shares": [float(v) for v in self.contributions[:20]]}

    def to_markdown(self) -> str:
        rows = [f"| {k} | {e.value:.3f}{' *' if k in self.outside else ''} | [{e.low:.3f}, {e.high:.3f}] |"
                for k, e in self.estimates.items()]
        head = [f"{self.n_pairs} pairs, {self.dim} dimensions; 95% bootstrap intervals over pairs.", "",
                "| metric | value | 95% interval |", "|---|---|---|"]
        foot = ["", f"\\* {OUTSIDE_NOTE}"] if self.outside else []
        notes = [""] + [f"- Note: {n}." for n in self.notes] if self.notes else []
        return "\n".join(head + rows + foot + notes + ["", f"Intervals: {INTERVAL_NOTE}"])


#: how every interval of the audit is made, and why an estimate can lie outside its own
INTERVAL_NOTE = ("BCa bootstrap over pairs (Efron 1987; modgap.metrics.uncertainty.bca_interval), cut to the "
                 "statistic's range (a norm is at least 0, a share between 0 and 1); where nearly all draws fall on one "
                 "side of the estimate, the basic bootstrap interval instead")
OUTSIDE_NOTE = ("the estimate lies outside its interval: the basic bootstrap interval was used (nearly all draws on one "
                "side), as for a gap near 0, which the plug-in norm of a sample mean overestimates — read the interval, "
                "not the plug-in value")
#: the gap's definitions side by side, each with what it measures (report.md, report.json)
DEFINITIONS = {
    "centroid gap": "‖mean(x̂) − mean(ŷ)‖ of unit rows (Liang et al. 2022): how far apart the two modalities' centres "
                    "are; 0 = one centre, at most 2. Says nothing about whether pairs are close",
    "separability": "held-out accuracy of a logistic regression telling x from y, each pair in one fold: whether ANY "
                    "linear direction tells the modalities apart (0.5 = none), even when the centres coincide",
    "gap share of top k dims": "the share of ‖Δ‖² carried by the k largest per-dimension terms Δ_d² (Schrodi et al., "
                               "ICLR 2025): whether the gap sits in a few dimensions or is spread over all",
    "true-pair cosine": "mean cos(x_i, y_i): how close each item is to its own partner, the pairs' view of the gap",
}
#: the range each kind of statistic lies in: intervals are cut to it
RANGES = {"centroid gap": (0.0, 2.0), "true-pair cosine": (-1.0, 1.0), "cone": (-1.0, 1.0)}


def _range_of(metric: str) -> tuple[float, float]:
    for key, r in RANGES.items():
        if metric.startswith(key):
            return r
    return (0.0, 1.0)  # accuracies, recalls, shares, V-Measure, ARI's upper end


def _clipped(metric: str, e: Estimate) -> Estimate:
    lo, hi = _range_of(metric)
    if metric.startswith("ARI"):
        lo = -1.0
    return e.clipped(lo, hi)


def audit(x, y, labels=None, n_boot: int = 1000, seed: int = 0, level: float = LEVEL,
          top_dims=(1, 10), notes=()) -> AuditResult:
    """Audit paired embeddings x, y (N, D) — see the module docstring for what is measured and how."""
    x, y, more = check_pairs(x, y)
    n, d = x.shape
    check_bootstrap(n, d, n_boot, seed)
    c = resampling_counts(n, n_boot, seed)  # (1 + B + N, N): all pairs, the bootstrap draws, leave-one-out

    def mean(v):  # (N, …) per-pair values -> (1 + B + N, …) their mean under each weighting
        return c @ v / c.sum(1).reshape((-1,) + (1,) * (np.ndim(v) - 1))

    def est_of(values):  # a statistic under each weighting -> the value (row 0) and its BCa interval
        return _bca(values, n_boot, level)

    est = {}
    delta = mean(x) - mean(y)  # (1 + B + N, D): Δ = mean(x̂) − mean(ŷ) under each weighting
    est["centroid gap"] = est_of(centroid_gap(x, y, normalize=False, weights=c))
    est["true-pair cosine"] = est_of(true_pair_cosine(x, y, weights=c))
    for name, z in (("x", x), ("y", y)):
        est[f"cone of {name} (mean cosine, i≠j)"] = est_of(mean_pairwise_cosine(z, weights=c))
    correct, ix, iy = domain_classifier_correct(x, y, seed=seed, max_samples=n, return_index=True, paired=True)
    per_pair = np.zeros(n)  # each pair: the share of its two samples the held-out classifier got right
    np.add.at(per_pair, ix, correct[:n] / 2)
    np.add.at(per_pair, iy, correct[n:] / 2)
    est["separability (domain-classifier accuracy)"] = est_of(mean(per_pair))
    for k in KS:
        for direction, hits in hits_at_k(x, y, k).items():
            est[f"R@{k} {direction}"] = est_of(mean(hits))
    notes = list(notes) + more
    if (delta[0] ** 2).sum() < 1e-20:
        notes.append("the two centres coincide: there is no gap direction to split into dimensions")
    else:
        for k in top_dims:
            if k < d:
                est[f"gap share of top {k} dim{'s' if k > 1 else ''}"] = est_of(_top_share(delta, k))
    if labels is not None:
        labels = np.asarray(labels)
        if len(labels) != n:
            raise AuditInputError(f"labels: {len(labels)} labels for {n} pairs")
        labels = np.unique(labels, return_inverse=True)[1]
        clusters = cluster_assignments(x, y, int(labels.max()) + 1, seed=seed)
        for k, values in _labelled_values(clusters, labels, c).items():
            est[k] = est_of(values)
    sq = delta[0] ** 2
    share = np.sort(sq)[::-1] / sq.sum() if sq.sum() > 0 else np.zeros(d)
    est = {k: _clipped(k, e) for k, e in est.items()}
    return AuditResult(n, d, est, tuple(notes), share, np.stack([x.mean(0), y.mean(0)]))


# ----------------------------------------------------------------------------------------------- post-hoc closers
def _scores(x, y, c, labels=None) -> dict:
    """The closer-comparison metrics of unit rows x, y under each row of pair counts c (…, N)."""
    m = c.sum(1)
    out = {"centroid gap": centroid_gap(x, y, normalize=False, weights=c),
           "true-pair cosine": true_pair_cosine(x, y, weights=c)}
    for direction, hits in hits_at_k(x, y, 1).items():
        out[f"R@1 {direction}"] = c @ hits / m
    for name, v in per_pair(mixed_outcomes(x, y)).items():  # one index of both modalities (GR-CLIP's setting)
        out[f"mixed index: {name}"] = c @ v / m
    if labels is not None:
        k = cluster_assignments(x, y, int(labels.max()) + 1, seed=0)
        out["V-Measure"] = _labelled_values(k, labels, c)["V-Measure"]
    return out


def compare_closers(x, y, labels=None, closers=None, train_fraction: float = 0.5, n_boot: int = 1000,
                    seed: int = 0, level: float = LEVEL):
    """Each post-hoc closer (``modgap.contrastive.post_hoc.CLOSERS``) fitted on a random ``train_fraction`` of
    the pairs and measured on the rest: a tidy frame ``closer, metric, before, after, difference, low, high``
    where the difference after − before has a paired bootstrap interval over the held-out pairs (the same
    draws for before and after)."""
    import pandas as pd

    from modgap.contrastive.post_hoc import CLOSERS

    x, y, _ = check_pairs(x, y)
    names = list(CLOSERS) if closers is None else list(closers)
    unknown = [c for c in names if c not in CLOSERS]
    if unknown:
        raise AuditInputError(f"--closers: unknown {unknown}; choose from {list(CLOSERS)} or 'all'")
    if not 0 < train_fraction < 1:
        raise AuditInputError(f"train_fraction must be in (0, 1), got {train_fraction}")
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(x))
    n_train = int(round(train_fraction * len(x)))
    tr, te = perm[:n_train], perm[n_train:]
    if min(len(tr), len(te)) < MIN_PAIRS:
        raise AuditInputError(f"{len(x)} pairs split {len(tr)}/{len(te)}: each side needs {MIN_PAIRS}")
    lab = None if labels is None else np.unique(np.asarray(labels)[te], return_inverse=True)[1]
    c = resampling_counts(len(te), n_boot, seed)
    before = _scores(x[te], y[te], c, labels=lab)
    rows = []
    for name in names:
        xa, ya = CLOSERS[name](x[tr], y[tr])(x[te], y[te])
        after = _scores(xa, ya, c, labels=lab)
        for metric, b in before.items():
            e = _bca(after[metric] - b, n_boot, level)
            rows.append({"closer": name, "metric": metric, "before": float(b[0]), "after": float(after[metric][0]),
                         "difference": e.value, "low": e.low, "high": e.high,
                         "outside": not e.low <= e.value <= e.high})  # flagged * in the report and the console
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------- report
def plot_audit(x, y, title: str = "", max_lines: int = 200, seed: int = 0):
    """Figure: PCA of both modalities (true pairs joined) and the histograms of true-pair, other-pair and
    within-modality cosines."""
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    x, y, _ = check_pairs(x, y)
    z = PCA(2, random_state=seed).fit_transform(np.concatenate([x, y]))
    zx, zy = z[: len(x)], z[len(x):]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.5))
    pick = np.random.default_rng(seed).permutation(len(x))[:max_lines]
    for i in pick:
        a.plot([zx[i, 0], zy[i, 0]], [zx[i, 1], zy[i, 1]], color="0.75", lw=0.5, zorder=1)
    a.scatter(*zx.T, s=8, c="tab:red", label="first modality (x)", zorder=2)
    a.scatter(*zy.T, s=8, c="tab:blue", label="second modality (y)", zorder=2)
    a.set(xlabel="PC 1", ylabel="PC 2", title=f"PCA of both modalities{': ' + title if title else ''}\n"
          f"(grey: {len(pick)} true pairs joined)")
    a.legend(loc="best", fontsize=9)
    s = x @ y.T
    off = ~np.eye(len(x), dtype=bool)
    bins = np.linspace(-1, 1, 81)
    b.hist(np.diag(s), bins, density=True, alpha=0.6, label="true pairs cos(xᵢ, yᵢ)")
    b.hist(s[off], bins, density=True, alpha=0.6, label="other pairs cos(xᵢ, yⱼ)")
    b.hist((x @ x.T)[off], bins, density=True, histtype="step", lw=1.5, label="within x")
    b.hist((y @ y.T)[off], bins, density=True, histtype="step", lw=1.5, label="within y")
    b.set(xlabel="cosine similarity", ylabel="density", title="Cosine similarities")
    b.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def write_report(out_dir, result: AuditResult, x, y, closers=None, title: str = "") -> dict:
    """``report.md``, ``report.json`` and ``audit.png`` in ``out_dir`` (each written atomically)."""
    from modgap.io import atomic_write, save_figure, write_json

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AuditInputError(f"--out {out}: cannot create the folder ({exc.strerror})") from None
    md = [f"# Modality-gap audit{': ' + title if title else ''}", "", result.to_markdown()]
    data = {"title": title, **result.to_dict()}
    if closers is not None and len(closers):
        md += ["", "## Post-hoc closers (fitted on half the pairs, measured on the other half)", "",
               "| closer | metric | before | after | after − before [95% CI] |", "|---|---|---|---|---|"]
        md += [f"| {r.closer} | {r.metric} | {r.before:.3f} | {r.after:.3f} | {r.difference:+.3f} "
               f"[{r.low:+.3f}, {r.high:+.3f}]{' *' if r.outside else ''} |" for r in closers.itertuples()]
        if closers.outside.any():
            md += ["", f"\\* {OUTSIDE_NOTE}"]
        data["closers"] = closers.to_dict("records")
    md += ["", "## What each measure of the gap says", "", *[f"- **{k}**: {v}." for k, v in DEFINITIONS.items()],
           "", "Each modality's mean unit embedding (the centres whose distance is the centroid gap): `means.npy`, "
           "shape (2, D), row 0 the first modality.", "", "![audit](audit.png)", ""]
    paths = {"markdown": atomic_write(out / "report.md", lambda fh: fh.write("\n".join(md))),
             "json": write_json(out / "report.json", data),
             "means": atomic_write(out / "means.npy", lambda fh: np.save(fh, result.means), "wb")}
    import matplotlib.pyplot as plt

    fig = plot_audit(x, y, title)
    paths["figure"] = save_figure(fig, out / "audit.png")
    plt.close(fig)
    return paths


def writable_folder(out: Path) -> None:
    """Create ``out`` and write a probe file into it, or a named ``AuditInputError``: a folder the report cannot be
    written to is found before the audit runs, not after."""
    import tempfile

    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise AuditInputError(f"--out {out}: cannot write there ({exc.strerror or exc})") from None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m modgap.audit", description=__doc__.split("\n")[0])
    p.add_argument("file", help="(2, N, D) .npy, .npz or .pt with both modalities, the first modality's (N, D), or a "
                                "folder in clip-retrieval's layout (img_emb/, text_emb/)")
    p.add_argument("file2", nargs="?", help="the second modality's (N, D) array, row i paired with row i of FILE")
    p.add_argument("--labels", help="class labels, one per pair (.npy, or text with one per line)")
    p.add_argument("--out", help="folder for report.md, report.json and audit.png (default runs/audit/<name>)")
    p.add_argument("--closers", nargs="*", default=None,
                   help="post-hoc closers to compare: mean-centring shift procrustes, or 'all'")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap draws (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    from modgap.paths import RUNS_DIR, UnsafePath, check_output_path

    try:
        out = Path(args.out) if args.out else RUNS_DIR / "audit" / Path(args.file).stem
        try:  # where the report goes is checked before any work: never among the repository's own files, writable
            out = check_output_path(out, "--out", outside_ok=True)
        except UnsafePath as exc:
            raise AuditInputError(str(exc)) from None
        writable_folder(out)
        x, y, notes = load_pairs(args.file, args.file2)
        check_bootstrap(len(x), x.shape[1], args.n_boot, args.seed)
        labels = load_labels(args.labels, len(x)) if args.labels else None
        result = audit(x, y, labels, n_boot=args.n_boot, seed=args.seed, notes=notes)
        table = None
        if args.closers is not None:
            names = None if args.closers in ([], ["all"]) else args.closers
            table = compare_closers(x, y, labels, names, n_boot=args.n_boot, seed=args.seed)
        paths = write_report(out, result, x, y, table, title=Path(args.file).name)
    except AuditInputError as exc:
        print(f"modgap.audit: error: {exc}", file=sys.stderr)
        return 2
    print(result.to_markdown())
    if table is not None:
        print()
        shown = table.assign(outside=np.where(table.outside, "*", ""))
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        if table.outside.any():
            print(f"* {OUTSIDE_NOTE}")
    print(f"\nreport: {paths['markdown']}\nfigure: {paths['figure']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
