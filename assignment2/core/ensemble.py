"""Ensembles of two-layer networks: the average of their softmax probabilities, and the teacher of
distillation (an ensemble whose probabilities are a student's soft targets)."""

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from .batches import mirrored
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


def views(X: np.ndarray, mirror: bool) -> list:
    """[X] or, with ``mirror``, [X, its mirror images]; X: (n, d) CIFAR rows."""
    return [X, mirrored(X)] if mirror else [X]


def ensemble_probabilities(members, X, snapshots: int = 1, mirror: bool = False) -> np.ndarray:
    """Averaged class probabilities (n, K) on X (n, d) of the last ``snapshots`` cycle ends of every
    member (``store.Run``s); with ``mirror``, averaged over each image and its mirror image too."""
    return average(probabilities(params, view) for member in members for params in member.last(snapshots)
                   for view in views(X, mirror))


@dataclass(frozen=True)
class Teacher:
    """The teacher of distillation: the last ``snapshots`` cycle ends of every one of ``members``
    (``store.Run``s). ``key`` names it by what makes its targets (the members' run keys and the
    snapshots), so a student is keyed without computing them."""

    members: tuple
    snapshots: int

    @property
    def key(self) -> str:
        named = json.dumps({"members": [m.key for m in self.members], "snapshots": self.snapshots})
        return hashlib.sha256(named.encode()).hexdigest()[:16]

    def targets(self, X) -> np.ndarray:
        """The soft targets (2, n, K): the teacher's probabilities of the images X (n, d) and of their
        mirror images."""
        return np.stack([ensemble_probabilities(self.members, view, self.snapshots) for view in views(X, True)])
