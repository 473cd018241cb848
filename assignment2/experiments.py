"""The study's experiments as functions returning plain rows (list of dicts) for tables."""

import time
from dataclasses import replace

import numpy as np

from .checks import positive_int, require
from .gradcheck import compare, numerical_gradients
from .network import SoftTargets, accuracy, dead_units, dropout_mask, gradients, init_params, log_softmax
from .parallel import map_tasks
from .search import best_runs, lambda_search
from .train import Diverged, TrainConfig, fresh_params, train


def _gradient_errors(lam: float, m: int, seed: int, h: float, dropout: float, distill, batch) -> list[dict]:
    """The rows of ``gradient_check`` for one lam; batch: (X (n, d), y (n,))."""
    X, y = batch
    rng = np.random.default_rng(seed)
    params = init_params(X.shape[1], m, rng=rng)
    keep = dropout_mask(rng, (len(y), m), dropout, np.dtype(np.float64)) if dropout else None
    alpha, T = distill or (0.0, 1.0)
    soft = SoftTargets(np.exp(log_softmax(2 * rng.standard_normal((len(y), params.W2.shape[0])))), alpha, T) \
        if distill else None
    report = compare(gradients(params, X, y, lam, keep, soft), numerical_gradients(params, X, y, lam, h, keep, soft))
    return [{"d": X.shape[1], "m": m, "n": len(y), "lam": lam, "dropout": dropout, "alpha": alpha, "temperature": T,
             "parameter": name, **errors} for name, errors in report.items()]


def gradient_check(X: np.ndarray, y: np.ndarray, m: int, lams, seed: int = 0, h: float = 1e-5,
                   executor=None, dropout: float = 0.0, distill=None) -> list[dict]:
    """Analytic vs centred-difference gradients (float64) on X (n, d), y (n,); a row per (lam, parameter).

    dropout: if > 0, the hidden layer is multiplied by one fixed inverted-dropout mask of
    this rate (drawn with ``seed``) in both. distill: (alpha, T) to check the loss of
    distillation from random teacher probabilities (drawn with ``seed``), or None. The lams
    are checked in parallel on ``executor`` (see ``parallel.run_tasks``)."""
    require(isinstance(dropout, (int, float)) and 0 <= dropout < 1, "dropout", "a number in [0, 1)", dropout)
    if distill is not None:
        require(isinstance(distill, (tuple, list)) and len(distill) == 2, "distill", "an (alpha, T) pair or None",
                distill)
        SoftTargets(np.zeros((0, 0)), *distill)   # alpha and T checked by name
    data = ((np.asarray(X, dtype=np.float64), np.asarray(y)),)
    tables = map_tasks(_gradient_errors, [(lam, m, seed, h, dropout, distill) for lam in lams], data, executor)
    return [row for rows in tables for row in rows]


def _setting(config: TrainConfig) -> dict:
    """The config values a result row of ``run`` names."""
    return {"seed": config.seed, "hidden": config.hidden, "batch_size": config.batch_size, "n_s": config.n_s,
            "n_cycles": config.n_cycles, "lam": config.lam, "eta_min": config.eta_min, "eta_max": config.eta_max,
            "cost_method": config.cost_method}


def run(config: TrainConfig, train_data, val_data, test_data, progress: bool = False):
    """Initialise (seeded by config.seed), train and test one network: (History, row).

    The row's ``dead_units`` counts hidden units that are zero on every training image.
    """
    start = time.perf_counter()
    params, history = train(fresh_params(config, train_data[0].shape[1]), train_data, val_data, config,
                            progress=progress)
    last = history.final()
    return history, {**_setting(config), "train_acc": last["train_acc"], "val_acc": last["val_acc"],
                     "test_acc": accuracy(params, *test_data), "seconds": time.perf_counter() - start,
                     "dead_units": dead_units(params, train_data[0])}


