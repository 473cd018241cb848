"""The test-set analysis: confusion counts, calibration error, confident mistakes, hidden units as images."""

import numpy as np
import pytest

from assignment2.study import diagnostics as analysis


def test_confusion_counts_sum_to_n_and_their_diagonal_is_the_accuracy():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 1000)
    pred = np.where(rng.random(1000) < 0.6, y, rng.integers(0, 10, 1000))
    counts = analysis.confusion_matrix(y, pred)
    assert counts.shape == (10, 10) and counts.sum() == 1000
    assert np.trace(counts) / 1000 == pytest.approx((pred == y).mean())
    np.testing.assert_array_equal(counts.sum(axis=1), np.bincount(y, minlength=10))
    per_class = analysis.class_accuracies(counts)
    np.testing.assert_allclose(per_class, [(pred[y == c] == c).mean() for c in range(10)])


def test_confusion_of_a_known_case_and_its_worst_confusion():
    counts = analysis.confusion_matrix([0, 0, 0, 1, 1, 2], [0, 1, 1, 1, 1, 0], k=3)
    np.testing.assert_array_equal(counts, [[1, 2, 0], [0, 2, 0], [1, 0, 0]])
    assert analysis.worst_confusion(counts) == (2, 0, 1.0)
    with pytest.raises(ValueError, match="labels must be integers in 0..2"):
        analysis.confusion_matrix([0, 3], [0, 1], k=3)


def calibrated_case(n: int, rng):
    """Probabilities whose top value is the true chance of being right: perfectly calibrated."""
    confidence = rng.uniform(0.1, 1.0, n)
    y = rng.integers(0, 10, n)
    pred = np.where(rng.random(n) < confidence, y, (y + rng.integers(1, 10, n)) % 10)
    P = np.tile(((1 - confidence) / 9)[:, None], (1, 10))
    P[np.arange(n), pred] = confidence
    return P, y


def test_a_perfectly_calibrated_case_has_an_ece_of_about_zero():
    P, y = calibrated_case(200_000, np.random.default_rng(1))
    assert analysis.expected_calibration_error(P, y) < 0.005


def test_an_always_over_confident_case_has_the_ece_computed_by_hand():
    # every image predicted with confidence 0.9, right 60% of the time: one bin, |0.6 - 0.9| = 0.3
    n = 1000
    y = np.zeros(n, int)
    pred = np.where(np.arange(n) < 600, 0, 1)
    P = np.full((n, 10), 0.1 / 9)
    P[np.arange(n), pred] = 0.9
    result = analysis.reliability(P, y)
    assert result["ece"] == pytest.approx(0.3)
    full = np.flatnonzero(result["counts"])
    assert list(full) == [13] and result["accuracy"][13] == pytest.approx(0.6)
    # two groups: confidence 0.95 right 70% of the time (300 images), 0.55 right 50% (700 images)
    conf = np.r_[np.full(300, 0.95), np.full(700, 0.55)]
    right = np.r_[np.arange(300) < 210, np.arange(700) < 350]
    P = np.tile(((1 - conf) / 9)[:, None], (1, 10))
    P[np.arange(n), np.where(right, 0, 1)] = conf
    assert analysis.expected_calibration_error(P, y) == pytest.approx(0.3 * 0.25 + 0.7 * 0.05)


def test_confident_mistakes_are_wrong_and_sorted_by_confidence():
    rng = np.random.default_rng(2)
    P = rng.dirichlet(np.ones(10), 500)
    y = rng.integers(0, 10, 500)
    picked = analysis.confident_mistakes(P, y, 16)
    assert len(picked) == 16 and np.all(P[picked].argmax(axis=1) != y[picked])
    top = P[picked].max(axis=1)
    assert np.all(np.diff(top) <= 0)
    wrong = P.argmax(axis=1) != y
    assert top[-1] >= np.sort(P[wrong].max(axis=1))[-16]


def test_rows_become_images_channel_by_channel():
    row = np.zeros(3072)
    row[:1024] = 1.0                      # the R plane
    row[1024 + 5] = 0.5                   # G, row 0, column 5
    image = analysis.as_images(row[None])[0]
    assert image.shape == (32, 32, 3) and image[..., 0].min() == 1.0 and image[0, 5, 1] == 0.5
    assert image.min() == 0.0 and image.max() == 1.0
