"""The study's splits of CIFAR-10's training batches into training and validation images (the test batch apart)."""

import numpy as np

from ..core.checks import one_of
from ..core.data import load_cifar10
from .exercises.base import OneLineError

#: Split -> the fraction of the five training batches held out for validation; None: train on data_batch_1
#: and validate on data_batch_2 (exercise 3).
SPLITS = {"ex3": None, "search": 0.1, "final": 0.02}


class DataError(OneLineError, ValueError):
    """The data folder lacks a file, or holds one that is not CIFAR-10's, and no download could mend it."""


def train_size(split: str, images: int) -> int:
    """The training images of ``split`` when the five training batches hold ``images`` images."""
    held_out = SPLITS[split]
    return images // 5 if held_out is None else images - int(round(held_out * images))


def load_split(split: str, root=None, dtype=np.float64):
    """((X_train, y_train), (X_val, y_val), (X_test, y_test)) of ``split`` ("ex3": 10,000 / 10,000; "search":
    45,000 / 5,000; "final": 49,000 / 1,000); X: (n, 3072)."""
    held_out = SPLITS[one_of("split", split, list(SPLITS))]
    try:
        return load_cifar10(held_out, root, dtype)
    except (FileNotFoundError, ValueError) as err:
        raise DataError(str(err)) from None
