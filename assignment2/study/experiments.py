"""Many configs trained at once (or read from the run store), as result rows; their summary over seeds."""

from dataclasses import dataclass, replace

import numpy as np

from ..core.checks import positive_int
from ..core.network import accuracy, dead_units
from ..core.train import TrainConfig
from .stats import mean_sd
from .store import Run, RunStore


def _setting(config: TrainConfig) -> dict:
    """The config values a result row of ``run_all`` names."""
    return {"seed": config.seed, "hidden": config.hidden, "batch_size": config.batch_size, "n_s": config.n_s,
            "n_cycles": config.n_cycles, "lam": config.lam, "eta_min": config.eta_min, "eta_max": config.eta_max,
            "cost_method": config.cost_method}


def test_row(run: Run, train_data, test_data) -> dict:
    """The result row of a stored run: its config values, training and validation accuracy, seconds,
    the test accuracy of its final parameters and its ``dead_units`` (hidden units that are zero on
    every training image); a run that diverged has NaN for these and the step (``diverged_at``) and
    learning rate at which it was stopped."""
    row = {**_setting(run.config), "train_acc": run.row["train_acc"], "val_acc": run.row["val_acc"], "run": run.key}
    if run.diverged:
        nan = float("nan")
        return {**row, "train_acc": nan, "val_acc": nan, "test_acc": nan, "seconds": run.row["seconds"],
                "dead_units": nan, "diverged_at": run.row["diverged_at"], "diverged_eta": run.row["diverged_eta"]}
    return {**row, "test_acc": accuracy(run.final, *test_data), "seconds": run.row["seconds"],
            "dead_units": dead_units(run.final, train_data[0]), "diverged_at": None, "diverged_eta": None}


def run_all(configs, data, store: RunStore, executor=None, progress: bool = False, repeats=None) -> list[tuple]:
    """Every config trained (seeded by its seed) on data = (train, val, test) pairs, or read from
    ``store``: [(History, ``test_row``)] in the order of ``configs``.

    Runs not stored yet are trained in parallel on ``executor``, the longest first, so that no
    worker is left with a long run at the end. repeats: see ``RunStore.runs``."""
    configs = list(configs)
    train_data, val_data, test_data = data
    work = [config.total_steps * config.batch_size * config.hidden for config in configs]
    order = sorted(range(len(configs)), key=lambda i: -work[i])
    runs = store.runs([configs[i] for i in order], train_data, val_data, executor=executor, progress=progress,
                      repeats=None if repeats is None else [repeats[i] for i in order])
    results = [None] * len(configs)
    for i, run in zip(order, runs):
        results[i] = (run.history, test_row(run, train_data, test_data))
    return results


def over_seeds(configs: dict, seeds, data, store: RunStore, executor=None, progress: bool = False) -> dict:
    """``run_all`` for every named config once per seed, all in parallel on ``executor``.

    configs: name -> TrainConfig. Returns name -> (histories by seed, rows). Only the first
    seed records as config says (its curves are the ones shown); the others record only at
    their last step, which leaves their training and results unchanged.
    """
    first = seeds[0]
    runs = [(name, seed) for name in configs for seed in seeds]
    final_only = {"records_per_cycle": 1, "record_cycles": 1}
    results = run_all([replace(configs[name], seed=seed, **({} if seed == first else final_only))
                       for name, seed in runs], data, store, executor, progress)
    out = {name: ({}, []) for name in configs}
    for (name, seed), (history, row) in zip(runs, results):
        out[name][0][seed] = history
        out[name][1].append(row)
    return out


SUMMARY = ("train_acc", "val_acc", "test_acc", "seconds", "dead_units")


def summarise(rows: list[dict], by: list[str]) -> list[dict]:
    """One row per distinct value of the ``by`` keys (in order of appearance): those keys, the
    number of seeds, and the mean and std of every SUMMARY key over the seeds whose run finished;
    rows of ``test_row`` add how many diverged, and the earliest step and its learning rate."""
    groups = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in by), []).append(row)
    summary = []
    for key, group in groups.items():
        finished = [row for row in group if row.get("diverged_at") is None]
        out = dict(zip(by, key), n_seeds=len(group))
        for name in SUMMARY:
            out[f"{name}_mean"], out[f"{name}_std"] = mean_sd([row[name] for row in finished])
        out["seconds_median"] = float(np.median([row["seconds"] for row in group]))
        if "diverged_at" in group[0]:
            first = min((row for row in group if row["diverged_at"] is not None), default=None,
                        key=lambda row: row["diverged_at"])
            out.update(n_diverged=len(group) - len(finished), diverged_at=first["diverged_at"] if first else "",
                       diverged_eta=first["diverged_eta"] if first else "")
        summary.append(out)
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


def seed_summary(rows: list[dict]) -> dict:
    """The fields of ``OverSeeds`` from ``test_row`` of each seed."""
    test = [r["test_acc"] for r in rows]
    return {"test_acc_mean": mean_sd(test)[0], "test_acc_std": mean_sd(test)[1], "test_accs": test,
            "val_acc_mean": mean_sd([r["val_acc"] for r in rows])[0],
            "train_acc_mean": mean_sd([r["train_acc"] for r in rows])[0]}


def search_n_s(n_train: int, batch_size: int, epochs_per_half_cycle: int = 2) -> int:
    """The assignment's step size n_s = k * floor(n / batch_size) (k epochs per half cycle)."""
    return positive_int("epochs_per_half_cycle", epochs_per_half_cycle) * (n_train // batch_size)
