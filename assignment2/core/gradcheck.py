"""Centred finite differences, the independent reference for ``network.gradients``."""

import numpy as np

from .checks import check_data, check_soft, non_negative
from .network import Params, evaluate


def numerical_gradients(params: Params, X, y, lam: float, h: float = 1e-5, keep=None, soft=None) -> Params:
    """(J(p + h e_i) - J(p - h e_i)) / 2h for every entry i of W1, b1, W2, b2 (J: ``network.cost``, with ``keep`` and
    ``soft`` as ``network.gradients``), the costs in longdouble so that their rounding does not swamp the
    comparison; in the dtype of ``params``. One pair of costs per entry: use small d, m and n."""
    work = params.astype(np.longdouble)
    X, y = check_data(work, np.asarray(X, dtype=np.longdouble), y)
    lam = non_negative("lam", lam)
    keep = None if keep is None else np.asarray(keep, dtype=np.longdouble)
    soft = check_soft(soft, len(y), work.W2.shape[0])
    grads = {}
    for name, array in work.arrays().items():
        grad = np.zeros_like(array)
        for i in np.ndindex(array.shape):
            saved = array[i]
            array[i] = saved + h
            plus = evaluate(work, X, y, lam, keep, soft)[0]
            array[i] = saved - h
            minus = evaluate(work, X, y, lam, keep, soft)[0]
            array[i] = saved
            grad[i] = (plus - minus) / (2 * h)
        grads[name] = grad.astype(params.arrays()[name].dtype)
    return Params(**grads)


def errors(analytic: Params, numerical: Params, eps: float = 1e-6) -> dict:
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
