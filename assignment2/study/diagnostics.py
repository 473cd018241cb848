"""What a trained network does on the test set: confusions, calibration, confident mistakes, units as images."""

import numpy as np

from ..core.batches import CHANNELS, SIDE
from ..core.checks import positive_int, require

CALIBRATION_BINS = 15   # equal-width confidence bins of the reliability diagram and the ECE


def _labels(P: np.ndarray, y) -> np.ndarray:
    y = np.asarray(y)
    require(np.ndim(P) == 2 and y.shape == (len(P),), "y", f"{len(P)} labels, one per row of P", f"shape {y.shape}")
    return y


def confusion_matrix(y_true, y_pred, k: int = 10) -> np.ndarray:
    """Counts (k, k): entry [i, j] is the number of images of true class i predicted as class j."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    require(y_true.shape == y_pred.shape and y_true.ndim == 1, "y_pred", f"{len(y_true)} labels like y_true",
            f"shape {y_pred.shape}")
    require(len(y_true) == 0 or (min(y_true.min(), y_pred.min()) >= 0 and max(y_true.max(), y_pred.max()) < k),
            "labels", f"integers in 0..{k - 1}", "labels out of range")
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def class_accuracies(counts: np.ndarray) -> np.ndarray:
    """The accuracy of every true class (k,): the diagonal of the confusion counts over their row sums."""
    return np.diag(counts) / counts.sum(axis=1)


def worst_confusion(counts: np.ndarray) -> tuple[int, int, float]:
    """(true class, predicted class, fraction of the true class) of the largest off-diagonal entry."""
    rates = counts / counts.sum(axis=1, keepdims=True)
    np.fill_diagonal(rates, -1)
    i, j = np.unravel_index(np.argmax(rates), rates.shape)
    return int(i), int(j), float(rates[i, j])


def reliability(P: np.ndarray, y, bins: int = CALIBRATION_BINS) -> dict:
    """The reliability diagram's data for probabilities P (n, K) and labels y (n,): per equal-width bin of
    the confidence (the top probability), its count, mean confidence and accuracy (NaN in an empty bin),
    and the expected calibration error: the count-weighted mean of |accuracy - confidence| over the bins."""
    y, bins = _labels(P, y), positive_int("bins", bins)
    confidence, correct = P.max(axis=1), (P.argmax(axis=1) == y)
    which = np.minimum((confidence * bins).astype(int), bins - 1)          # bin i: [i / bins, (i + 1) / bins)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(which, confidence, bins) / counts
        accuracy = np.bincount(which, correct, bins) / counts
    gaps = np.where(counts > 0, np.abs(accuracy - mean_confidence), 0.0)
    return {"edges": np.linspace(0, 1, bins + 1), "counts": counts, "confidence": mean_confidence,
            "accuracy": accuracy, "ece": float((counts * gaps).sum() / len(y))}


def expected_calibration_error(P: np.ndarray, y, bins: int = CALIBRATION_BINS) -> float:
    """ECE of probabilities P (n, K) for labels y (n,) over ``bins`` equal-width confidence bins."""
    return reliability(P, y, bins)["ece"]


def confident_mistakes(P: np.ndarray, y, count: int = 16) -> np.ndarray:
    """Indices of the ``count`` misclassified rows of P (n, K) with the highest top probability, most confident
    first."""
    y = _labels(P, y)
    wrong = np.flatnonzero(P.argmax(axis=1) != y)
    return wrong[np.argsort(-P[wrong].max(axis=1), kind="stable")[:positive_int("count", count)]]


def as_images(rows: np.ndarray) -> np.ndarray:
    """CIFAR rows (n, 3072), channel-major, as (n, 32, 32, 3) images scaled to [0, 1], each by its own range
    (for raw pixels and for rows of W1 alike)."""
    rows = np.asarray(rows, dtype=np.float64)
    require(rows.ndim == 2 and rows.shape[1] == CHANNELS * SIDE * SIDE, "rows",
            f"an array of shape (n, {CHANNELS * SIDE * SIDE})", f"shape {rows.shape}")
    low, high = rows.min(axis=1, keepdims=True), rows.max(axis=1, keepdims=True)
    scaled = (rows - low) / np.where(high > low, high - low, 1.0)
    return scaled.reshape(-1, CHANNELS, SIDE, SIDE).transpose(0, 2, 3, 1)


def strongest_units(W2: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` hidden units with the largest outgoing weights (L2 norm of the columns of W2 (K, m))."""
    return np.argsort(-np.linalg.norm(W2, axis=0), kind="stable")[:positive_int("count", count)]


def summary(label: str, P: np.ndarray, y, classes: list[str], bins: int = CALIBRATION_BINS) -> dict:
    """One model's test-set figures from its probabilities P (n, K): accuracy, ECE, the accuracy of every
    class, and its most frequent confusion."""
    y = _labels(P, y)
    counts = confusion_matrix(y, P.argmax(axis=1), len(classes))
    true, predicted, rate = worst_confusion(counts)
    return {"label": label, "test_acc": float(np.trace(counts) / len(y)), "ece": expected_calibration_error(P, y, bins),
            "mean_confidence": float(P.max(axis=1).mean()),
            "class_accuracies": dict(zip(classes, class_accuracies(counts).tolist())),
            "worst_confusion": {"true": classes[true], "predicted": classes[predicted], "rate": rate},
            "confusion": counts.tolist()}
