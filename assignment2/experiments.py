"""The study's experiments as functions returning plain rows (list of dicts) for tables."""

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .checks import positive_int, require
from .gradcheck import compare, numerical_gradients
from .network import accuracy, dead_units, gradients, init_params
from .search import best_runs, lambda_search
from .train import TrainConfig, fresh_params, train


def gradient_check(X: np.ndarray, y: np.ndarray, m: int, lams, seed: int = 0, h: float = 1e-5) -> list[dict]:
    """Analytic vs centred-difference gradients (float64) on X (n, d), y (n,); a row per (lam, parameter)."""
    X = np.asarray(X, dtype=np.float64)
    params = init_params(X.shape[1], m, rng=np.random.default_rng(seed))
    rows = []
    for lam in lams:
        report = compare(gradients(params, X, y, lam), numerical_gradients(params, X, y, lam, h))
        rows += [{"d": X.shape[1], "m": m, "n": len(y), "lam": lam, "parameter": name, **errors}
                 for name, errors in report.items()]
    return rows


def run(config: TrainConfig, train_data, val_data, test_data, progress: bool = False):
    """Initialise (seeded by config.seed), train and test one network: (History, row).

    The row's ``dead_units`` counts hidden units that are zero on every training image.
    """
    start = time.perf_counter()
    params, history = train(fresh_params(config, train_data[0].shape[1]), train_data, val_data, config,
                            progress=progress)
    last = history.final()
    return history, {"seed": config.seed, "hidden": config.hidden, "batch_size": config.batch_size,
                     "n_s": config.n_s, "n_cycles": config.n_cycles, "lam": config.lam,
                     "cost_method": config.cost_method,
                     "train_acc": last["train_acc"], "val_acc": last["val_acc"],
                     "test_acc": accuracy(params, *test_data), "seconds": time.perf_counter() - start,
                     "dead_units": dead_units(params, train_data[0])}


def over_seeds(config: TrainConfig, seeds, data, progress: bool = False):
    """``run`` once per seed: (histories by seed, rows)."""
    results = [run(replace(config, seed=seed), *data, progress=progress) for seed in seeds]
    return {seed: h for seed, (h, _) in zip(seeds, results)}, [row for _, row in results]


def mean_std(rows: list[dict], key: str) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one row) of ``key`` over rows."""
    values = np.array([row[key] for row in rows], dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def cost_methods(config: TrainConfig, data, methods=("full", "running_mean", "ema")):
    """One run per training-cost method (same seed): (histories by method, rows with wall time)."""
    histories, rows = {}, []
    for method in methods:
        history, row = run(replace(config, cost_method=method), *data)
        histories[method] = history
        rows.append({"method": method, "final_train_cost": history.train_cost[-1],
                     "final_val_cost": history.val_cost[-1], "test_acc": row["test_acc"],
                     "seconds": row["seconds"]})
    return histories, rows


def size_effects(config: TrainConfig, data, hidden_sizes=(50, 100, 200), batch_sizes=(10, 50, 100, 200)) -> list[dict]:
    """Vary the hidden size (at config.batch_size), then the batch size (at config.hidden).

    The step size n_s is scaled with the batch size so every run sees the same number of
    epochs: n_s = config.n_s * config.batch_size / batch_size.
    """
    n_train = len(data[0][1])
    rows = []
    for m in hidden_sizes:
        rows.append({"varied": "hidden", **run(replace(config, hidden=m), *data)[1]})
    for b in batch_sizes:
        require(b <= n_train, "batch_sizes", f"<= the number of training samples ({n_train})", b)
        n_s = max(1, round(config.n_s * config.batch_size / b))
        rows.append({"varied": "batch", **run(replace(config, batch_size=b, n_s=n_s), *data)[1]})
    return rows


def search_n_s(n_train: int, batch_size: int, epochs_per_half_cycle: int = 2) -> int:
    """The assignment's step size n_s = k * floor(n / batch_size) (k epochs per half cycle)."""
    return positive_int("epochs_per_half_cycle", epochs_per_half_cycle) * (n_train // batch_size)


def fine_range(rows: list[dict], k: int = 3, margin: float = 0.25) -> tuple[float, float]:
    """log10 range for the fine search: spanning the k best coarse lambdas, widened by ``margin``."""
    require(len(rows) >= 1, "rows", "at least one finished run", len(rows))
    logs = np.log10([r["lambda"] for r in best_runs(rows, k)])
    return float(logs.min() - margin), float(logs.max() + margin)


def confirm_best(rows: list[dict], k: int, seeds, train_data, val_data, config: TrainConfig, folder,
                 executor=None) -> list[dict]:
    """Re-train the k best lambdas of ``rows`` with ``config`` (e.g. the final model's schedule) and ``seeds``.

    Each seed's runs go to ``folder/confirm_seed{seed}.csv`` (resumable). Returns one row per
    lambda with the mean and std of the validation accuracy over the seeds, best mean first.
    """
    lambdas = [row["lambda"] for row in best_runs(rows, k)]
    by_lambda = {lam: [] for lam in lambdas}
    for seed in seeds:
        runs = lambda_search(lambdas, train_data, val_data, replace(config, seed=seed),
                             Path(folder) / f"confirm_seed{seed}.csv", executor)
        for row in runs:
            by_lambda[row["lambda"]].append(row)
    summary = []
    for lam, runs in by_lambda.items():
        mean, std = mean_std(runs, "val_acc")
        summary.append({"lambda": lam, "val_acc_mean": mean, "val_acc_std": std, "n_seeds": len(runs),
                        "train_acc_mean": mean_std(runs, "train_acc")[0]})
    return sorted(summary, key=lambda r: -r["val_acc_mean"])
