"""The mini-batches of a run: rows drawn without replacement each epoch, augmented, with dropout masks and the
teacher's soft targets of distillation."""

import numpy as np

from .augment import BatchMover, random_moves
from .checks import require
from .network import SoftTargets, dropout_mask


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
