"""Centred finite differences, the independent reference for ``network.gradients``."""

import numpy as np

from .network import Params, cost


def numerical_gradients(params: Params, X, y, lam: float, h: float = 1e-5) -> Params:
    """(cost(p + h e_i) - cost(p - h e_i)) / 2h for every entry i of W1, b1, W2, b2.

    One pair of cost evaluations per entry: use small d, m and n (or float64 and patience).
    """
    work = params.copy()
    grads = {}
    for name, array in work.arrays().items():
        grad = np.zeros_like(array)
        for i in np.ndindex(array.shape):
            saved = array[i]
            array[i] = saved + h
            plus = cost(work, X, y, lam)[0]
            array[i] = saved - h
            minus = cost(work, X, y, lam)[0]
            array[i] = saved
            grad[i] = (plus - minus) / (2 * h)
        grads[name] = grad
    return Params(**grads)


def compare(analytic: Params, numerical: Params, eps: float = 1e-6) -> dict:
    """Per parameter: max abs, mean abs and max relative error |a - n| / max(eps, |a| + |n|)."""
    report = {}
    for name, a in analytic.arrays().items():
        n = numerical.arrays()[name]
        diff = np.abs(a - n)
        report[name] = {
            "max_abs": float(diff.max()),
            "mean_abs": float(diff.mean()),
            "max_rel": float((diff / np.maximum(eps, np.abs(a) + np.abs(n))).max()),
        }
    return report
