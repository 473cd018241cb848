"""Random flips and translations of CIFAR rows, a whole mini-batch at a time.

A row of X (n, 3072) holds an image channel-major: the R, G and B planes of 32 x 32 pixels,
each plane row by row. Images are moved as (n, 3, 32, 32) arrays; no pixel ever crosses
into another colour plane, and shifted-in pixels are zero (the data mean after normalising).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .checks import require

CHANNELS, SIDE = 3, 32
MAX_TRANSLATE = SIDE // 2 - 1   # a shift of 16 or more would leave at most half an image


def shift_and_flip(X: np.ndarray, dy: np.ndarray, dx: np.ndarray, flipped: np.ndarray) -> np.ndarray:
    """X (n, 3072) with image i moved dy[i] pixels down and dx[i] right, then mirrored left-right if flipped[i].

    dy, dx: (n,) integers with |shift| <= MAX_TRANSLATE; flipped: (n,) bools. Each image is
    cut from a zero-padded copy through a sliding-window view, one gather for the whole
    batch, no loop over images. Returns a new (n, 3072) array.
    """
    n = len(X)
    require(X.ndim == 2 and X.shape[1] == CHANNELS * SIDE * SIDE, "X",
            f"an array of shape (n, {CHANNELS * SIDE * SIDE}) of CIFAR rows", f"shape {X.shape}")
    dy, dx = np.asarray(dy), np.asarray(dx)
    pad = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    require(pad <= MAX_TRANSLATE, "translate", f"at most {MAX_TRANSLATE} pixels", pad)
    images = X.reshape(n, CHANNELS, SIDE, SIDE)
    if pad:
        padded = np.zeros((n, CHANNELS, SIDE + 2 * pad, SIDE + 2 * pad), dtype=X.dtype)
        padded[:, :, pad:pad + SIDE, pad:pad + SIDE] = images
        windows = sliding_window_view(padded, (SIDE, SIDE), axis=(2, 3))   # (n, 3, 2 pad + 1, 2 pad + 1, 32, 32)
        out = windows[np.arange(n), :, pad - dy, pad - dx]                  # out[r, c] = in[r - dy, c - dx]
    else:
        out = images.copy()
    flipped = np.asarray(flipped, bool)
    out[flipped] = out[flipped][..., ::-1]
    return out.reshape(n, -1)


def mirrored(X: np.ndarray) -> np.ndarray:
    """Every image of X (n, 3072) mirrored left-right."""
    n = len(X)
    return shift_and_flip(X, np.zeros(n, int), np.zeros(n, int), np.ones(n, bool))


def random_moves(n: int, rng: np.random.Generator, flip: bool, translate: int) -> tuple:
    """(dy, dx, flipped) for n images: each flipped with probability 1/2 (if ``flip``) and shifted by
    independent uniform integers in [-translate, translate] in y and x; the arguments of ``shift_and_flip``."""
    flipped = rng.random(n) < 0.5 if flip else np.zeros(n, bool)
    dy, dx = rng.integers(-translate, translate + 1, size=(2, n))
    return dy, dx, flipped


def random_augment(X: np.ndarray, rng: np.random.Generator, flip: bool, translate: int) -> np.ndarray:
    """X (n, 3072) with each image moved as ``random_moves`` draws."""
    return shift_and_flip(X, *random_moves(len(X), rng, flip, translate))
