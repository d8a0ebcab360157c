import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import v_measure_score

from modgap.metrics import cluster_scores, recall_at_k, true_pair_cosine


def test_recall_on_known_input():
    x = np.eye(4)
    y = np.array([[1, 0, 0, 0], [0, 0.6, 0.8, 0], [0, 0.8, 0.6, 0], [0, 0, 0, 1.0]])
    r = recall_at_k(x, y, ks=(1, 2))
    # x→y: rows 0 and 3 rank their match first; x1 prefers y2, x2 prefers y1 (each true match second)
    assert r["R@1 x→y"] == 0.5 and r["R@2 x→y"] == 1.0
    assert r["R@1 y→x"] == 0.5 and r["R@2 y→x"] == 1.0
    assert recall_at_k(x, x)["R@1 x→y"] == 1.0


def test_ties_count_at_their_expected_rank_and_random_is_near_chance(rng):
    # five identical rows: the true match is one of 5 indistinguishable candidates, so P(rank 1) = 1/5 and
    # P(rank <= 2) = 2/5 (random tie-breaking), and its expected rank is 3
    same = np.ones((5, 3))
    r = recall_at_k(same, same, ks=(1, 2, 5))
    assert r["R@1 x→y"] == pytest.approx(0.2) and r["R@2 x→y"] == pytest.approx(0.4) and r["R@5 x→y"] == 1.0
    from modgap.metrics.retrieval import true_match_ranks

    assert true_match_ranks(same, same)["y→x"] == pytest.approx(np.full(5, 3.0))
    x, y = rng.normal(size=(400, 16)), rng.normal(size=(400, 16))
    assert recall_at_k(x, y, ks=(10,))["R@10 x→y"] == pytest.approx(10 / 400, abs=0.03)


def test_duplicate_captions_equal_a_simulation_of_random_tie_breaking(rng):
    # 12 images, captions from 4 templates (11 captions, bit-identical copies) plus one unique one: an image's
    # own caption ties with its copies. The closed form must equal the average over many random tie-breaks
    # of an ordinary sort
    from modgap.metrics.retrieval import hits_at_k

    x = rng.normal(size=(12, 8))
    templates = rng.normal(size=(4, 8))
    y = np.concatenate([templates[np.arange(11) % 4], rng.normal(size=(1, 8))])
    y = y + 0.4 * x * (np.arange(12) == 11)[:, None]  # only the last pair is really aligned
    s = (x / np.linalg.norm(x, axis=1, keepdims=True)) @ (y / np.linalg.norm(y, axis=1, keepdims=True)).T
    sims = []
    for _ in range(4000):
        jitter = rng.permutation(12)  # random order among equal scores
        order = np.lexsort((jitter[None].repeat(12, 0), -np.round(s, 12)), axis=1)
        sims.append((order[:, :1] == np.arange(12)[:, None]).any(1))
    want = np.mean(sims, 0)
    got = hits_at_k(x, y, 1)["x→y"]  # rows of s: images querying captions
    assert got == pytest.approx(want, abs=0.03)
    assert ((got > 0) & (got < 1)).any()  # the case really has ties that are neither won nor lost


def test_true_pair_cosine():
    assert true_pair_cosine(np.eye(3), np.eye(3)) == pytest.approx(1.0)
    assert true_pair_cosine(np.eye(3), -np.eye(3)) == pytest.approx(-1.0)


def test_cluster_scores_are_perfect_for_separated_classes_and_zero_when_kmeans_splits_by_modality(rng):
    labels = np.repeat(np.arange(3), 30)
    centres = np.eye(8)[:3] * 3
    x = centres[labels] + 0.3 * rng.normal(size=(90, 8))
    y = centres[labels] + 0.3 * rng.normal(size=(90, 8))
    s = cluster_scores(x, y, labels, seed=0)
    # three tight, well-separated classes shared by both modalities: any correct clustering scores 1
    assert s == pytest.approx({"v_measure": 1.0, "ari": 1.0, "nmi": 1.0})
    # two classes close together, the modalities far apart: KMeans (k = 2) clusters by modality, which
    # says nothing about the class (each cluster holds both classes equally): every score is 0
    two = np.repeat(np.arange(2), 40)
    offset = 20 * np.eye(8)[5]
    xs = np.eye(8)[two] * 0.5 + 0.05 * rng.normal(size=(80, 8)) + offset
    ys = np.eye(8)[two] * 0.5 + 0.05 * rng.normal(size=(80, 8)) - offset + 40 * np.eye(8)[6]
    gapped = cluster_scores(xs, ys, two, seed=0)
    assert gapped["v_measure"] == pytest.approx(0.0, abs=1e-9) and gapped["ari"] == pytest.approx(0.0, abs=1e-2)


