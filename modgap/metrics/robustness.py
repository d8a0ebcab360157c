"""Robustness to occlusion as one number per model (notebooks 04 and 08).

A model's score s(f) (rank-1, R@1, V-Measure) is measured at occluded fractions f_0 = 0 < f_1 < … < f_K:

    AUC = (1 / (f_K − f_0)) ∫ s(f) df          (trapezoid; the mean score over the occlusion range)
    drop at 30% = (s(0) − s(0.3)) / s(0)

**Robustness** means one thing in this collection: the share of its clean score a model keeps over the occlusion
range, AUC / s(0) (``share_kept``: 04's indicator, 08's towers and matchers). The AUC itself is "the score under
occlusion" (04's MarrNet-against-baseline claims compare it, ids ``c4.better-under-occlusion.*``), not
robustness: a model poor to begin with can keep all of its little.
"""
from __future__ import annotations

import numpy as np


def share_kept(auc, clean):
    """Robustness: the share of the clean score kept over the occlusion range, AUC / s(0); 0 where the clean score
    is 0 (nothing to keep). Scalars, arrays or pandas Series, elementwise."""
    auc, clean = np.asarray(auc, dtype=float), np.asarray(clean, dtype=float)
    out = np.divide(auc, clean, out=np.zeros(np.broadcast(auc, clean).shape), where=clean > 0)
    return float(out) if out.ndim == 0 else out


def robustness_summary(fractions, scores) -> dict:
    """``{"auc", "drop_at_30"}`` of one score curve (fractions in any order): ``occlusion_auc`` over the range, and
    the relative drop at 30% occlusion (interpolated)."""
    fractions, scores = np.asarray(fractions, float), np.asarray(scores, float)
    order = np.argsort(fractions)
    fractions, scores = fractions[order], scores[order]
    auc = float(occlusion_auc(fractions, scores))
    at30 = float(np.interp(0.3, fractions, scores))
    drop = float((scores[0] - at30) / scores[0]) if scores[0] > 0 else float("nan")
    return {"auc": auc, "drop_at_30": drop}


def occlusion_auc(fractions, scores, axis: int = 0) -> np.ndarray:
    """The mean of ``scores`` over the occlusion range along ``axis`` (the trapezoid rule over ``fractions``);
    per query when ``scores`` is (fractions, queries)."""
    f = np.asarray(fractions, float)
    s = np.asarray(scores, float)
    if s.shape[axis] != len(f):
        raise ValueError(f"{len(f)} fractions but scores have {s.shape[axis]} along axis {axis}")
    if len(f) < 2 or np.ptp(f) == 0:
        return np.take(s, 0, axis=axis)
    if np.any(np.diff(f) <= 0):
        raise ValueError(f"fractions must increase, got {list(f)}")
    return np.trapezoid(s, f, axis=axis) / (f[-1] - f[0])
