"""Group-level structure: do both modalities of a class land in one cluster?

KMeans with k = number of classes on the *stacked* L2-normalised embeddings of both modalities,
scored against the class labels (repeated for both modalities) with V-Measure, ARI and NMI
(scikit-learn). With a large modality gap KMeans spends clusters on the modality, and the scores drop.
"""
from __future__ import annotations

import numpy as np

from modgap.metrics.normalize import l2_normalize


def cluster_assignments(x, y, k: int, seed: int = 0, n_init: int = 10) -> np.ndarray:
    """(2N,) KMeans cluster of every row of ``vstack(x̂, ŷ)``: the first N are x's rows, the next N y's.

    KMeans runs on one thread (``modgap.device.one_thread``): next to torch's spinning OpenMP threads on busy
    cores, two threads made it 10–40× slower. The clusters are the same."""
    from sklearn.cluster import KMeans

    from modgap.device import one_thread

    z = l2_normalize(np.concatenate([np.asarray(x, np.float64), np.asarray(y, np.float64)]))
    with one_thread():
        return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(z)


def cluster_scores(x, y, labels, seed: int = 0, n_init: int = 10) -> dict:
    """``{"v_measure", "ari", "nmi"}`` of KMeans on ``vstack(x̂, ŷ)`` against ``labels`` (N,) for both."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, v_measure_score

    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    labels = np.asarray(labels)
    if not (len(x) == len(y) == len(labels)):
        raise ValueError(f"x, y and labels must have the same length, got {len(x)}, {len(y)}, {len(labels)}")
    truth = np.concatenate([labels, labels])
    pred = cluster_assignments(x, y, len(np.unique(labels)), seed, n_init)
    return {"v_measure": float(v_measure_score(truth, pred)), "ari": float(adjusted_rand_score(truth, pred)),
            "nmi": float(normalized_mutual_info_score(truth, pred))}


def v_measure(truth, clusters) -> float:
    """V-Measure (β = 1) of ``clusters`` against ``truth``, both (N,) non-negative integers: the harmonic mean
    of homogeneity 1 − H(C|K)/H(C) and completeness 1 − H(K|C)/H(K), as ``sklearn.metrics.v_measure_score``
    computes it (tested equal) at a fraction of its per-call cost — the bootstraps call it many thousand times."""
    truth, clusters = np.asarray(truth), np.asarray(clusters)
    if truth.shape != clusters.shape or truth.ndim != 1:
        raise ValueError(f"truth and clusters must be (N,) each, got {truth.shape} and {clusters.shape}")
    n = len(truth)
    k = int(clusters.max()) + 1
    joint = np.bincount(truth * k + clusters, minlength=(int(truth.max()) + 1) * k).reshape(-1, k) / n  # p(c, k)
    pc, pk = joint.sum(1), joint.sum(0)

    def h(p):
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    h_c, h_k, h_ck = h(pc), h(pk), h(joint.ravel())
    if h_c == 0 or h_k == 0:  # one class or one cluster: sklearn's conventions
        homogeneity = 1.0 if h_c == 0 else 1.0 - (h_ck - h_k) / h_c
        completeness = 1.0 if h_k == 0 else 1.0 - (h_ck - h_c) / h_k
    else:
        homogeneity, completeness = 1.0 - (h_ck - h_k) / h_c, 1.0 - (h_ck - h_c) / h_k
    s = homogeneity + completeness
    return 2 * homogeneity * completeness / s if s > 0 else 0.0