def test_true_match_ranks_agree_with_recall_at_k(rng):
    from modgap.metrics.retrieval import true_match_ranks

    x, y = rng.normal(size=(50, 6)), rng.normal(size=(50, 6))
    ranks, r = true_match_ranks(x, y), recall_at_k(x, y)
    for k in (1, 5, 10):  # no ties in continuous data: an integer rank, and R@K is the share within K
        assert (ranks["x→y"] <= k).mean() == r[f"R@{k} x→y"] and (ranks["y→x"] <= k).mean() == r[f"R@{k} y→x"]
    assert (ranks["x→y"] == np.round(ranks["x→y"])).all()
    assert (true_match_ranks(x, x)["x→y"] == 1).all()


def test_fast_v_measure_equals_scikit_learns_including_the_degenerate_cases():

    from modgap.metrics.clustering import v_measure

    rng = np.random.default_rng(0)
    for n, n_classes, n_clusters in [(2000, 10, 10), (50, 3, 7), (10, 1, 3), (10, 3, 1), (10, 1, 1), (30, 5, 5)]:
        truth, clusters = rng.integers(0, n_classes, n), rng.integers(0, n_clusters, n)
        assert v_measure(truth, clusters) == pytest.approx(v_measure_score(truth, clusters), abs=1e-12)
    truth = rng.integers(0, 10, 200)
    assert v_measure(truth, (truth + 3) % 10) == pytest.approx(1.0)  # a relabelling is a perfect clustering
    with pytest.raises(ValueError, match="must be"):
        v_measure(truth, truth[:5])


def test_cluster_assignments_on_one_thread_match_kmeans_on_all_threads():
    """cluster_assignments pins KMeans to one thread for speed; the clusters must be those of plain KMeans."""
    from threadpoolctl import threadpool_info

    from modgap.device import one_thread
    from modgap.metrics.clustering import cluster_assignments
    from modgap.metrics.normalize import l2_normalize

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(6, 16))
    x = centres[rng.integers(0, 6, 300)] + 0.6 * rng.normal(size=(300, 16))
    y = centres[rng.integers(0, 6, 300)] + 0.6 * rng.normal(size=(300, 16))
    z = l2_normalize(np.concatenate([x, y]))
    assert np.array_equal(cluster_assignments(x, y, 6, seed=1), KMeans(6, n_init=10, random_state=1).fit_predict(z))
    with one_thread():
        assert all(p["num_threads"] == 1 for p in threadpool_info())


def test_mixed_modality_search_on_hand_made_indexes():
    """One index of both modalities: a query's partner, its nDCG@10 and the share of its own modality on top."""
    import numpy as np

    from modgap.metrics.mixed_search import mixed_outcomes, mixed_search, per_pair

    # no gap: each caption equals its image, so every partner is first (a tie of one) and the top 1 is the other side
    x = np.eye(4)
    out = mixed_outcomes(x, x, k=1)
    assert np.allclose(out["partner@1"], 1) and np.allclose(out["nDCG@1"], 1) and np.allclose(out["own-modality share@1"], 0)
    # a gap: every image near e0, every caption near e1 — each query's nearest items are its own modality
    rng = np.random.default_rng(0)
    xs = np.c_[np.ones(6), np.zeros(6), 0.1 * rng.normal(size=(6, 4))]
    ys = np.c_[np.zeros(6), np.ones(6), 0.1 * rng.normal(size=(6, 4))]
    m = mixed_search(xs, ys, k=5)
    assert m["partner@1"] == 0 and m["own-modality share@5"] == 1.0 and m["nDCG@5"] == 0.0
    # the rank of a partner in second place: nDCG = 1 / log2(3)
    a = np.array([[1.0, 0.0], [0.0, 1.0]])
    b = np.array([[0.6, 0.8], [0.8, 0.6]])  # x0's nearest is y1 (0.8), then y0 (0.6)
    assert np.isclose(mixed_outcomes(a, b, k=3)["nDCG@3"][0], 1 / np.log2(3))
    assert per_pair({"v": np.array([1.0, 0.0, 0.0, 1.0])})["v"].tolist() == [0.5, 0.5]
