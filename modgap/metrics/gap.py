"""How far apart are two modalities? Three measures, usable in raw sample space or on embeddings.

- **centroid gap** (Liang et al. 2022): ``‖ mean_i x̂_i − mean_j ŷ_j ‖₂`` with ``x̂ = x/‖x‖``;
  0 when the modalities share a centre, at most 2.
- **domain-classifier accuracy**: cross-validated accuracy of a logistic regression (C = 0.1) that predicts
  the modality of a sample, on at most ``max_samples`` rows of each modality drawn at random; 0.5 (chance,
  balanced classes) means indistinguishable. Paired rows (or rows sharing an identity) stay in one fold.
- **MMD²** with an RBF kernel (Gretton et al. 2012), unbiased estimate
  ``MMD² = E k(x,x') + E k(y,y') − 2 E k(x,y)``, bandwidth by the median heuristic.
"""
from __future__ import annotations

import numpy as np

from modgap.metrics.normalize import l2_normalize


def _as_2d(x, name: str) -> np.ndarray:
    x = np.asarray(x, np.float64)
    x = x.reshape(len(x), -1)
    if len(x) < 2:
        raise ValueError(f"{name} needs at least 2 samples, got {len(x)}")
    return x


def _check_pair(x, y):
    x, y = _as_2d(x, "x"), _as_2d(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same feature size, got {x.shape[1]} and {y.shape[1]}")
    return x, y


def _weighted_means(v, weights):
    """Means of the rows of v (N, …) under each row of ``weights`` (B, N) (counts of a bootstrap draw, 0/1 of a
    subset): (B, …)."""
    w = np.asarray(weights, dtype=float)
    return w @ v / w.sum(1).reshape((-1,) + (1,) * (np.ndim(v) - 1))


def centroid_gap(x, y, normalize: bool = True, weights=None):
    """``‖mean(x̂) − mean(ŷ)‖`` over L2-normalised rows (raw rows with ``normalize=False``). With ``weights``
    (B, N) over the pairs (bootstrap counts: the audit), the gap under each weighting, an array (B,)."""
    x, y = _check_pair(x, y)
    if normalize:
        x, y = l2_normalize(x), l2_normalize(y)
    if weights is not None:
        return np.linalg.norm(_weighted_means(x, weights) - _weighted_means(y, weights), axis=1)
    return float(np.linalg.norm(x.mean(0) - y.mean(0)))


def mean_pairwise_cosine(z, weights=None):
    """The cone of one modality: the mean of cos(z_i, z_j) over the n(n − 1) ordered pairs i ≠ j of the rows of z
    (N, D), in O(N·D):

        (‖Σ_i ẑ_i‖² − n) / (n(n − 1)),    ẑ = z / ‖z‖

    (the sum of every cosine, diagonal included, is ‖Σ ẑ‖²; the diagonal adds n). A row given twice (a bootstrap
    draw) is two rows, and their cosine 1 counts. With ``weights`` (B, N) of row counts c summing to m, per
    weighting (an array (B,)): (‖Σ_i c_i ẑ_i‖² − m) / (m(m − 1))."""
    z = l2_normalize(np.asarray(z, np.float64).reshape(len(z), -1))
    if weights is not None:
        c = np.asarray(weights, dtype=float)
        s, m = c @ z, c.sum(1)
        return ((s * s).sum(1) - m) / (m * (m - 1))
    n = len(z)
    if n < 2:
        raise ValueError("need at least 2 vectors")
    s = z.sum(0)
    return float((s @ s - n) / (n * (n - 1)))


def _domain_cv(x, y, seed: int, folds: int, max_samples: int, groups=None, paired: bool = False):
    """The shared set-up of the domain classifier: n = min(len(x), len(y), max_samples) rows drawn from each
    modality without replacement (balanced, so chance is exactly 0.5; ``ix``, ``iy`` say which), the model
    (standardise, then an L2-regularised logistic regression with C = 0.1, a fixed strong-ish penalty so that
    a high-dimensional embedding with few samples is not separated by overfitting alone) and the stratified
    shuffled folds.

    **Paired data need grouped folds.** When row i of x and row i of y are a pair (``paired``), or rows share an
    identity (``groups = (groups of x's rows, groups of y's rows)``), a fold that trains on x_i and tests on its
    partner y_i learns "x_i's place is modality 0" and calls y_i — close to x_i when the gap is closed — modality 0:
    the accuracy falls *below* chance (the same embeddings given twice read 0.21). Grouped folds keep a pair, or an
    identity, in one fold (``StratifiedGroupKFold``), so identical inputs read 0.5 up to noise."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = _check_pair(x, y)
    if paired:
        if len(x) != len(y):
            raise ValueError(f"paired rows need as many x as y, got {len(x)} and {len(y)}")
        groups = (np.arange(len(x)), np.arange(len(y)))
    rng = np.random.default_rng(seed)
    n = min(len(x), len(y), max_samples)
    ix, iy = rng.choice(len(x), n, replace=False), rng.choice(len(y), n, replace=False)
    X, d = np.concatenate([x[ix], y[iy]]), np.r_[np.zeros(n), np.ones(n)]
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    if groups is None:
        return X, d, clf, StratifiedKFold(n_splits=min(folds, n), shuffle=True, random_state=seed), None, ix, iy
    gx, gy = (np.asarray(g) for g in groups)
    if len(gx) != len(x) or len(gy) != len(y):
        raise ValueError(f"groups must label every row: {len(gx)} for {len(x)} rows of x, {len(gy)} for {len(y)} of y")
    g = np.concatenate([gx[ix], gy[iy]])
    k = min(folds, len(np.unique(g)))
    return X, d, clf, StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed), g, ix, iy


def domain_classifier_accuracy(x, y, seed: int = 0, folds: int = 5, max_samples: int = 2000, groups=None,
                               paired: bool = False) -> float:
    """Mean stratified k-fold accuracy of a standardised logistic regression telling x from y (the set-up of
    ``_domain_cv``: at most ``max_samples`` rows of each modality, C = 0.1; grouped folds for paired rows or rows
    that share an identity)."""
    from sklearn.model_selection import cross_val_score

    from modgap.device import one_thread

    X, d, clf, cv, g, _, _ = _domain_cv(x, y, seed, folds, max_samples, groups, paired)
    with one_thread():  # ~3× faster next to torch on a small CPU (modgap.device.one_thread)
        return float(cross_val_score(clf, X, d, cv=cv, groups=g).mean())


def domain_classifier_correct(x, y, seed: int = 0, folds: int = 5, max_samples: int = 2000,
                              return_index: bool = False, groups=None, paired: bool = False):
    """(2n,) 1 where the cross-validated domain classifier of ``domain_classifier_accuracy`` (same samples,
    folds and model) predicts a held-out sample's modality correctly: the per-sample units of its accuracy.
    The first n are rows ``ix`` of x, the next n rows ``iy`` of y; ``return_index`` returns ``(correct, ix, iy)``."""
    from sklearn.model_selection import cross_val_predict

    from modgap.device import one_thread

    X, d, clf, cv, g, ix, iy = _domain_cv(x, y, seed, folds, max_samples, groups, paired)
    with one_thread():
        correct = (cross_val_predict(clf, X, d, cv=cv, groups=g) == d).astype(np.float64)
    return (correct, ix, iy) if return_index else correct


def median_bandwidth(x, y) -> float:
    """Median pairwise Euclidean distance of the pooled samples (the median heuristic)."""
    from scipy.spatial.distance import pdist

    z = np.concatenate(_check_pair(x, y))
    return float(np.median(pdist(z)))


def mmd_rbf(x, y, bandwidth: float | None = None, max_samples: int = 1000, seed: int = 0) -> float:
    """Unbiased MMD² with ``k(a,b) = exp(−‖a−b‖² / (2σ²))``; σ from the median heuristic if None."""
    from scipy.spatial.distance import cdist

    x, y = _check_pair(x, y)
    rng = np.random.default_rng(seed)
    if len(x) > max_samples:
        x = x[rng.choice(len(x), max_samples, replace=False)]
    if len(y) > max_samples:
        y = y[rng.choice(len(y), max_samples, replace=False)]
    s = median_bandwidth(x, y) if bandwidth is None else float(bandwidth)
    if s <= 0:
        raise ValueError(f"bandwidth must be positive, got {s}")

    def k(a, b):
        return np.exp(-cdist(a, b, "sqeuclidean") / (2 * s * s))

    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    m, n = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
                 - 2 * kxy.mean())


def gap_report(x, y, seed: int = 0) -> dict:
    """All three measures in one dict: ``centroid_gap``, ``domain_acc``, ``mmd2``."""
    return {"centroid_gap": centroid_gap(x, y), "domain_acc": domain_classifier_accuracy(x, y, seed=seed),
            "mmd2": mmd_rbf(x, y, seed=seed)}
