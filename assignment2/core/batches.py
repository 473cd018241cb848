"""The mini-batches of a run: rows drawn without replacement each epoch, augmented, with dropout masks and the
teacher's soft targets of distillation.

Augmentation: random flips and translations of CIFAR rows, a whole mini-batch at a time. A row of X (n, 3072)
holds an image channel-major: the R, G and B planes of 32 x 32 pixels, each plane row by row. Images are moved as
(n, 3, 32, 32) arrays; no pixel ever crosses into another colour plane, and shifted-in pixels are zero (the data
mean after normalising).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .checks import require
from .network import SoftTargets, dropout_mask


CHANNELS, SIDE = 3, 32
MAX_TRANSLATE = SIDE // 2 - 1   # a shift of 16 or more would leave at most half an image


class BatchMover:
    """``shift_and_flip`` for batches of ``n`` rows, reusing one zero-padded image buffer.

    The buffer (n, 3, 32 + 2 pad, 32 + 2 pad) is allocated once; each batch is copied into its
    centre, whose border stays zero, and each image is cut out of it in one gather through a
    sliding-window view: of the buffer, or of the buffer read right to left for the images that
    are mirrored (mirroring after a shift by dx is a shift by -dx of the mirror image).
    """

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
    """X (n, 3072) with image i moved dy[i] pixels down and dx[i] right, then mirrored left-right if flipped[i].

    dy, dx: (n,) integers with |shift| <= MAX_TRANSLATE; flipped: (n,) bools. One gather for the
    whole batch (``BatchMover``), no loop over images. Returns a new (n, 3072) array.
    """
    require(X.ndim == 2 and X.shape[1] == CHANNELS * SIDE * SIDE, "X",
            f"an array of shape (n, {CHANNELS * SIDE * SIDE}) of CIFAR rows", f"shape {X.shape}")
    dy, dx = np.asarray(dy), np.asarray(dx)
    pad = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    return BatchMover(len(X), pad, X.dtype)(X, dy, dx, np.asarray(flipped, bool))


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


def mini_batches(X: np.ndarray, y: np.ndarray, config, dtype, soft_targets=None, start: int = 0):
    """The mini-batches of a run of ``config`` (a ``train.TrainConfig``), in order, from update ``start`` on:
    (X (b, d), y (b,), dropout multipliers (b, m) or None, SoftTargets or None). The random draws of the
    updates before ``start`` are made and dropped, so that a continued run gets the batches of a run from step 0.

    Rows are drawn without replacement from a permutation renewed every epoch (``config.seed``);
    flips, translations and dropout masks come from a second generator seeded by ``config.seed``.
    soft_targets (views, n, K): a mirrored image takes the teacher's probabilities of view 1
    (the mirror images) if there is one; a translated image keeps those of its unshifted view.
    """
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


def checked_soft_targets(soft_targets, n: int, k: int, config):
    """The teacher's probabilities as (views, n, K) float64, or None when the run does not distil."""
    if not config.distill:
        return None
    require(soft_targets is not None, "soft_targets", f"a teacher's probabilities when distill > 0 "
            f"(distill = {config.distill})", None)
    P = np.asarray(soft_targets, dtype=np.float64)
    P = P[None] if P.ndim == 2 else P
    require(P.ndim == 3 and P.shape[1:] == (n, k) and len(P) in (1, 2), "soft_targets",
            f"teacher probabilities of shape ({n}, {k}), or (2, {n}, {k}) for the plain and the mirror images",
            f"shape {np.shape(soft_targets)}")
    require(np.isfinite(P).all() and (P >= 0).all() and np.allclose(P.sum(axis=2), 1, atol=1e-4),
            "soft_targets", "probabilities: >= 0, each row summing to 1", "other numbers")
    return P
