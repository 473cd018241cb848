"""Exercise 3: one cycle and three cycles of the triangular schedule, three ways of recording the training
cost, and the hidden and batch sizes, each over several seeds."""

from dataclasses import dataclass, field, replace

import numpy as np

from ...core.checks import COUNT, COUNTS, NON_NEGATIVE, SEEDS, positive_int, require
from ...core.config import COST_METHODS, TrainConfig
from ..experiments import BatchSummary, OverSeeds, WidthSummary, over_seeds, run_all, seed_summary, summarise
from ..splits import load_split
from ..progress import work
from ..store import RunStore
from .base import Result, Settings, seeds_text

SCHEDULES = {"one_cycle": 1, "three_cycles": 3}   # name -> cycles
ETA_SCALINGS = ("fixed", "linear")
#: The settings a run of the hidden sizes shares with the three-cycle runs (which it reuses).
SAME_RUN = ("batch_size", "n_s", "n_cycles", "lam", "eta_min", "eta_max")


@dataclass(frozen=True)
class CyclicalSettings(Settings):
    """Batch 100, lambda = 0.01, eta from 1e-5 to 1e-1 on exercise 3's split (one batch to train on)."""

    NOTEBOOK = "03_cyclical_lr"

    data_root: str | None = None
    seeds: list = field(default_factory=lambda: [0, 1, 2])
    dtype: str = "float32"
    lam: float = 0.01
    batch_size: int = 100
    n_s_one: int = 500
    n_s_three: int = 800
    records_per_cycle: int = 10
    timing_repeats: int = 3
    hidden_sizes: list = field(default_factory=lambda: [50, 100, 200])
    batch_sizes: list = field(default_factory=lambda: [10, 50, 100, 200])

    QUICK = {"n_s_one": 20, "n_s_three": 10, "seeds": [0, 1], "hidden_sizes": [20, 40], "batch_sizes": [20, 50]}
    RULES = {"seeds": SEEDS, "lam": NON_NEGATIVE, "batch_size": COUNT, "n_s_one": COUNT, "n_s_three": COUNT,
             "records_per_cycle": COUNT, "timing_repeats": COUNT, "hidden_sizes": COUNTS, "batch_sizes": COUNTS}

    def base(self) -> TrainConfig:
        return TrainConfig(batch_size=self.batch_size, lam=self.lam, records_per_cycle=self.records_per_cycle,
                           dtype=self.dtype)

    def schedules(self) -> dict:
        """Name -> the TrainConfig of the one-cycle and the three-cycle run."""
        n_s = {"one_cycle": self.n_s_one, "three_cycles": self.n_s_three}
        return {name: replace(self.base(), n_s=n_s[name], n_cycles=cycles) for name, cycles in SCHEDULES.items()}

    def expected_work(self, images: int) -> float:
        """Every seed of the two schedules, the cost methods' timed repeats and the hidden and batch sizes (each b
        but the base one with two scalings of eta); a run that two tables share counted once."""
        one, three = self.schedules().values()
        timed = (len(COST_METHODS) * self.timing_repeats - 1) * work(one)
        widths = sum(work(replace(three, hidden=m)) for m in self.hidden_sizes if m != three.hidden)
        batches = sum(work(replace(one, batch_size=b, n_s=max(1, round(one.n_s * one.batch_size / b))))
                      * (1 + (b != one.batch_size)) for b in self.batch_sizes)
        return len(self.seeds) * (work(one) + work(three) + widths + batches) + timed


@dataclass(frozen=True)
class Schedule(OverSeeds):
    """One schedule's test accuracy over the seeds, with its n_s and cycles."""

    n_s: int = 0
    cycles: int = 0


@dataclass(frozen=True)
class CostMethod:
    """One way of recording the cost: where the one-cycle run ended, and its median, min and max seconds."""

    method: str
    final_train_cost: float
    final_val_cost: float
    test_acc: float
    repeats: int
    seconds: float
    seconds_min: float
    seconds_max: float


@dataclass(frozen=True)
class CyclicalSummary:
    """The shared settings, each schedule over the seeds, the cost methods by name, and the size tables' rows
    (``experiments.summarise``)."""

    seeds: list[int]
    dtype: str
    lam: float
    batch_size: int
    n_train: int
    hidden: int
    eta_min: float
    eta_max: float
    one_cycle: Schedule
    three_cycles: Schedule
    cost_methods: dict[str, CostMethod]
    timing_repeats: int
    hidden_sizes: list[WidthSummary]
    batch_sizes: list[BatchSummary]


class CyclicalLR(Result):
    """``summary``: a CyclicalSummary; ``tables``: ``<schedule>_seeds``, ``cost_methods``, ``hidden_sizes``,
    ``batch_sizes``; ``histories``: ``<schedule>_history`` (the first seed) and ``cost_<method>_history``."""

    NOTEBOOK = "03_cyclical_lr"
    SUMMARY = CyclicalSummary

    def cost_histories(self) -> dict:
        """Method -> the History of the one-cycle run recording the cost that way."""
        return {method: self.histories[f"cost_{method}_history"] for method in COST_METHODS}

    def headline(self) -> str:
        s = self.summary
        return "; ".join(f"{name.replace('_', ' ')}: test accuracy {schedule.test_acc_mean:.2%} ± "
                         f"{schedule.test_acc_std:.2%} over {seeds_text(len(s.seeds))}"
                         for name, schedule in (("one_cycle", s.one_cycle), ("three_cycles", s.three_cycles)))


