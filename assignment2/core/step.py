"""One mini-batch update in place: the weight gradient's product is the update, one BLAS gemm with ``beta``
in NumPy's own BLAS (docs/layout.md, "The step")."""

import ctypes
from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from .network import Params, SoftTargets, backprop


def sgd_step(params: Params, X: np.ndarray, y: np.ndarray, eta: float, lam: float, keep: np.ndarray | None = None,
             soft: SoftTargets | None = None) -> tuple[float, float]:
    """A step of gradient descent on the cost of the batch X (n, d), y (n,), in place; the batch's (loss, accuracy)
    before it. keep: dropout multipliers (n, m); soft: SoftTargets."""
    loss, accuracy, H, G, GH = backprop(params, X, y, keep, soft)
    decay = 1 - 2 * eta * lam
    gemm_into(params.W2, -eta, G.T, H, decay)      # W2 <- decay W2 - eta G^T H
    gemm_into(params.W1, -eta, GH.T, X, decay)     # W1 <- decay W1 - eta GH^T X
    params.b2 -= eta * G.sum(axis=0)
    params.b1 -= eta * GH.sum(axis=0)
    return loss, accuracy


COL_MAJOR, NO_TRANS, TRANS = 102, 111, 112        # the CBLAS enumerations
#: (prefix, suffix, integer type) of the CBLAS symbols in the builds NumPy ships or links to
SYMBOLS = [("scipy_", "64_", ctypes.c_int64), ("", "64_", ctypes.c_int64), ("scipy_", "", ctypes.c_int),
           ("", "", ctypes.c_int)]


@lru_cache(maxsize=None)
def cblas_gemm(dtype: np.dtype):
    """(cblas_sgemm or cblas_dgemm of NumPy's BLAS, its integer type), or None."""
    letter = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}.get(np.dtype(dtype))
    numpy_dir = Path(np.__file__).resolve().parent
    own = (numpy_dir, numpy_dir.with_name("numpy.libs"))   # where NumPy's wheels keep the BLAS they bundle
    for controller in ThreadpoolController().lib_controllers if letter else []:
        path = Path(controller.filepath).resolve()
        if controller.user_api != "blas" or not any(folder in path.parents for folder in own):
            continue                                # only the library NumPy's own products use, not SciPy's
        library = ctypes.CDLL(str(path))
        for prefix, suffix, integer in SYMBOLS:
            function = getattr(library, f"{prefix}cblas_{letter}gemm{suffix}", None)
            if function is not None:
                real = ctypes.c_float if letter == "s" else ctypes.c_double
                function.restype = None
                function.argtypes = [ctypes.c_int] * 3 + [integer] * 3 + [real, ctypes.c_void_p, integer,
                                                                          ctypes.c_void_p, integer, real,
                                                                          ctypes.c_void_p, integer]
                return function, integer
    return None


def _operand(A: np.ndarray) -> tuple[int, int] | None:
    """(CBLAS transpose flag, leading dimension) that read the 2-D array A column-major, or None."""
    if A.strides[0] == A.itemsize and A.strides[1] % A.itemsize == 0 and A.strides[1] >= A.itemsize * A.shape[0]:
        return NO_TRANS, max(1, A.strides[1] // A.itemsize)          # columns contiguous
    if A.strides[1] == A.itemsize and A.strides[0] % A.itemsize == 0 and A.strides[0] >= A.itemsize * A.shape[1]:
        return TRANS, max(1, A.strides[0] // A.itemsize)             # rows contiguous: read A^T column-major
    return None


def gemm_into(C: np.ndarray, alpha: float, A: np.ndarray, B: np.ndarray, beta: float) -> np.ndarray:
    """C <- alpha A B + beta C in place, for 2-D A (M, K), B (K, N), C (M, N) of one float dtype; returns C."""
    if C.flags.c_contiguous and not C.flags.f_contiguous:           # C^T <- alpha B^T A^T + beta C^T
        gemm_into(C.T, alpha, B.T, A.T, beta)
        return C
    (M, K), (_, N) = A.shape, B.shape
    found = cblas_gemm(C.dtype) if A.dtype == B.dtype == C.dtype and C.flags.f_contiguous else None
    a, b = _operand(A), _operand(B)
    if found is None or a is None or b is None or min(M, N, K) == 0:
        product = A @ B
        C *= beta
        C += alpha * product
        return C
    function, integer = found
    function(COL_MAJOR, a[0], b[0], M, N, K, alpha, A.ctypes.data, a[1], B.ctypes.data, b[1], beta,
             C.ctypes.data, max(1, M))
    return C
