import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from modgap.metrics.identification import cmc, matching_report, mean_average_precision, similarity, tar_at_far


def _brute_force_rank(sim, pid, gid):
    ranks = []
    for s, p in zip(sim, pid):
        order = np.argsort(-s, kind="stable")
        ranks.append(1 + next(i for i, j in enumerate(order) if gid[j] == p))
    return np.array(ranks)


def test_cmc_matches_brute_force(rng):
    sim = rng.normal(size=(30, 12))
    pid = rng.integers(0, 6, 30)
    gid = np.repeat(np.arange(6), 2)
    ranks = _brute_force_rank(sim, pid, gid)
    curve = cmc(sim, pid, gid, max_rank=12)
    np.testing.assert_allclose(curve, [(ranks <= k).mean() for k in range(1, 13)])
    assert curve[-1] == 1.0 and np.all(np.diff(curve) >= 0)


def test_map_matches_sklearn_and_known_values(rng):
    sim = rng.normal(size=(8, 10))
    pid = rng.integers(0, 5, 8)
    gid = np.arange(10) % 5
    expected = np.mean([average_precision_score(gid == p, s) for s, p in zip(sim, pid)])
    assert mean_average_precision(sim, pid, gid) == pytest.approx(expected)
    # one probe, relevant items ranked 1st and 3rd: AP = (1/1 + 2/3)/2
    assert mean_average_precision(np.array([[0.9, 0.5, 0.4]]), [1], [1, 0, 1]) == pytest.approx((1 + 2 / 3) / 2)


def test_tar_at_far_and_auc_against_values_worked_by_hand():
    # genuine scores (the diagonal): 0.9, 0.8, 0.5; impostor scores: 0.7, 0.6, 0.3, 0.2, 0.1, 0.1
    sim = np.array([[0.9, 0.2, 0.1], [0.3, 0.8, 0.7], [0.6, 0.1, 0.5]])
    pid = gid = np.array([0, 1, 2])
    out = tar_at_far(sim, pid, gid, fars=(0.1, 0.25, 0.5))
    # any threshold above 0.6 accepts at most 1 of 6 impostors (FAR 1/6 <= 0.25) and 2 of 3 genuine pairs;
    # a threshold of 0.3 accepts 3 of 6 impostors (FAR 0.5) and every genuine pair
    assert out["TAR@FAR=0.1"] == pytest.approx(2 / 3)
    assert out["TAR@FAR=0.25"] == pytest.approx(2 / 3)
    assert out["TAR@FAR=0.5"] == pytest.approx(1.0)
    # AUC = P(genuine > impostor): 0.9 and 0.8 beat all 6 impostors, 0.5 beats 4 of them
    assert out["roc_auc"] == pytest.approx((6 + 6 + 4) / 18)


def test_perfect_features_and_errors():
    f = np.eye(5)
    r = matching_report(f, f, np.arange(5), np.arange(5))
    assert r["rank1"] == r["mAP"] == r["roc_auc"] == 1.0
    with pytest.raises(ValueError, match="no gallery item"):
        cmc(np.zeros((2, 2)), [0, 7], [0, 1])
    with pytest.raises(ValueError, match="differ in size"):
        similarity(np.zeros((2, 3)), np.zeros((2, 4)))
