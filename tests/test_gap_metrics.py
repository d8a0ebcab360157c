import numpy as np
import pytest

from modgap.metrics.gap import centroid_gap, domain_classifier_accuracy, median_bandwidth, mmd_rbf


def test_centroid_gap_against_direct_computation(rng):
    x, y = rng.normal(size=(50, 8)), rng.normal(size=(40, 8)) + 1
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=1, keepdims=True)
    assert centroid_gap(x, y) == pytest.approx(np.linalg.norm(xn.mean(0) - yn.mean(0)))
    assert centroid_gap(x, x) == 0.0
    # opposite unit vectors: the largest possible gap
    e = np.eye(3)[:1].repeat(4, 0)
    assert centroid_gap(e, -e) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="same feature size"):
        centroid_gap(x, y[:, :3])


def test_mmd_matches_a_double_loop(rng):
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(6, 3)) + 0.5
    s = 1.3
    k = lambda a, b: np.exp(-np.sum((a - b) ** 2) / (2 * s * s))  # noqa: E731
    kxx = sum(k(x[i], x[j]) for i in range(7) for j in range(7) if i != j) / (7 * 6)
    kyy = sum(k(y[i], y[j]) for i in range(6) for j in range(6) if i != j) / (6 * 5)
    kxy = sum(k(a, b) for a in x for b in y) / 42
    assert mmd_rbf(x, y, bandwidth=s) == pytest.approx(kxx + kyy - 2 * kxy)
    # the median heuristic by hand: points 0, 1 (x) and 3, 7 (y) on a line are 1, 3, 7, 2, 6, 4 apart: median 3.5
    assert median_bandwidth(np.array([[0.0], [1.0]]), np.array([[3.0], [7.0]])) == pytest.approx(3.5)


def test_gap_measures_separate_shifted_from_identical(rng):
    a = rng.normal(size=(300, 5))
    b = rng.normal(size=(300, 5))
    shifted = rng.normal(size=(300, 5)) + 2
    assert abs(mmd_rbf(a, b)) < 0.02 < mmd_rbf(a, shifted)
    assert domain_classifier_accuracy(a, b) < 0.62
    assert domain_classifier_accuracy(a, shifted) > 0.95


def test_domain_classifier_correct_averages_to_the_accuracy(rng):
    from modgap.metrics.gap import domain_classifier_correct

    x, y = rng.normal(size=(100, 4)), rng.normal(size=(100, 4)) + 0.7
    correct = domain_classifier_correct(x, y, seed=0)
    assert correct.shape == (200,) and set(np.unique(correct)) <= {0.0, 1.0}
    assert correct.mean() == pytest.approx(domain_classifier_accuracy(x, y, seed=0))  # equal folds of 40


def test_paired_rows_stay_in_one_fold_so_identical_inputs_read_chance():
    """A fold that trains on x_i and tests on its partner y_i reads a closed gap as *below* chance; grouped folds
    (a pair, or an identity, in one fold) read identical inputs as 0.5 up to noise."""
    import numpy as np

    from modgap.metrics.gap import domain_classifier_accuracy, domain_classifier_correct

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 32))
    near = x + 0.05 * rng.normal(size=x.shape)
    assert domain_classifier_accuracy(x, near) < 0.4  # the bias of folds that split pairs
    for y in (x, near):
        assert abs(domain_classifier_accuracy(x, y, paired=True) - 0.5) < 0.06
    ids = np.repeat(np.arange(100), 4)  # four samples per identity in each modality, rows not aligned
    perm = rng.permutation(400)
    assert abs(domain_classifier_accuracy(x, near[perm], groups=(ids, ids[perm])) - 0.5) < 0.06
    far = rng.normal(size=(400, 32)) + 0.5  # a real gap is still found
    assert domain_classifier_accuracy(x, far, paired=True) > 0.8
    assert len(domain_classifier_correct(x, x, paired=True)) == 800


def test_the_audit_reads_the_same_file_given_twice_as_inseparable(tmp_path):
    import numpy as np

    from modgap.audit import audit

    x = np.random.default_rng(1).normal(size=(120, 16))
    sep = audit(x, x, n_boot=100).estimates["separability (domain-classifier accuracy)"]
    assert abs(sep.value - 0.5) < 0.06, sep


def test_weighted_gap_pair_cosine_and_cone_equal_the_metric_on_the_resampled_rows():
    """The audit's bootstrap reads each metric under pair counts (``weights``); one implementation per quantity:
    under the counts of a draw, each equals the plain metric on the rows drawn."""
    from modgap.metrics.gap import mean_pairwise_cosine
    from modgap.metrics.retrieval import true_pair_cosine

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 6)) + 1.0, rng.normal(size=(40, 6))
    draws = rng.integers(0, 40, size=(3, 40))
    counts = np.stack([np.bincount(d, minlength=40) for d in draws])
    for d, got_gap, got_cos, got_cone in zip(draws, centroid_gap(x, y, weights=counts),
                                             true_pair_cosine(x, y, weights=counts),
                                             mean_pairwise_cosine(x, weights=counts)):
        assert got_gap == pytest.approx(centroid_gap(x[d], y[d]), rel=1e-12)
        assert got_cos == pytest.approx(true_pair_cosine(x[d], y[d]), rel=1e-12)
        assert got_cone == pytest.approx(mean_pairwise_cosine(x[d]), rel=1e-12)
