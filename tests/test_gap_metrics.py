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
