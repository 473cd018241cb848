"""The study's two summary statistics: a mean with its spread, and the standard error of a difference of means."""

import math

import numpy as np


def mean_sd(values) -> tuple[float, float]:
    """The mean and the sample standard deviation (0 for one value; NaN, NaN for none) of ``values`` (n,)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return float("nan"), float("nan")
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def difference_se(sd_a: float, n_a: int, sd_b: float, n_b: int) -> float:
    """The standard error of the difference of two independent means, each of n values with spread sd:
    sqrt(sd_a^2 / n_a + sd_b^2 / n_b)."""
    return math.sqrt(sd_a ** 2 / n_a + sd_b ** 2 / n_b)
