"""Where a matcher looks: occlusion analysis of the matching track (notebook 04).

- ``sensitivity_map``: slide an occluder over the probes and record how much similarity to the true match drops;
- ``reference_regions``: where a matcher *should* look, to compare with;
- ``occluded_scores``: each probe's rank-1 hit and AP as more of it, or of the gallery, is hidden (the units of
  robustness intervals; 04 and 08 score every matcher with it);
- ``matcher_gap_robustness_correlation``: Niu et al.'s indicator over the trained matchers, ρ(gap, robustness), with
  an interval over seeds (each with all its models) and task–method cells.

The occluders themselves are ``modgap.data.occluders`` (shared with the contrastive track); robustness as
one number per model is ``modgap.metrics.robustness``.
"""
from __future__ import annotations

import numpy as np
import torch

from modgap.metrics.normalize import l2_normalize


@torch.no_grad()
def sensitivity_map(embed_probe, probe: torch.Tensor, gallery_feats: np.ndarray, width: int, stride: int,
                    fill: float = 0.0) -> np.ndarray:
    """How much each region matters: slide an occluder of ``width`` (bins or pixels) over the probes and
    record the mean drop in cosine similarity to each probe's own gallery feature.

    ``embed_probe(x) -> (N, D)`` features; ``gallery_feats`` (N, D) are the true matches of ``probe``.
    Returns (L,) for spectra or (H, W) for images (mean over positions that cover each element).
    """
    g = l2_normalize(gallery_feats)

    def cos(f):
        return (l2_normalize(f) * g).sum(1)

    base = cos(embed_probe(probe))
    size = probe.shape[2:]
    total, count = np.zeros(size), np.zeros(size)
    starts = [range(0, s - width + 1, stride) for s in size]
    for pos in np.ndindex(*[len(r) for r in starts]):
        sl = tuple(slice(r[p], r[p] + width) for r, p in zip(starts, pos))
        x = probe.clone()
        x[(slice(None), slice(None)) + sl] = fill
        drop = float((base - cos(embed_probe(x))).mean())
        total[sl] += drop
        count[sl] += 1
    return total / np.maximum(count, 1)


def reference_regions(task) -> np.ndarray:
    """Where a matcher *should* look, to compare sensitivity maps with (our reference, not the paper's).

    - Raman-IR: the peaks both modalities share, averaged over the test molecules: for each molecule,
      min(Raman, IR) of its computed line list broadened with 16 cm⁻¹ Lorentzians on the matching grid,
      each modality scaled to its strongest line (L,);
    - image tasks: the garment, i.e. the fraction of probes whose pixel is brighter than 0.1 (H, W).
    """
    from modgap.data import load_linelists
    from modgap.data.spectra import lorentzian_spectrum
    from modgap.matching.tasks import MATCH_GRID

    if task.dim == 2:
        return (task.probe[:, 0].numpy() > 0.1).mean(0)
    lines = load_linelists()[0]
    names = sorted(lines)  # identity order
    ids = np.unique(task.probe_ids)
    shared = np.zeros(len(MATCH_GRID))
    for i in ids:
        L = lines[names[i]]
        raman = lorentzian_spectrum(L.wavenumbers, L.raman / L.raman.max(), MATCH_GRID, 16)
        ir = lorentzian_spectrum(L.wavenumbers, L.ir / L.ir.max(), MATCH_GRID, 16)
        shared += np.minimum(raman, ir)
    return shared / len(ids)


#: which side of a match is occluded: the probes (modality a), the gallery (b) or both
SIDES = ("probe", "gallery", "both")


def occluded_scores(model, T, fractions, kind: str, seed: int = 0, side: str = "probe",
                    clean: tuple[np.ndarray, np.ndarray] | None = None) -> list[dict[str, np.ndarray]]:
    """Per fraction f, ``per_query_scores`` of ``model`` (a ``Matcher``) on task ``T`` — each probe's rank-1 hit
    and average precision — with ``side`` occluded by ``kind`` at f: the probes (occluders drawn from ``seed``),
    the gallery (from ``seed + 100``) or both; the other side whole. At f = 0 nothing is occluded. ``clean``:
    E's features of the whole probes and gallery when the caller has them (they are not computed again)."""
    from modgap.data.occluders import occlude
    from modgap.metrics.identification import per_query_scores

    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")
    whole = {"a": None, "b": None} if clean is None else dict(zip("ab", clean))

    def features(x, modality, f, occluded, shift):
        if f > 0 and occluded:
            return model.embed_all(occlude(x, f, kind, seed=seed + shift)[0], modality)
        if whole[modality] is None:  # the whole side, embedded once
            whole[modality] = model.embed_all(x, modality)
        return whole[modality]

    return [per_query_scores(features(T.probe, "a", f, side in ("probe", "both"), 0),
                             features(T.gallery, "b", f, side in ("gallery", "both"), 100), T.probe_ids, T.gallery_ids)
            for f in fractions]


def matcher_gap_robustness_correlation(models, gap: str = "feature_domain_acc", robust: str = "robustness",
                                       n_boot: int = 1000, seed: int = 0):
    """Spearman ρ between each trained matcher's gap and its robustness (columns ``gap`` and ``robust`` of
    ``models``, a table with one row per ``task``, ``method`` and ``seed``), with an interval whose top level is
    the seeds — a seed brings all its models, which share its data — and whose lower level is the
    (task, method) cells, resampled within (``modgap.metrics.uncertainty.bootstrap_statistic``). ``None`` with
    fewer than 3 models. A constant column has no rank correlation: 0 on such a draw."""
    from scipy.stats import spearmanr

    from modgap.metrics.uncertainty import bootstrap_statistic

    if len(models) < 3:
        return None
    cells = models[["task", "method"]].drop_duplicates().reset_index(drop=True)
    grid = models.pivot_table(index="seed", columns=["task", "method"], values=[gap, robust])
    columns = list(map(tuple, cells.to_numpy()))
    g, r = grid[gap][columns].to_numpy(), grid[robust][columns].to_numpy()  # (seeds, cells)

    def rho(s, q):
        x, y = g[s][:, q].ravel(), r[s][:, q].ravel()
        return spearmanr(x, y)[0] if np.ptp(x) and np.ptp(y) else 0.0

    return bootstrap_statistic(rho, len(g), len(cells), n_boot, seed=seed).clipped(-1.0, 1.0)  # a correlation lies in [-1, 1]
