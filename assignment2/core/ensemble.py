"""Networks averaged, as the one network they are: the mean of the scores (before the softmax) of two-layer
networks is the scores of one two-layer network, their hidden layers side by side and their output weights
divided by their count (``fold``). A mirror image is a permutation of the pixels, so a network averaged with
its mirror image is one network too. The teacher of distillation is such a network of an ensemble's members."""

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from .batches import CHANNELS, SIDE, mirrored
from .checks import require
from .network import Params, probabilities

#: x[MIRROR] is the image x (3072,) mirrored left-right: each row of each colour plane read right to left.
MIRROR = np.arange(CHANNELS * SIDE * SIDE).reshape(CHANNELS, SIDE, SIDE)[..., ::-1].ravel()


def mirror_network(params: Params) -> Params:
    """The network that gives an image the scores ``params`` gives its mirror image: W1 with its columns mirrored."""
    require(params.W1.shape[1] == len(MIRROR), "params", f"a network of CIFAR images ({len(MIRROR)} inputs)",
            f"W1 of shape {params.W1.shape}")
    return Params(np.asfortranarray(params.W1[:, MIRROR]), params.b1, params.W2, params.b2)


def fold(networks, mirror: bool = False) -> Params:
    """The one network whose scores are the mean of the scores of ``networks`` (Params of one input size and K
    classes), each with its mirror image if ``mirror``: W1 (sum of m, d) and b1 stacked, W2 (K, sum of m) side by
    side and divided by the count, b2 their mean."""
    members = [view for params in networks for view in ([params, mirror_network(params)] if mirror else [params])]
    require(len(members) > 0, "networks", "at least one network", "none")
    require(len({(p.W1.shape[1], p.W2.shape[0]) for p in members}) == 1, "networks",
            "networks of one input size and one number of classes", [p.W1.shape for p in members])
    return Params(W1=np.asfortranarray(np.concatenate([p.W1 for p in members])),
                  b1=np.concatenate([p.b1 for p in members]),
                  W2=np.concatenate([p.W2 for p in members], axis=1) / len(members),
                  b2=np.mean([p.b2 for p in members], axis=0))


def fold_runs(runs, snapshots: int = 1, mirror: bool = False) -> Params:
    """``fold`` of the last ``snapshots`` cycle ends of every one of ``runs`` (``store.Run``s)."""
    return fold([params for run in runs for params in run.last(snapshots)], mirror)


def accuracy(S: np.ndarray, y) -> float:
    """Fraction of rows of the scores or probabilities S (n, K) whose largest is the label y (n,)."""
    y = np.asarray(y)
    require(y.shape == (len(S),), "y", f"{len(S)} labels, one per row of S", f"shape {y.shape}")
    return float((np.asarray(S).argmax(axis=1) == y).mean())


def views(X: np.ndarray, mirror: bool) -> list:
    """[X] or, with ``mirror``, [X, its mirror images]; X: (n, d) CIFAR rows."""
    return [X, mirrored(X)] if mirror else [X]


@dataclass(frozen=True)
class Teacher:
    """The teacher of distillation: the network folded from the last ``snapshots`` cycle ends of every one of
    ``members`` (``store.Run``s). ``key`` names it by what makes its targets (the members' run keys and the
    snapshots), so a student is keyed without computing them."""

    members: tuple
    snapshots: int

    @property
    def key(self) -> str:
        named = json.dumps({"members": [m.key for m in self.members], "snapshots": self.snapshots})
        return hashlib.sha256(named.encode()).hexdigest()[:16]

    def targets(self, X) -> np.ndarray:
        """The soft targets (2, n, K): the teacher's probabilities of the images X (n, d) and of their mirror
        images."""
        network = fold_runs(self.members, self.snapshots)
        return np.stack([probabilities(network, view) for view in views(X, True)])
