"""Exercise 1: the analytic gradients against centred finite differences, in float64."""

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from ...core.checks import COUNT, NON_NEGATIVE, POSITIVE, RATE, SEED
from ...core.batches import random_augment
from ...core.data import matches_official
from ...core.gradcheck import errors, numerical_gradients
from ...core.network import SoftTargets, dropout_mask, gradients, init_params, log_softmax
from ..parallel import map_tasks
from ..sources import closure
from ..splits import load_split
from ..store import RunStore
from .base import Result, Settings


@dataclass(frozen=True)
class GradientCheckSettings(Settings):
    """Three settings checked on the first ``n`` images of exercise 3's training batch: all 3072 inputs with
    ``m_full`` hidden units; the first ``d_small`` inputs with ``m_small``; all inputs flipped and shifted
    by up to ``translate`` pixels, with a fixed dropout mask of rate ``dropout`` and the loss of
    distillation ``distill`` = [alpha, T]. Every check for each lambda of ``lams``, with step ``h``."""

    NOTEBOOK = "01_gradient_check"

    data_root: str | None = None
    seed: int = 0
    n: int = 2
    m_full: int = 10
    m_small: int = 50
    d_small: int = 20
    lams: list = field(default_factory=lambda: [0.0, 0.1])
    h: float = 1e-5
    dropout: float = 0.3
    translate: int = 2
    distill: list = field(default_factory=lambda: [0.5, 2.0])

    QUICK = {"m_full": 2}
    RULES = {"seed": SEED, "n": COUNT, "m_full": COUNT, "m_small": COUNT, "d_small": COUNT, "h": POSITIVE,
             "dropout": RATE, "translate": SEED,
             "lams": (lambda v: isinstance(v, list) and len(v) > 0 and all(NON_NEGATIVE[0](x) for x in v),
                      "a non-empty list of finite numbers >= 0"),
             "distill": (lambda v: isinstance(v, list) and len(v) == 2 and 0 <= v[0] <= 1 and POSITIVE[0](v[1]),
                         "an [alpha, T] pair: alpha in [0, 1], T > 0")}


@dataclass(frozen=True)
class GradientCheckSummary:
    """The settings checked, the largest relative and absolute errors, whether the data are the official files."""

    n: int
    m_full: int
    m_small: int
    d_small: int
    h: float
    lams: list[float]
    dropout: float
    translate: int
    distill: list[float]
    max_rel: float
    max_abs: float
    official_data: bool


class GradientCheck(Result):
    """``summary``: a GradientCheckSummary; ``tables["gradient_check"]``: a row per (setting, lambda, parameter)."""

    NOTEBOOK = "01_gradient_check"
    SUMMARY = GradientCheckSummary

    @property
    def rows(self) -> list[dict]:
        return self.tables["gradient_check"]

    def headline(self) -> str:
        s = self.summary
        return (f"largest relative error {s.max_rel:.1e}, largest absolute error {s.max_abs:.1e} "
                f"({len(self.rows)} comparisons)")


def _errors(lam: float, batch, *, m: int, seed: int, h: float, dropout: float, distill) -> list[dict]:
    """The rows of one check for one lambda; batch: (X (n, d), y (n,))."""
    X, y = batch
    rng = np.random.default_rng(seed)
    params = init_params(X.shape[1], m, rng=rng)
    keep = dropout_mask(rng, (len(y), m), dropout, np.dtype(np.float64)) if dropout else None
    alpha, T = distill or (0.0, 1.0)
    soft = SoftTargets(np.exp(log_softmax(2 * rng.standard_normal((len(y), params.W2.shape[0])))), alpha, T) \
        if distill else None
    report = errors(gradients(params, X, y, lam, keep, soft), numerical_gradients(params, X, y, lam, h, keep, soft))
    return [{"d": X.shape[1], "m": m, "n": len(y), "lam": lam, "dropout": dropout, "alpha": alpha, "temperature": T,
             "parameter": name, **errs} for name, errs in report.items()]


def check_rows(X: np.ndarray, y: np.ndarray, m: int, lams, seed: int = 0, h: float = 1e-5, executor=None, *,
               dropout: float = 0.0, distill=None) -> list[dict]:
    """Analytic against centred-difference gradients (float64) on X (n, d), y (n,): a row per (lambda, parameter), with
    a fixed dropout mask of rate ``dropout`` and distillation's (alpha, T) ``distill`` if given (drawn by ``seed``)."""
    data = ((np.asarray(X, dtype=np.float64), np.asarray(y)),)
    tables = map_tasks(partial(_errors, m=m, seed=seed, h=h, dropout=dropout, distill=distill), lams, data, executor)
    return [row for rows in tables for row in rows]


def _checks(s: GradientCheckSettings, X: np.ndarray, y: np.ndarray, executor) -> list[dict]:
    """The three settings' rows, each marked "augmented"."""
    plain = (check_rows(X, y, s.m_full, s.lams, s.seed, s.h, executor)
             + check_rows(X[:, :s.d_small], y, s.m_small, s.lams, s.seed, s.h, executor))
    moved = random_augment(X, np.random.default_rng(s.seed), flip=True, translate=s.translate)
    options = check_rows(moved, y, s.m_full, s.lams, s.seed, s.h, executor, dropout=s.dropout, distill=s.distill)
    return [{**r, "augmented": False} for r in plain] + [{**r, "augmented": True} for r in options]


def run(settings: GradientCheckSettings, store: RunStore, executor=None) -> GradientCheck:
    """The check's rows, computed once for these settings, data and code and kept in ``store``."""
    (X, y), _, _ = load_split("ex3", settings.data_root)
    X, y = X[:settings.n], y[:settings.n]
    checked = {k: getattr(settings, k) for k in ("n", "m_full", "m_small", "d_small", "h", "lams", "dropout",
                                                  "translate", "distill")}
    rows = store.computed("gradient_check", {**checked, "seed": settings.seed}, (X, y),
                          closure("study.exercises.gradient_check"), lambda: _checks(settings, X, y, executor))
    summary = GradientCheckSummary(**checked, max_rel=max(r["max_rel"] for r in rows),
                                   max_abs=max(r["max_abs"] for r in rows),
                                   official_data=matches_official(settings.data_root))
    return GradientCheck(summary, {"gradient_check": rows})
