"""Ensembles of two-layer networks: the average of their softmax probabilities."""

import numpy as np

from .checks import require
from .network import Params, probabilities


def average(member_probabilities) -> np.ndarray:
    """The mean of the members' class probabilities, each (n, K); returns (n, K)."""
    arrays = [np.asarray(P, dtype=np.float64) for P in member_probabilities]
    require(len(arrays) > 0, "member_probabilities", "at least one (n, K) array", "none")
    shape = arrays[0].shape
    require(all(P.shape == shape and P.ndim == 2 for P in arrays), "member_probabilities",
            f"arrays of one shape (n, K), like the first {shape}", [P.shape for P in arrays])
    return np.mean(arrays, axis=0)


def predict(members: list[Params], X) -> np.ndarray:
    """Averaged class probabilities (n, K) of the networks ``members`` on X (n, d)."""
    require(len(members) > 0, "members", "at least one network", "none")
    return average(probabilities(params, X) for params in members)


def accuracy(P: np.ndarray, y) -> float:
    """Fraction of rows of P (n, K) whose most probable class is the label y (n,)."""
    y = np.asarray(y)
    require(y.shape == (len(P),), "y", f"{len(P)} labels, one per row of P", f"shape {y.shape}")
    return float((np.asarray(P).argmax(axis=1) == y).mean())


def ensemble_accuracy(members: list[Params], X, y) -> float:
    """Accuracy on X (n, d), y (n,) of the averaged probabilities of ``members``."""
    return accuracy(predict(members, X), y)
