"""The study's experiments as functions returning plain rows (list of dicts) for tables."""

from dataclasses import replace

import numpy as np

from . import rule
from ..core.augment import random_augment
from ..core.checks import positive_int, require
from ..core.gradcheck import compare, numerical_gradients
from ..core.network import SoftTargets, accuracy, dead_units, dropout_mask, gradients, init_params, log_softmax
from .parallel import map_tasks
from .search import best_runs, lambda_search
from .sources import closure
from .store import Run, RunStore
from ..core.train import TrainConfig


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


#: The modules whose source decides a gradient check's rows (the key of its entry in the run store).
GRADIENT_CHECK_MODULES = closure("study.experiments")


def gradient_checks(X: np.ndarray, y: np.ndarray, m_full: int, m_small: int, d_small: int, lams, seed: int = 0,
                    h: float = 1e-5, dropout: float = 0.0, translate: int = 0, distill=None,
                    executor=None) -> list[dict]:
    """Notebook 01's three settings on X (n, 3072), y (n,), each row marked "augmented": every input with
    ``m_full`` hidden units; the first ``d_small`` inputs with ``m_small``; and every input of X flipped at
    random and shifted by up to ``translate`` pixels (drawn with ``seed``) with ``dropout`` and ``distill``."""
    plain = (gradient_check(X, y, m_full, lams, seed, h, executor)
             + gradient_check(X[:, :d_small], y, m_small, lams, seed, h, executor))
    moved = random_augment(X, np.random.default_rng(seed), flip=True, translate=translate)
    options = gradient_check(moved, y, m_full, lams, seed, h, executor, dropout=dropout, distill=distill)
    return [{**r, "augmented": False} for r in plain] + [{**r, "augmented": True} for r in options]


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
    row = {**_setting(run.config), "train_acc": run.row["train_acc"], "val_acc": run.row["val_acc"]}
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
    order = sorted(range(len(configs)), key=lambda i: -configs[i].total_steps * configs[i].batch_size * configs[i].hidden)
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
    rows of ``test_row`` add how many diverged, and the earliest step and its learning rate."""
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


def cost_methods(config: TrainConfig, data, store: RunStore, methods=("full", "running_mean", "ema"),
                 repeats: int = 3):
    """Each training-cost method run ``repeats`` times (same seed), one after another in this
    process so the wall times compare: (histories by method, rows with the median, min and max seconds)."""
    repeats = positive_int("repeats", repeats)
    configs = [replace(config, cost_method=method) for method in methods for _ in range(repeats)]
    results = run_all(configs, data, store, repeats=list(range(repeats)) * len(methods))
    histories, rows = {}, []
    for i, method in enumerate(methods):
        timed = results[i * repeats:(i + 1) * repeats]
        history, row = timed[0]
        seconds = [r["seconds"] for _, r in timed]
        histories[method] = history
        rows.append({"method": method, "final_train_cost": history.train_cost[-1],
                     "final_val_cost": history.val_cost[-1], "test_acc": row["test_acc"], "repeats": repeats,
                     "seconds": float(np.median(seconds)), "seconds_min": min(seconds), "seconds_max": max(seconds)})
    return histories, rows


SAME_RUN = ("batch_size", "n_s", "n_cycles", "lam", "eta_min", "eta_max")


def hidden_sizes(config: TrainConfig, data, store: RunStore, sizes=(50, 100, 200), seeds=(0,), executor=None,
                 runs=()) -> list[dict]:
    """Every hidden size with every seed, otherwise ``config``: summary rows (see ``summarise``).

    ``runs``: rows of ``run_all`` made already (e.g. by ``over_seeds``); those made with this
    config's SAME_RUN settings are reused rather than trained again.
    """
    reused = {(row["hidden"], row["seed"]): row for row in runs
              if all(row[k] == getattr(config, k) for k in SAME_RUN)}
    todo = [(m, seed) for m in sizes for seed in seeds if (m, seed) not in reused]
    new = run_all([replace(config, hidden=m, seed=seed) for m, seed in todo], data, store, executor)
    made = {**reused, **{key: row for key, (_, row) in zip(todo, new)}}
    return summarise([made[m, seed] for m in sizes for seed in seeds], ["hidden", "n_cycles", "n_s"])


ETA_SCALINGS = ("fixed", "linear")


def batch_sizes(config: TrainConfig, data, store: RunStore, sizes=(10, 50, 100, 200), seeds=(0,),
                executor=None) -> list[dict]:
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
    runs = run_all(configs, data, store, executor)
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


def confirm_best(candidate: float, rows: list[dict], k: int, seeds, train_data, val_data, config: TrainConfig,
                 store: RunStore, results_path, executor=None, progress: bool = False) -> list[dict]:
    """Re-train ``candidate`` (e.g. ``search.smoothed_peak``) and the k best lambdas of ``rows`` with
    ``config`` (e.g. the final model's schedule) and ``seeds``, and choose by ``rule``.

    The candidate stays chosen unless another lambda beats it by more than the margin, paired by
    seed (the sd of the differences pooled over the k comparisons); of those that do, the one with
    the largest gain. The runs go to the CSV ``results_path`` (see ``lambda_search``). Returns one row
    per lambda: the mean and std of the validation accuracy over the seeds, the gain over the
    candidate with its standard error, threshold and verdict, and "chosen"; the chosen lambda
    first, then the others by mean.
    """
    lambdas = list(dict.fromkeys([candidate] + [row["lambda"] for row in best_runs(rows, k)]))
    runs = lambda_search(lambdas, train_data, val_data, config, store, results_path, executor, progress, seeds)
    by_lambda = {lam: [row for row in runs if row["lambda"] == lam] for lam in lambdas}
    accuracy = {lam: {row["seed"]: row["val_acc"] for row in group} for lam, group in by_lambda.items()}
    others = lambdas[1:]
    verdicts = rule.judge([rule.paired_differences(accuracy[lam], accuracy[candidate]) for lam in others]) \
        if others else []
    verdicts = dict(zip(others, verdicts))
    winners = [lam for lam in others if verdicts[lam]["kept"]]
    chosen = max(winners, key=lambda lam: verdicts[lam]["gain"]) if winners else candidate
    summary = []
    for lam, group in by_lambda.items():
        mean, std = mean_std(group, "val_acc")
        summary.append({"lambda": lam, "val_acc_mean": mean, "val_acc_std": std, "n_seeds": len(group),
                        "train_acc_mean": mean_std(group, "train_acc")[0], "candidate": lam == candidate,
                        **verdicts.get(lam, {"gain": None, "gain_se": None, "threshold": None, "kept": None}),
                        "chosen": lam == chosen})
    return sorted(summary, key=lambda r: (not r["chosen"], -r["val_acc_mean"]))
