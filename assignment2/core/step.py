"""One mini-batch update of the two-layer network, in place, at about the cost of its two large products.

A step costs two products over W1 (m, d): the forward X W1^T and the weight gradient GH^T X.
Here the second one *is* the update: BLAS gemm computes W1 <- (1 - 2 eta lam) W1 - eta GH^T X
in one call (``alpha`` = -eta, ``beta`` = 1 - 2 eta lam, C = W1; ``blas.gemm_into``), so no
gradient array is made and W1 is not walked over again for the L2 term or for eta. W2 is
updated the same way.
"""

import numpy as np

from .blas import gemm_into
from .network import Params, SoftTargets, backprop


class SGDStep:
    """In-place updates of ``params`` (float32 or float64, W1 column-major) by the gradient of the cost
    loss + lam (||W1||^2 + ||W2||^2) on one mini-batch (the loss of ``network.backprop``).

    Plain SGD: p <- (1 - 2 eta lam) p - eta g for the weights (p - eta g for the biases), g the
    gradient of the mean cross-entropy. With ``momentum`` (heavy ball on g): v <- momentum v + g,
    then p <- (1 - 2 eta lam) p - eta v; the L2 term is applied directly, as in plain SGD.
    """

    def __init__(self, params: Params, momentum: float = 0.0):
        self.momentum = momentum
        self.velocity = Params(**{k: np.zeros_like(v) for k, v in params.arrays().items()}) if momentum else None

    def __call__(self, params: Params, X: np.ndarray, y: np.ndarray, eta: float, lam: float,
                 keep: np.ndarray | None = None, soft: SoftTargets | None = None) -> tuple[float, float]:
        """Update ``params`` in place on the batch X (n, d), y (n,); return its (mean loss, accuracy)
        before the update. keep: dropout multipliers (n, m) on the hidden layer, or None; soft: the
        teacher's SoftTargets for the batch, or None (the loss is then the cross-entropy)."""
        loss, accuracy, H, G, GH = backprop(params, X, y, keep, soft)
        decay = 1 - 2 * eta * lam
        if self.velocity is None:
            gemm_into(params.W2, -eta, G.T, H, decay)      # W2 <- decay W2 - eta G^T H
            gemm_into(params.W1, -eta, GH.T, X, decay)     # W1 <- decay W1 - eta GH^T X
            params.b2 -= eta * G.sum(axis=0)
            params.b1 -= eta * GH.sum(axis=0)
            return loss, accuracy
        v, mu = self.velocity, self.momentum
        gemm_into(v.W2, 1.0, G.T, H, mu)                   # v <- mu v + g
        gemm_into(v.W1, 1.0, GH.T, X, mu)
        v.b2 *= mu
        v.b2 += G.sum(axis=0)
        v.b1 *= mu
        v.b1 += GH.sum(axis=0)
        for name, p in params.arrays().items():
            if name.startswith("W"):
                p *= decay
            p -= eta * v.arrays()[name]
        return loss, accuracy