def run_or_diverge(config: TrainConfig, train_data, val_data, test_data, progress: bool = False):
    """``run``, but a run that diverges gives (None, row) with NaN accuracies and the step
    (``diverged_at``), learning rate and cost at which it was stopped; others have diverged_at None."""
    start = time.perf_counter()
    try:
        history, row = run(config, train_data, val_data, test_data, progress)
        return history, {**row, "diverged_at": None, "diverged_eta": None}
    except Diverged as err:
        nan = float("nan")
        return None, {**_setting(config), "train_acc": nan, "val_acc": nan, "test_acc": nan,
                      "seconds": time.perf_counter() - start, "dead_units": nan,
                      "diverged_at": err.step, "diverged_eta": err.eta}


def run_all(configs, data, executor=None, progress: bool = False, task=run) -> list[tuple]:
    """``task`` (``run`` or ``run_or_diverge``) for every config on data = (train, val, test) pairs,
    in parallel on ``executor``.

    Returns [(History, row)] in the order of ``configs``. In this process (executor None),
    ``progress`` shows each run's steps; on an executor, the finished runs."""
    configs = list(configs)
    if executor is None:
        return [task(config, *data, progress=progress) for config in configs]
    # the longest runs first, so that no worker is left with a long run at the end
    order = sorted(range(len(configs)), key=lambda i: -configs[i].total_steps * configs[i].batch_size * configs[i].hidden)
    results = [None] * len(configs)
    for i, result in zip(order, map_tasks(task, [(configs[i],) for i in order], data, executor,
                                          "runs" if progress else None)):
        results[i] = result
    return results


def over_seeds(configs: dict, seeds, data, executor=None, progress: bool = False) -> dict:
    """``run`` every named config once per seed, all in parallel on ``executor``.

    configs: name -> TrainConfig. Returns name -> (histories by seed, rows). Only the first
    seed records as config says (its curves are the ones shown); the others record only at
    their last step, which leaves their training and results unchanged.
    """
    first = seeds[0]
    runs = [(name, seed) for name in configs for seed in seeds]
    final_only = {"records_per_cycle": 1, "record_cycles": 1}
    results = run_all([replace(configs[name], seed=seed, **({} if seed == first else final_only))
                       for name, seed in runs], data, executor, progress)
    out = {name: ({}, []) for name in configs}
    for (name, seed), (history, row) in zip(runs, results):
        out[name][0][seed] = history
        out[name][1].append(row)
    return out


