"""Argument checks that turn bad input into a ValueError naming the parameter: rules for a declarative table of
parameters, and the checks of the data and the teacher's probabilities a network is given."""

import math
import numbers
from dataclasses import replace

import numpy as np


def _integer(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


#: Rules a parameter may have: (test, what its value must be).
COUNT = (lambda v: _integer(v) and v >= 1, "an integer >= 1")
SEED = (lambda v: _integer(v) and v >= 0, "an integer >= 0")
SEEDS = (lambda v: isinstance(v, list) and len(v) > 0 and all(_integer(s) and s >= 0 for s in v)
         and len(set(v)) == len(v), "a non-empty list of distinct integers >= 0")
COUNTS = (lambda v: isinstance(v, list) and len(v) > 0 and all(_integer(s) and s >= 1 for s in v),
          "a non-empty list of integers >= 1")
NUMBER = (_number, "a finite number")
POSITIVE = (lambda v: _number(v) and v > 0, "a finite number > 0")
NON_NEGATIVE = (lambda v: _number(v) and v >= 0, "a finite number >= 0")
RATE = (lambda v: _number(v) and 0 <= v < 1, "a number in [0, 1)")
FRACTION = (lambda v: _number(v) and 0 <= v <= 1, "a number in [0, 1]")
FLAG = (lambda v: isinstance(v, bool), "True or False")


def among(*allowed) -> tuple:
    """The rule of a value that is one of ``allowed``."""
    return (lambda v: v in allowed, "one of " + ", ".join(repr(a) for a in allowed))


def check_rules(values, rules: dict) -> None:
    """``require`` each attribute of ``values`` named in ``rules`` (name -> rule) to pass its rule."""
    for name, (test, allowed) in rules.items():
        require(test(getattr(values, name)), name, allowed, getattr(values, name))


def require(condition: bool, name: str, allowed: str, value) -> None:
    """Raise ``ValueError("name must be allowed, got value")`` unless ``condition``."""
    if not condition:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")


def positive_int(name: str, value) -> int:
    """``value`` as an int >= 1 (the rule COUNT)."""
    require(COUNT[0](value), name, COUNT[1], value)
    return int(value)


def non_negative(name: str, value) -> float:
    """``value`` as a finite float >= 0 (the rule NON_NEGATIVE)."""
    require(NON_NEGATIVE[0](value), name, NON_NEGATIVE[1], value)
    return float(value)


def one_of(name: str, value, allowed):
    """``value`` if it is one of ``allowed`` (the rule ``among``)."""
    test, what = among(*allowed)
    require(test(value), name, what, value)
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


def check_keep(keep, shape: tuple, dtype):
    """Fixed dropout multipliers ``keep`` (or None) as an array of ``shape`` (rows of X, hidden units)."""
    if keep is not None:
        keep = np.asarray(keep, dtype=dtype)
        require(keep.shape == shape, "keep", f"an array of shape {shape} (rows of X, hidden units)",
                f"shape {keep.shape}")
    return keep


def check_soft(soft, n: int, k: int):
    """``soft`` (a network's SoftTargets or None) checked against n samples and K classes."""
    if soft is not None:
        require(hasattr(soft, "softened"), "soft", "a SoftTargets or None", type(soft).__name__)
        shape = np.shape(soft.P)
        require(shape == (n, k), "soft", f"teacher probabilities of shape ({n}, {k}), a row per sample",
                f"shape {shape}")
    return soft


def data_pair(params, data, name: str, dtype):
    """A checked (X (n, d), y (n,)) pair, X in ``dtype`` and C-contiguous."""
    require(isinstance(data, (tuple, list)) and len(data) == 2, name, "an (X, y) pair", type(data).__name__)
    X, y = check_data(params, *data, prefix=f"{name} ")
    return np.ascontiguousarray(X, dtype=dtype), y


def run_inputs(params, train_data, val_data, config, state: dict) -> tuple:
    """(params, (X, y), (X_val, y_val), the first update) of a run of ``config``, checked; X in W1's dtype."""
    require(params.W1.shape[0] == config.hidden, "params", f"a network of config.hidden = {config.hidden} hidden "
            "units (the config is the one source of truth of the network's shape)",
            f"W1 of shape {params.W1.shape}: {params.W1.shape[0]} hidden units")
    train_data = data_pair(params, train_data, "train_data", params.W1.dtype)
    val_data = data_pair(params, val_data, "val_data", params.W1.dtype)
    require(config.batch_size <= len(train_data[1]), "batch_size",
            f"<= the number of training samples ({len(train_data[1])})", config.batch_size)
    done = state.get("steps", 0)
    require(done == 0 or (config.schedule == "cyclical" and done < config.total_steps),
            "state", f"the end of a cyclical run before step {config.total_steps}", done)
    return params, train_data, val_data, done


def continued_cycles(config, keep: int, before, snapshots: dict) -> int:
    """The cycles of a run of config ``before`` that a run of ``config`` keeping ``keep`` cycle ends continues,
    checked: ``before`` is ``config`` on fewer cycles, and ``snapshots`` hold the cycle ends needed."""
    done = before.n_cycles
    require(before == replace(config, n_cycles=done) and done < config.n_cycles, "start",
            f"a run of this config on fewer than {config.n_cycles} cycles", before)
    require(all(c in snapshots for c in range(min(done, config.n_cycles - keep + 1), done + 1)), "start",
            f"the parameters at its cycle ends from {config.n_cycles - keep + 1} to {done}", sorted(snapshots))
    return done


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
