"""Argument checks that turn bad input into a ValueError naming the parameter: the generic ones, and those of
the data and the teacher's probabilities a network is given."""

import numbers

import numpy as np


def require(condition: bool, name: str, allowed: str, value) -> None:
    """Raise ``ValueError("name must be allowed, got value")`` unless ``condition``."""
    if not condition:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


def positive_int(name: str, value) -> int:
    """``value`` as an int >= 1."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1
    require(ok, name, "an integer >= 1", value)
    return int(value)


def non_negative(name: str, value) -> float:
    """``value`` as a finite float >= 0."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 <= value < float("inf")
    require(ok, name, "a finite number >= 0", value)
    return float(value)


def one_of(name: str, value, allowed):
    """``value`` if it is one of ``allowed``."""
    require(value in allowed, name, "one of " + ", ".join(repr(a) for a in allowed), value)
    return value


def check_data(params, X, y=None, prefix: str = ""):
    """X (n, d) and labels y (n,) as arrays, checked against W1 (m, d) and K (errors name them ``prefix`` + X, y)."""
    X = np.asarray(X)
    m, d = params.W1.shape
    require(X.ndim == 2 and X.shape[1] == d and np.issubdtype(X.dtype, np.number),
            prefix + "X", f"a numeric array of shape (n, {d}) to match W1 {params.W1.shape}",
            f"array of shape {X.shape}")
    if y is None:
        return X
    y = np.asarray(y)
    k = params.W2.shape[0]
    require(y.ndim == 1 and len(y) == len(X), prefix + "y", f"a 1-D array of {len(X)} labels (one per row of X)",
            f"array of shape {y.shape}")
    require(len(y) > 0, prefix + "y", "at least one label", "no labels")
    require(np.issubdtype(y.dtype, np.integer) and y.min() >= 0 and y.max() < k,
            prefix + "y", f"integer labels in 0..{k - 1}", f"{y.dtype} labels in {y.min()}..{y.max()}")
    return X, y


def data_pair(params, data, name: str, dtype):
    """A checked (X (n, d), y (n,)) pair, X in ``dtype`` and C-contiguous."""
    require(isinstance(data, (tuple, list)) and len(data) == 2, name, "an (X, y) pair", type(data).__name__)
    X, y = check_data(params, *data, prefix=f"{name} ")
    return np.ascontiguousarray(X, dtype=dtype), y


def teacher_targets(targets, n: int, k: int, config):
    """A teacher's probabilities (n, K) or (2, n, K) as (views, n, K) float64; None when ``config`` does not distil."""
    if not config.distill:
        return None
    require(targets is not None, "soft_targets", f"a teacher's probabilities when distill > 0 "
            f"(distill = {config.distill})", None)
    P = np.asarray(targets, dtype=np.float64)
    P = P[None] if P.ndim == 2 else P
    require(P.ndim == 3 and P.shape[1:] == (n, k) and len(P) in (1, 2), "soft_targets",
            f"teacher probabilities of shape ({n}, {k}), or (2, {n}, {k}) for the plain and the mirror images",
            f"shape {np.shape(targets)}")
    require(np.isfinite(P).all() and (P >= 0).all() and np.allclose(P.sum(axis=2), 1, atol=1e-4),
            "soft_targets", "probabilities: >= 0, each row summing to 1", "other numbers")
    return P
