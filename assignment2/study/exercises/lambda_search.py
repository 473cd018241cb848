"""Exercise 4: a coarse random search of lambda on a log scale, a fine one around the best, the smoothed
peak of both, confirmed against the best few over several seeds by the rule."""

import copy
from dataclasses import dataclass, field, replace

import numpy as np

from ...core.checks import COUNT, NON_NEGATIVE, NUMBER, SEED, SEEDS
from ...core.train import TrainConfig
from ..experiments import search_n_s
from ..search import Peak, best_runs, confirm_best, fine_range, sample_lambdas, search_lambdas, smoothed_peak
from ..progress import work
from ..splits import load_split, train_size
from ..store import RunStore
from .base import Result, Settings, seeds_text


@dataclass(frozen=True)
class LambdaSearchSettings(Settings):
    """The search on 45,000 / 5,000 images: every run ``n_cycles`` cycles of n_s = ``epochs_per_half_cycle``
    epochs, the fine range spanning the ``top_k`` best coarse lambdas widened by ``margin`` (log10), the
    confirmation with ``confirm_seeds`` for ``confirm_cycles`` cycles."""

    NOTEBOOK = "04_lambda_search"

    data_root: str | None = None
    seed: int = 0
    dtype: str = "float32"
    hidden: int = 50
    batch_size: int = 100
    n_cycles: int = 2
    epochs_per_half_cycle: int = 2
    n_coarse: int = 20
    l_min: float = -5.0
    l_max: float = -1.0
    n_fine: int = 16
    top_k: int = 3
    margin: float = 0.25
    confirm_seeds: list = field(default_factory=lambda: [0, 1, 2, 3, 4])
    confirm_cycles: int = 3

    QUICK = {"n_coarse": 4, "n_fine": 3, "epochs_per_half_cycle": 1, "confirm_seeds": [0, 1]}
    RULES = {"seed": SEED, "hidden": COUNT, "batch_size": COUNT, "n_cycles": COUNT, "epochs_per_half_cycle": COUNT,
             "n_coarse": (lambda v: COUNT[0](v) and v >= 3, "an integer >= 3 (the smoothed peak fits a parabola)"),
             "l_min": NUMBER, "l_max": NUMBER, "n_fine": COUNT, "top_k": COUNT, "margin": NON_NEGATIVE,
             "confirm_seeds": (lambda v: SEEDS[0](v) and len(v) >= 2, "a list of at least 2 distinct integers >= 0"),
             "confirm_cycles": COUNT}

    def __post_init__(self):
        super().__post_init__()
        if self.l_min >= self.l_max:
            self.refuse("l_min", f"< l_max ({self.l_max})")

    def config(self, n_train: int) -> TrainConfig:
        """A search run's config (lambda 0), one record at its end."""
        return TrainConfig(batch_size=self.batch_size, n_s=search_n_s(n_train, self.batch_size,
                                                                      self.epochs_per_half_cycle),
                           n_cycles=self.n_cycles, hidden=self.hidden, seed=self.seed, dtype=self.dtype,
                           records_per_cycle=1, record_cycles=1)

    def expected_work(self, images: int) -> float:
        """Every coarse and fine run, and the confirmation's (the seed of the search continuing its runs)."""
        config = self.config(train_size("search", images))
        confirm = replace(config, n_cycles=self.confirm_cycles)
        return ((self.n_coarse + self.n_fine - self.top_k) * work(config)
                + (self.top_k + 1) * len(self.confirm_seeds) * work(confirm))


@dataclass(frozen=True)
class LambdaSearchSummary:
    """The settings, the runs of each stage, the fine range (log10), the best runs' rows, the smoothed peak
    (``search.smoothed_peak``), the confirmed lambdas' rows (the chosen one first) and ``best_lambda``."""

    n_train: int
    epochs_per_half_cycle: int
    top_k: int
    margin: float
    coarse_range: list[float]
    confirm_seeds: list[int]
    confirm_cycles: int
    n_val: int
    n_s: int
    n_cycles: int
    hidden: int
    seed: int
    batch_size: int
    n_coarse: int
    n_fine: int
    fine_range: list[float]
    best: list[dict]
    peak: Peak
    confirmed: list[dict]
    best_lambda: float
    seconds: float


class LambdaSearch(Result):
    """``summary``: a LambdaSearchSummary; ``tables``: ``coarse``, ``fine``, ``best``, ``confirm`` (its runs) and
    ``confirmed``."""

    NOTEBOOK = "04_lambda_search"
    SUMMARY = LambdaSearchSummary

    def headline(self) -> str:
        s = self.summary
        return (f"lambda = {s.best_lambda:.3e} (the smoothed peak {s.peak.lam:.3e}, confirmed over "
                f"{seeds_text(len(s.confirm_seeds))}; {s.n_coarse} coarse and {s.n_fine} fine runs)")


def run(settings: LambdaSearchSettings, store: RunStore, executor=None) -> LambdaSearch:
    """The three stages, each run trained on ``executor`` or read from ``store``."""
    s = settings
    train, val, _ = load_split("search", s.data_root, dtype=s.dtype)
    config, images = s.config(len(train[1])), len(train[1]) + len(val[1])
    options = {"executor": executor}
    rng = np.random.default_rng(s.seed)   # draws the coarse lambdas, then the fine ones
    store.doing(f"the coarse search of lambda ({s.n_coarse} values)", s.expected_work(images), s.later_work(images))
    coarse = search_lambdas(sample_lambdas(s.n_coarse, s.l_min, s.l_max, rng), train, val, config, store, **options)
    fine_min, fine_max = fine_range(coarse, s.top_k, s.margin)
    store.doing(f"the fine search of lambda ({s.n_fine} values)")
    fine = search_lambdas(sample_lambdas(s.n_fine, fine_min, fine_max, copy.deepcopy(rng)), train, val, config,
                          store, **options)
    peak = smoothed_peak(coarse + fine, s.l_min, s.l_max)
    best = best_runs(coarse + fine, s.top_k)
    store.doing(f"the candidate and the {s.top_k} best lambdas again, {len(s.confirm_seeds)} seeds")
    confirmed, confirm_runs = confirm_best(peak.lam, coarse + fine, s.top_k, s.confirm_seeds, train, val,
                                           replace(config, n_cycles=s.confirm_cycles), store, **options)
    summary = LambdaSearchSummary(len(train[1]), s.epochs_per_half_cycle, s.top_k, s.margin, [s.l_min, s.l_max],
                                  s.confirm_seeds, s.confirm_cycles, len(val[1]), config.n_s, config.n_cycles,
                                  config.hidden, config.seed, config.batch_size, len(coarse), len(fine),
                                  [fine_min, fine_max], best, peak, confirmed, confirmed[0]["lambda"],
                                  sum(r["seconds"] for r in coarse + fine))
    tables = {"coarse": coarse, "fine": fine, "best": best, "confirm": confirm_runs, "confirmed": confirmed}
    return LambdaSearch(summary, tables)
