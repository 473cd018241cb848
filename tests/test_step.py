"""step.gemm_into: C <- alpha A B + beta C in place, through NumPy's own BLAS or the NumPy fallback."""

import numpy as np
import pytest

from assignment2.core import step


def layouts(A):
    """A as a row-major array, a column-major array and a strided view (every other row of a bigger array)."""
    bigger = np.zeros((2 * A.shape[0], A.shape[1]), A.dtype)
    bigger[::2] = A
    return [np.ascontiguousarray(A), np.asfortranarray(A), bigger[::2]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("backend", ["blas", "numpy"])
def test_gemm_into_matches_numpy_for_every_layout(dtype, backend, monkeypatch):
    if backend == "numpy":
        monkeypatch.setattr(step, "cblas_gemm", lambda dtype: None)
    rng = np.random.default_rng(0)
    A, B, C0 = (rng.standard_normal(shape).astype(dtype) for shape in ((7, 5), (5, 3), (7, 3)))
    expected = -0.3 * (A.astype(np.float64) @ B) + 0.9 * C0
    for a in layouts(A):
        for b in layouts(B):
            for order in "CF":
                C = np.array(C0, order=order)
                assert step.gemm_into(C, -0.3, a, b, 0.9) is C
                np.testing.assert_allclose(C, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_numpys_own_blas_is_found_for_both_float_types():
    # NumPy's wheels bring OpenBLAS with a CBLAS interface: the fast path is the one that runs here
    assert step.cblas_gemm(np.dtype(np.float32)) is not None and step.cblas_gemm(np.dtype(np.float64)) is not None
    assert step.cblas_gemm(np.dtype(np.longdouble)) is None


def test_gemm_into_of_a_large_update_is_in_place_and_exact_to_rounding():
    rng = np.random.default_rng(1)
    W = np.asfortranarray(rng.standard_normal((64, 300), dtype=np.float32))
    GH, X = rng.standard_normal((20, 64), dtype=np.float32), rng.standard_normal((20, 300), dtype=np.float32)
    expected = 0.99 * W.astype(np.float64) - 0.1 * (GH.T.astype(np.float64) @ X)
    before = W.ctypes.data
    step.gemm_into(W, -0.1, GH.T, X, 0.99)
    assert W.ctypes.data == before and W.flags.f_contiguous
    np.testing.assert_allclose(W, expected, rtol=1e-5, atol=1e-5)
