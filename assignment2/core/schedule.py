"""The triangular cyclical learning rate (Smith 2015), as in the assignment."""

import numpy as np

from .checks import non_negative, positive_int, require


def triangular_lr(t, eta_min: float, eta_max: float, n_s: int):
    """Learning rate at update step ``t`` (int or integer array, t >= 0).

    eta_min at t = 0, rises linearly to eta_max at t = n_s, falls back to eta_min at
    t = 2 n_s; the period is 2 n_s. Returns a float for an int, else an array like ``t``.
    """
    eta_min = non_negative("eta_min", eta_min)
    eta_max = non_negative("eta_max", eta_max)
    require(eta_min <= eta_max, "eta_min", f"<= eta_max ({eta_max})", eta_min)
    n_s = positive_int("n_s", n_s)
    steps = np.asarray(t)
    require(np.issubdtype(steps.dtype, np.integer) and (steps >= 0).all(),
            "t", "an integer (or integer array) >= 0", t)
    phase = steps % (2 * n_s)
    rising = np.minimum(phase, 2 * n_s - phase) / n_s
    eta = eta_min + (eta_max - eta_min) * rising
    return float(eta) if eta.ndim == 0 else eta


def linear_lr(t, eta_min: float, eta_max: float, steps: int):
    """Learning rate at step ``t`` (0 .. steps - 1) of a range test: rising linearly from eta_min,
    one step of (eta_max - eta_min) / steps above it at t = 0, to eta_max at t = steps - 1."""
    eta_min = non_negative("eta_min", eta_min)
    eta_max = non_negative("eta_max", eta_max)
    steps = positive_int("steps", steps)
    return eta_min + (eta_max - eta_min) * (np.asarray(t) + 1) / steps