def mean_std(rows: list[dict], key: str) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one row) of ``key`` over rows (NaN for none)."""
    values = np.array([row[key] for row in rows], dtype=float)
    if len(values) == 0:
        return float("nan"), float("nan")
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


SUMMARY = ("train_acc", "val_acc", "test_acc", "seconds", "dead_units")


def summarise(rows: list[dict], by: list[str]) -> list[dict]:
    """One row per distinct value of the ``by`` keys (in order of appearance): those keys, the
    number of seeds, and the mean and std of every SUMMARY key over the seeds whose run finished;
    rows of ``run_or_diverge`` add how many diverged, and the earliest step and its learning rate."""
    groups = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in by), []).append(row)
    summary = []
    for key, group in groups.items():
        finished = [row for row in group if row.get("diverged_at") is None]
        out = dict(zip(by, key), n_seeds=len(group))
        for name in SUMMARY:
            out[f"{name}_mean"], out[f"{name}_std"] = mean_std(finished, name)
        out["seconds_median"] = float(np.median([row["seconds"] for row in group]))
        if "diverged_at" in group[0]:
            first = min((row for row in group if row["diverged_at"] is not None), default=None,
                        key=lambda row: row["diverged_at"])
            out.update(n_diverged=len(group) - len(finished), diverged_at=first["diverged_at"] if first else "",
                       diverged_eta=first["diverged_eta"] if first else "")
        summary.append(out)
    return summary


def cost_methods(config: TrainConfig, data, methods=("full", "running_mean", "ema"), repeats: int = 3):
    """Each training-cost method run ``repeats`` times (same seed), one after another in this
    process so the wall times compare: (histories by method, rows with the median, min and max seconds)."""
    repeats = positive_int("repeats", repeats)
    histories, rows = {}, []
    for method in methods:
        results = [run(replace(config, cost_method=method), *data) for _ in range(repeats)]
        history, row = results[0]
        seconds = [r["seconds"] for _, r in results]
        histories[method] = history
        rows.append({"method": method, "final_train_cost": history.train_cost[-1],
                     "final_val_cost": history.val_cost[-1], "test_acc": row["test_acc"], "repeats": repeats,
                     "seconds": float(np.median(seconds)), "seconds_min": min(seconds), "seconds_max": max(seconds)})
    return histories, rows


SAME_RUN = ("batch_size", "n_s", "n_cycles", "lam", "eta_min", "eta_max")


def hidden_sizes(config: TrainConfig, data, sizes=(50, 100, 200), seeds=(0,), executor=None, runs=()) -> list[dict]:
    """Every hidden size with every seed, otherwise ``config``: summary rows (see ``summarise``).

    ``runs``: rows of ``run`` made already (e.g. by ``over_seeds``); those made with this
    config's SAME_RUN settings are reused rather than trained again.
    """
    reused = {(row["hidden"], row["seed"]): row for row in runs
              if all(row[k] == getattr(config, k) for k in SAME_RUN)}
    todo = [(m, seed) for m in sizes for seed in seeds if (m, seed) not in reused]
    new = run_all([replace(config, hidden=m, seed=seed) for m, seed in todo], data, executor)
    made = {**reused, **{key: row for key, (_, row) in zip(todo, new)}}
    return summarise([made[m, seed] for m in sizes for seed in seeds], ["hidden", "n_cycles", "n_s"])


ETA_SCALINGS = ("fixed", "linear")


def batch_sizes(config: TrainConfig, data, sizes=(10, 50, 100, 200), seeds=(0,), executor=None) -> list[dict]:
    """Every batch size with every seed, with the learning rates fixed and scaled linearly with the batch.

    n_s is scaled so every run sees the same number of epochs: n_s = config.n_s * config.batch_size / b.
    "fixed" keeps config's eta_min and eta_max; "linear" multiplies both by b / config.batch_size
    (the linear scaling rule). A run that diverges is counted, not raised. Summary rows (see
    ``summarise``) with the key ``eta_scaling``.
    """
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
    runs = run_all(configs, data, executor, task=run_or_diverge)
    rows = [{"eta_scaling": scaling, **row} for scaling, (_, row) in zip(scalings, runs)]
    return summarise(rows, ["eta_scaling", "batch_size", "n_s", "eta_min", "eta_max"])


def search_n_s(n_train: int, batch_size: int, epochs_per_half_cycle: int = 2) -> int:
    """The assignment's step size n_s = k * floor(n / batch_size) (k epochs per half cycle)."""
    return positive_int("epochs_per_half_cycle", epochs_per_half_cycle) * (n_train // batch_size)


def fine_range(rows: list[dict], k: int = 3, margin: float = 0.25) -> tuple[float, float]:
    """log10 range for the fine search: spanning the k best coarse lambdas, widened by ``margin``."""
    require(len(rows) >= 1, "rows", "at least one finished run", len(rows))
    logs = np.log10([r["lambda"] for r in best_runs(rows, k)])
    return float(logs.min() - margin), float(logs.max() + margin)


def confirm_best(rows: list[dict], k: int, seeds, train_data, val_data, config: TrainConfig, results_path,
                 executor=None, progress: bool = False) -> list[dict]:
    """Re-train the k best lambdas of ``rows`` with ``config`` (e.g. the final model's schedule) and ``seeds``.

    The runs go to the resumable CSV ``results_path`` (see ``lambda_search``). Returns one row
    per lambda with the mean and std of the validation accuracy over the seeds, best mean first.
    """
    lambdas = [row["lambda"] for row in best_runs(rows, k)]
    by_lambda = {lam: [] for lam in lambdas}
    runs = lambda_search(lambdas, train_data, val_data, config, results_path, executor, progress, seeds)
    for row in runs:
        if row["lambda"] in by_lambda and row["seed"] in seeds:
            by_lambda[row["lambda"]].append(row)
    summary = []
    for lam, runs in by_lambda.items():
        mean, std = mean_std(runs, "val_acc")
        summary.append({"lambda": lam, "val_acc_mean": mean, "val_acc_std": std, "n_seeds": len(runs),
                        "train_acc_mean": mean_std(runs, "train_acc")[0]})
    return sorted(summary, key=lambda r: -r["val_acc_mean"])
