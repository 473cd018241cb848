"""Many configs trained at once (or read from the run store), as result rows; their summary over seeds."""

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from ..core.checks import positive_int
from ..core.network import accuracy, dead_units
from .stats import mean_sd
from .store import Run, RunStore


@dataclass(frozen=True)
class ResultRow:
    """The result row of a stored run: its config values, training and validation accuracy, its key in the run
    store, the test accuracy of its final parameters, seconds, its ``dead_units`` (hidden units that are zero on
    every training image), and the step and learning rate at which it was stopped (None unless it diverged;
    then its accuracies and dead units are NaN)."""

    seed: int
    hidden: int
    batch_size: int
    n_s: int
    n_cycles: int
    lam: float
    eta_min: float
    eta_max: float
    cost_method: str
    train_acc: float
    val_acc: float
    run: str
    test_acc: float
    seconds: float
    dead_units: float
    diverged_at: int | None = None
    diverged_eta: float | None = None


def test_row(run: Run, train_data, test_data) -> ResultRow:
    """The ``ResultRow`` of a stored run; train_data, test_data: (X (n, d), y (n,))."""
    c, nan = run.config, float("nan")
    setting = dict(seed=c.seed, hidden=c.hidden, batch_size=c.batch_size, n_s=c.n_s, n_cycles=c.n_cycles, lam=c.lam,
                   eta_min=c.eta_min, eta_max=c.eta_max, cost_method=c.cost_method, run=run.key,
                   seconds=run.row.seconds)
    if run.diverged:
        return ResultRow(**setting, train_acc=nan, val_acc=nan, test_acc=nan, dead_units=nan,
                         diverged_at=run.row.diverged_at, diverged_eta=run.row.diverged_eta)
    return ResultRow(**setting, train_acc=run.row.train_acc, val_acc=run.row.val_acc,
                     test_acc=accuracy(run.final, *test_data), dead_units=dead_units(run.final, train_data[0]))


def run_all(configs, data, store: RunStore, executor=None, repeats=None) -> list[tuple]:
    """[(History, ``ResultRow``)] of every config, in order, trained on data = (train, val, test) pairs or read from
    ``store``; runs to train go to ``executor``, the longest first. repeats: see ``RunStore.runs``."""
    configs = list(configs)
    train_data, val_data, test_data = data
    runs = store.runs(configs, train_data, val_data, executor=executor, repeats=repeats)   # the longest first
    return [(run.history, test_row(run, train_data, test_data)) for run in runs]


def over_seeds(configs: dict, seeds, data, store: RunStore, executor=None) -> dict:
    """``run_all`` of every named config (name -> TrainConfig) once per seed: name -> (histories by seed, rows). Only
    the first seed records as its config says; the others record at their last step (results unchanged)."""
    first = seeds[0]
    runs = [(name, seed) for name in configs for seed in seeds]
    final_only = {"records_per_cycle": 1, "record_cycles": 1}
    results = run_all([replace(configs[name], seed=seed, **({} if seed == first else final_only))
                       for name, seed in runs], data, store, executor)
    out = {name: ({}, []) for name in configs}
    for (name, seed), (history, row) in zip(runs, results):
        out[name][0][seed] = history
        out[name][1].append(row)
    return out


SUMMARY = ("train_acc", "val_acc", "test_acc", "seconds", "dead_units")


@dataclass(frozen=True)
class SeedsSummary:
    """One setting over its seeds: how many, the mean and std of every SUMMARY value over the seeds whose run
    finished, the median seconds over all of them, how many diverged, and the earliest divergence: its step and
    learning rate ("" if none diverged). A subclass adds the fields of the setting."""

    n_seeds: int
    train_acc_mean: float
    train_acc_std: float
    val_acc_mean: float
    val_acc_std: float
    test_acc_mean: float
    test_acc_std: float
    seconds_mean: float
    seconds_std: float
    dead_units_mean: float
    dead_units_std: float
    seconds_median: float
    n_diverged: int
    diverged_at: Any
    diverged_eta: Any


@dataclass(frozen=True)
class WidthSummary(SeedsSummary):
    """A hidden size over its seeds."""

    hidden: int
    n_cycles: int
    n_s: int


@dataclass(frozen=True)
class BatchSummary(SeedsSummary):
    """A batch size with its learning rates ("fixed", or scaled "linear"ly with the batch) over its seeds."""

    eta_scaling: str
    batch_size: int
    n_s: int
    eta_min: float
    eta_max: float


def summarise(rows: list[ResultRow], kind: type, extra: list[dict] | None = None) -> list:
    """One ``kind`` (a SeedsSummary) per distinct setting of the rows, in order of appearance: the setting is the
    values of the fields ``kind`` adds, read from each row (and from ``extra[i]`` for row i, if given)."""
    by = [f.name for f in fields(kind)][len(fields(SeedsSummary)):]
    groups = {}
    for i, row in enumerate(rows):
        values = {**vars(row), **(extra[i] if extra else {})}
        groups.setdefault(tuple(values[k] for k in by), []).append(row)
    summary = []
    for key, group in groups.items():
        finished = [row for row in group if row.diverged_at is None]
        stats = {}
        for name in SUMMARY:
            stats[f"{name}_mean"], stats[f"{name}_std"] = mean_sd([getattr(row, name) for row in finished])
        first = min((row for row in group if row.diverged_at is not None), default=None,
                    key=lambda row: row.diverged_at)
        summary.append(kind(**dict(zip(by, key)), n_seeds=len(group), **stats,
                            seconds_median=float(np.median([row.seconds for row in group])),
                            n_diverged=len(group) - len(finished), diverged_at=first.diverged_at if first else "",
                            diverged_eta=first.diverged_eta if first else ""))
    return summary


@dataclass(frozen=True)
class OverSeeds:
    """The test accuracy of one setting over its seeds (mean, sd, each seed's), the mean validation and
    training accuracy."""

    test_acc_mean: float
    test_acc_std: float
    test_accs: list[float]
    val_acc_mean: float
    train_acc_mean: float


def seed_summary(rows: list[ResultRow]) -> dict:
    """The fields of ``OverSeeds`` from the ``ResultRow`` of each seed."""
    test = [r.test_acc for r in rows]
    return {"test_acc_mean": mean_sd(test)[0], "test_acc_std": mean_sd(test)[1], "test_accs": test,
            "val_acc_mean": mean_sd([r.val_acc for r in rows])[0],
            "train_acc_mean": mean_sd([r.train_acc for r in rows])[0]}


def search_n_s(n_train: int, batch_size: int, epochs_per_half_cycle: int = 2) -> int:
    """The assignment's step size n_s = k * floor(n / batch_size) (k epochs per half cycle)."""
    return positive_int("epochs_per_half_cycle", epochs_per_half_cycle) * (n_train // batch_size)
