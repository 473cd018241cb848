"""ZCA whitening of the inputs: fitted once on the standardised training images, applied to every split,
and folded into a network's first layer, so that a network trained on whitened images is an ordinary
two-layer network of the standardised ones: W1 (Z x) = (W1 Z) x."""

import numpy as np

from .checks import non_negative, require
from .network import Params

BLOCK_ROWS = 4096   # rows of X per product: a float32 block of X is 50 MB


def zca(X, epsilon: float) -> np.ndarray:
    """The symmetric ZCA matrix Z (d, d) of the standardised images X (n, d): c U diag(1 / sqrt(S + epsilon mean(S)))
    U^T for the eigen-decomposition U S U^T of X^T X / n, c giving X Z unit standard deviation; in X's dtype."""
    X = np.asarray(X)
    require(X.ndim == 2 and len(X) > 1 and np.issubdtype(X.dtype, np.floating), "X",
            "training images as a float array (n, d), n > 1", f"{X.dtype} array of shape {X.shape}")
    require(non_negative("epsilon", epsilon) > 0, "epsilon", "a number > 0 (relative to the mean eigenvalue)", epsilon)
    C = np.zeros((X.shape[1],) * 2)
    for start in range(0, len(X), BLOCK_ROWS):
        block = X[start:start + BLOCK_ROWS]
        C += block.T @ block
    S, U = np.linalg.eigh(C / len(X))
    S = np.maximum(S, 0.0)                           # rounding can leave the smallest a little below 0
    damped = S + epsilon * S.mean()
    scale = 1 / np.sqrt(np.mean(S / damped))        # the whitened images' variance is mean(S / damped)
    return ((U * (scale / np.sqrt(damped))) @ U.T).astype(X.dtype)


def whitened(X, Z: np.ndarray) -> np.ndarray:
    """X Z: the images X (n, d) whitened by ``zca``'s Z (d, d), a new array in X's dtype, block by block."""
    X = np.asarray(X)
    require(Z.shape == (X.shape[1],) * 2, "Z", f"a ({X.shape[1]}, {X.shape[1]}) whitening matrix", f"shape {Z.shape}")
    out = np.empty(X.shape, dtype=X.dtype)
    Z = Z.astype(X.dtype, copy=False)
    for start in range(0, len(X), BLOCK_ROWS):
        np.matmul(X[start:start + BLOCK_ROWS], Z, out=out[start:start + BLOCK_ROWS])
    return out


def folded(params: Params, Z: np.ndarray) -> Params:
    """The network of standardised images that a network of whitened ones is: first layer W1 Z (m, d)."""
    require(Z.shape == (params.W1.shape[1],) * 2, "Z", f"a whitening matrix ({params.W1.shape[1]}, "
            f"{params.W1.shape[1]}) to match W1 {params.W1.shape}", f"shape {Z.shape}")
    W1 = np.asfortranarray(params.W1 @ Z.astype(params.W1.dtype, copy=False))
    return Params(W1, params.b1, params.W2, params.b2)
