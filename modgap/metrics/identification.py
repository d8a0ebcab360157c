"""Identification and verification scores for cross-modal matching (probes of modality A vs a gallery of B).

- **CMC** (cumulative match characteristic): CMC(k) = fraction of probes whose first correct gallery
  item is within the top k; rank-1 = CMC(1).
- **mAP**: mean over probes of the average precision of the gallery ranking (all gallery items of the
  probe's identity are relevant), equal to ``sklearn.metrics.average_precision_score`` when scores have no ties.
- **ROC / TAR@FAR**: every probe–gallery pair is genuine (same identity) or impostor; TAR at a
  false-accept rate is read off the ROC curve (``sklearn.metrics.roc_curve``).
"""
from __future__ import annotations

import numpy as np

from modgap.metrics.normalize import l2_normalize


def similarity(probe, gallery) -> np.ndarray:
    """Cosine similarity matrix (P, G)."""
    p = np.asarray(probe, np.float64)
    g = np.asarray(gallery, np.float64)
    p = p.reshape(len(p), -1)
    g = g.reshape(len(g), -1)
    if p.shape[1] != g.shape[1]:
        raise ValueError(f"probe and gallery features differ in size: {p.shape[1]} vs {g.shape[1]}")
    return l2_normalize(p) @ l2_normalize(g).T


def _check(sim, probe_ids, gallery_ids):
    sim = np.asarray(sim)
    probe_ids, gallery_ids = np.asarray(probe_ids), np.asarray(gallery_ids)
    if sim.shape != (len(probe_ids), len(gallery_ids)):
        raise ValueError(f"similarity is {sim.shape}, expected ({len(probe_ids)}, {len(gallery_ids)})")
    missing = ~np.isin(probe_ids, gallery_ids)
    if missing.any():
        raise ValueError(f"{missing.sum()} probe(s) have no gallery item of their identity (e.g. {probe_ids[missing][0]!r})")
    return sim, probe_ids, gallery_ids


def first_match_ranks(sim, probe_ids, gallery_ids) -> np.ndarray:
    """(P,) rank of each probe's first correct gallery item, 1 = top (ties broken pessimistically)."""
    sim, probe_ids, gallery_ids = _check(sim, probe_ids, gallery_ids)
    match = probe_ids[:, None] == gallery_ids[None, :]
    best_true = np.where(match, sim, -np.inf).max(1)  # score of the best correct item
    return (np.where(~match, sim, -np.inf) >= best_true[:, None]).sum(1) + 1  # its rank


def cmc(sim, probe_ids, gallery_ids, max_rank: int = 20) -> np.ndarray:
    """CMC curve for ranks 1..max_rank (ties broken pessimistically)."""
    first = first_match_ranks(sim, probe_ids, gallery_ids)
    return np.array([(first <= k).mean() for k in range(1, max_rank + 1)])


def mean_average_precision(sim, probe_ids, gallery_ids) -> float:
    """Mean over probes of AP = (1/R) Σ_k P@k · rel_k over the gallery sorted by similarity.

    Vectorised; equals ``sklearn.metrics.average_precision_score`` per probe when scores have no ties
    (checked in the tests), and is ~100× faster on a 400 × 400 gallery.
    """
    return float(np.mean(average_precisions(sim, probe_ids, gallery_ids)))


def average_precisions(sim, probe_ids, gallery_ids) -> np.ndarray:
    """(P,) average precision of each probe's gallery ranking; their mean is the mAP."""
    sim, probe_ids, gallery_ids = _check(sim, probe_ids, gallery_ids)
    order = np.argsort(-sim, axis=1, kind="stable")
    rel = (gallery_ids[order] == probe_ids[:, None]).astype(np.float64)  # (P, G), sorted by score
    precision_at_k = np.cumsum(rel, axis=1) / np.arange(1, rel.shape[1] + 1)
    return (precision_at_k * rel).sum(1) / rel.sum(1)


def tar_at_far(sim, probe_ids, gallery_ids, fars=(1e-2, 1e-3)) -> dict:
    """TAR at each FAR from the ROC of all probe–gallery pairs; also returns ``roc_auc``."""
    from sklearn.metrics import roc_auc_score, roc_curve

    sim, probe_ids, gallery_ids = _check(sim, probe_ids, gallery_ids)
    genuine = (probe_ids[:, None] == gallery_ids[None, :]).ravel()
    fpr, tpr, _ = roc_curve(genuine, sim.ravel())
    out = {f"TAR@FAR={f:g}": float(np.interp(f, fpr, tpr)) for f in fars}
    out["roc_auc"] = float(roc_auc_score(genuine, sim.ravel()))
    return out


def per_query_scores(probe, gallery, probe_ids, gallery_ids) -> dict:
    """Per-probe scores from features, the units a bootstrap resamples: ``rank1`` (1 if the first gallery item
    is a true match, else 0) and ``AP`` (average precision); their means are rank-1 and mAP."""
    sim = similarity(probe, gallery)
    return {"rank1": (first_match_ranks(sim, probe_ids, gallery_ids) == 1).astype(np.float64),
            "AP": average_precisions(sim, probe_ids, gallery_ids)}


def matching_report(probe, gallery, probe_ids, gallery_ids) -> dict:
    """rank-1/5/10, mAP, TAR@FAR=1e-2/1e-3 and ROC AUC from features."""
    sim = similarity(probe, gallery)
    curve = cmc(sim, probe_ids, gallery_ids, max_rank=10)
    return {"rank1": float(curve[0]), "rank5": float(curve[4]), "rank10": float(curve[9]),
            "mAP": mean_average_precision(sim, probe_ids, gallery_ids), **tar_at_far(sim, probe_ids, gallery_ids)}