def cost_methods(config: TrainConfig, data, store: RunStore, repeats: int = 3) -> tuple[dict, list[dict]]:
    """Each training-cost method run ``repeats`` times (same seed), one after another in this process so
    the wall times compare: (Histories by method, rows with the median, min and max seconds)."""
    repeats = positive_int("repeats", repeats)
    configs = [replace(config, cost_method=method) for method in COST_METHODS for _ in range(repeats)]
    results = run_all(configs, data, store, repeats=list(range(repeats)) * len(COST_METHODS))
    histories, rows = {}, []
    for i, method in enumerate(COST_METHODS):
        timed = results[i * repeats:(i + 1) * repeats]
        history, row = timed[0]
        seconds = [r.seconds for _, r in timed]
        histories[method] = history
        rows.append({"method": method, "final_train_cost": history.train_cost[-1],
                     "final_val_cost": history.val_cost[-1], "test_acc": row.test_acc, "repeats": repeats,
                     "seconds": float(np.median(seconds)), "seconds_min": min(seconds), "seconds_max": max(seconds)})
    return histories, rows


def hidden_sizes(config: TrainConfig, data, store: RunStore, sizes, seeds, executor=None, *,
                 runs=()) -> list[WidthSummary]:
    """Every hidden size with every seed, otherwise ``config``, summarised over the seeds.

    ``runs``: ``ResultRow``s of ``run_all`` made already; those made with this config's SAME_RUN settings are
    reused."""
    reused = {(row.hidden, row.seed): row for row in runs
              if all(getattr(row, k) == getattr(config, k) for k in SAME_RUN)}
    todo = [(m, seed) for m in sizes for seed in seeds if (m, seed) not in reused]
    new = run_all([replace(config, hidden=m, seed=seed) for m, seed in todo], data, store, executor)
    made = {**reused, **{key: row for key, (_, row) in zip(todo, new)}}
    return summarise([made[m, seed] for m in sizes for seed in seeds], WidthSummary)


def batch_sizes(config: TrainConfig, data, store: RunStore, sizes, seeds, executor=None) -> list[BatchSummary]:
    """Every batch size b with every seed, n_s scaled to keep the epochs (n_s = config.n_s * config.batch_size
    / b), the learning rates fixed and scaled linearly with the batch ("linear": times b / config.batch_size).
    A run that diverges is counted, not raised. Summarised over the seeds."""
    n_train = len(data[0][1])
    configs, scalings = [], []
    for b in sizes:
        require(b <= n_train, "batch_sizes", f"<= the number of training samples ({n_train})", b)
        n_s = max(1, round(config.n_s * config.batch_size / b))
        for scaling in ETA_SCALINGS:
            factor = 1.0 if scaling == "fixed" else b / config.batch_size
            for seed in seeds:
                configs.append(replace(config, batch_size=b, n_s=n_s, seed=seed,
                                       eta_min=config.eta_min * factor, eta_max=config.eta_max * factor))
                scalings.append(scaling)
    runs = run_all(configs, data, store, executor)
    return summarise([row for _, row in runs], BatchSummary, [{"eta_scaling": scaling} for scaling in scalings])


def run(settings: CyclicalSettings, store: RunStore, executor=None) -> CyclicalLR:
    """Every run of the exercise, trained on ``executor`` or read from ``store``."""
    s = settings
    split = load_split("ex3", s.data_root, dtype=s.dtype)
    schedules = s.schedules()
    tables, histories, over = {}, {}, {}
    images = 5 * len(split[0][1])       # exercise 3 trains on one of the five batches
    store.doing("one and three cycles, every seed", s.expected_work(images), s.later_work(images))
    for name, (by_seed, rows) in over_seeds(schedules, s.seeds, split, store, executor).items():
        histories[f"{name}_history"], tables[f"{name}_seeds"] = by_seed[s.seeds[0]], rows
        over[name] = Schedule(**seed_summary(rows), n_s=schedules[name].n_s, cycles=schedules[name].n_cycles)
    store.doing("the three ways of recording the cost, each timed one run at a time")
    method_histories, tables["cost_methods"] = cost_methods(schedules["one_cycle"], split, store, s.timing_repeats)
    histories.update({f"cost_{method}_history": h for method, h in method_histories.items()})
    store.doing("hidden sizes, every seed")
    tables["hidden_sizes"] = hidden_sizes(replace(schedules["three_cycles"], records_per_cycle=1, record_cycles=1),
                                          split, store, s.hidden_sizes, s.seeds, executor,
                                          runs=tables["three_cycles_seeds"])
    store.doing("batch sizes, eta fixed and scaled, every seed")
    tables["batch_sizes"] = batch_sizes(replace(s.base(), n_s=s.n_s_one, records_per_cycle=1), split, store,
                                        s.batch_sizes, s.seeds, executor)
    base = s.base()
    summary = CyclicalSummary(list(s.seeds), base.dtype, base.lam, base.batch_size, len(split[0][1]), base.hidden,
                              base.eta_min, base.eta_max, over["one_cycle"], over["three_cycles"],
                              {r["method"]: CostMethod(**r) for r in tables["cost_methods"]}, s.timing_repeats,
                              tables["hidden_sizes"], tables["batch_sizes"])
    return CyclicalLR(summary, tables, histories)
