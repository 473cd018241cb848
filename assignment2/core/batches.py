"""The mini-batches of a run, flipped and shifted a whole batch at a time. A row of X (n, 3072) is an image,
channel-major (3, 32, 32); shifted-in pixels are zero (the mean, once normalised)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .checks import require
from .network import SoftTargets, dropout_mask


CHANNELS, SIDE = 3, 32
MAX_TRANSLATE = SIDE // 2 - 1   # a shift of 16 or more would leave at most half an image


class BatchMover:
    """``shift_and_flip`` for batches of ``n`` rows: one gather from a zero-bordered buffer through a sliding-window
    view of it, read right to left for the mirrored images."""

    def __init__(self, n: int, pad: int, dtype):
        require(isinstance(pad, int) and 0 <= pad <= MAX_TRANSLATE, "translate",
                f"at most {MAX_TRANSLATE} pixels", pad)
        self.pad = pad
        self.buffer = np.zeros((n, CHANNELS, SIDE + 2 * pad, SIDE + 2 * pad), dtype=dtype)
        # (n, 3, 2 pad + 1, 2 pad + 1, 32, 32): every shift of every image, without a copy
        self.plain = sliding_window_view(self.buffer, (SIDE, SIDE), axis=(2, 3))
        self.mirror = sliding_window_view(self.buffer[..., ::-1], (SIDE, SIDE), axis=(2, 3))

    def __call__(self, X: np.ndarray, dy: np.ndarray, dx: np.ndarray, flipped: np.ndarray) -> np.ndarray:
        """X (n, 3072) moved as ``shift_and_flip`` moves it (|dy|, |dx| <= pad); a new (n, 3072) array."""
        n, p = len(X), self.pad
        self.buffer[:, :, p:p + SIDE, p:p + SIDE] = X.reshape(n, CHANNELS, SIDE, SIDE)
        out = self.plain[np.arange(n), :, p - dy, p - dx]                  # out[r, c] = in[r - dy, c - dx]
        mirrored = np.flatnonzero(flipped)
        if len(mirrored):
            out[mirrored] = self.mirror[mirrored, :, p - dy[mirrored], p + dx[mirrored]]
        return out.reshape(n, -1)


def shift_and_flip(X: np.ndarray, dy: np.ndarray, dx: np.ndarray, flipped: np.ndarray) -> np.ndarray:
    """A new X (n, 3072), image i moved dy[i] pixels down and dx[i] right (|shift| <= MAX_TRANSLATE), then
    mirrored left-right if flipped[i]; dy, dx, flipped: (n,)."""
    require(X.ndim == 2 and X.shape[1] == CHANNELS * SIDE * SIDE, "X",
            f"an array of shape (n, {CHANNELS * SIDE * SIDE}) of CIFAR rows", f"shape {X.shape}")
    dy, dx = np.asarray(dy), np.asarray(dx)
    pad = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    return BatchMover(len(X), pad, X.dtype)(X, dy, dx, np.asarray(flipped, bool))


def mirrored(X: np.ndarray) -> np.ndarray:
    """Every image of X (n, 3072) mirrored left-right."""
    return np.ascontiguousarray(X.reshape(len(X), CHANNELS, SIDE, SIDE)[..., ::-1]).reshape(len(X), -1)


def random_moves(n: int, rng: np.random.Generator, flip: bool, translate: int) -> tuple:
    """``shift_and_flip``'s random (dy, dx, flipped) for n images."""
    flipped = rng.random(n) < 0.5 if flip else np.zeros(n, bool)
    dy, dx = rng.integers(-translate, translate + 1, size=(2, n))
    return dy, dx, flipped


def random_augment(X: np.ndarray, rng: np.random.Generator, flip: bool, translate: int) -> np.ndarray:
    """X (n, 3072) with each image moved as ``random_moves`` draws."""
    return shift_and_flip(X, *random_moves(len(X), rng, flip, translate))


def mini_batches(X: np.ndarray, y: np.ndarray, config, dtype, soft_targets=None, start: int = 0):
    """The mini-batches (X (b, d), y (b,), dropout multipliers (b, m) or None, SoftTargets or None) of ``config``
    from update ``start`` on, as from step 0. soft_targets (views, n, K): a mirrored image takes view 1's."""
    n, batch = len(y), config.batch_size
    rng = np.random.default_rng(config.seed)
    noise = np.random.default_rng([config.seed, 1])   # augmentation and dropout
    order, position = rng.permutation(n), 0
    mover = BatchMover(batch, config.translate, dtype) if config.augments else None
    for t in range(config.total_steps):
        if position + batch > n:
            order, position = rng.permutation(n), 0
        rows = order[position:position + batch]
        position += batch
        moves = random_moves(batch, noise, config.flip, config.translate) if config.augments else None
        keep = dropout_mask(noise, (batch, config.hidden), config.dropout, dtype) if config.dropout else None
        if t < start:
            continue
        rows = np.sort(rows)
        batch_X, view = X[rows], 0
        if moves is not None:
            dy, dx, flipped = moves
            batch_X = mover(batch_X, dy, dx, flipped)
            view = np.minimum(flipped, len(soft_targets) - 1) if soft_targets is not None else 0
        soft = None if soft_targets is None else SoftTargets(soft_targets[view, rows], config.distill,
                                                             config.temperature)
        yield batch_X, y[rows], keep, soft

