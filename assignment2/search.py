"""Random search of the regularisation strength lambda, resumable from its results file."""

import time
from concurrent.futures import as_completed
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .checks import positive_int, require
from .artifacts import read_table, save_table
from .train import TrainConfig, fresh_params, train


def _settings(config: TrainConfig) -> dict:
    """Every config value but lam: what all runs of one results file share."""
    return {k: v for k, v in asdict(config).items() if k != "lam"}


CONFIG_FIELDS = list(_settings(TrainConfig()))


def sample_lambdas(n: int, l_min: float, l_max: float, rng: np.random.Generator) -> np.ndarray:
    """n values 10**U(l_min, l_max), sorted ascending."""
    n = positive_int("n", n)
    require(l_min < l_max, "l_min", f"< l_max ({l_max})", l_min)
    return np.sort(10.0 ** rng.uniform(l_min, l_max, n))


def read_results(results_path) -> list[dict]:
    """The rows of a results file (numbers parsed), or [] if it does not exist."""
    return read_table(results_path) if Path(results_path).exists() else []


def best_runs(rows: list[dict], k: int = 3) -> list[dict]:
    """The k rows with the highest validation accuracy (ties: lower validation cost first)."""
    return sorted(rows, key=lambda r: (-r["val_acc"], r["val_cost"]))[:k]


def _run_one(lam: float, train_data, val_data, config: TrainConfig) -> dict:
    """Train one network with ``lam`` (initialised with config.seed); its results row."""
    run_config = replace(config, lam=float(lam))
    start = time.perf_counter()
    _, history = train(fresh_params(config, train_data[0].shape[1]), train_data, val_data, run_config)
    last = history.final()
    return {"lambda": float(lam), "val_acc": last["val_acc"], "val_cost": last["val_cost"],
            "train_acc": last["train_acc"], "wall_time": time.perf_counter() - start, **_settings(run_config)}


def lambda_search(lambdas, train_data, val_data, config: TrainConfig, results_path, executor=None,
                  progress: bool = False) -> list[dict]:
    """Train one network per lambda; append each finished run to the CSV ``results_path``.

    Lambdas already in the file are skipped, so an interrupted search resumes where it
    stopped. The file is rewritten atomically after every run. ``executor``: any
    ``concurrent.futures.Executor`` (None: in this process). Returns all rows of the file.
    """
    require(isinstance(config, TrainConfig), "config", "a TrainConfig", type(config).__name__)
    lambdas = [float(lam) for lam in np.atleast_1d(lambdas)]
    require(all(np.isfinite(lam) and lam >= 0 for lam in lambdas), "lambdas", "finite numbers >= 0", lambdas)
    path = Path(results_path)
    rows = read_results(path)
    settings = _settings(config)
    for row in rows:
        recorded = {k: row[k] for k in CONFIG_FIELDS}
        require(recorded == settings, "results_path",
                f"a file of runs with this config ({settings}); {path} holds runs with {recorded}", str(path))
    done = {row["lambda"] for row in rows}
    todo = list(dict.fromkeys(lam for lam in lambdas if lam not in done))
    with tqdm(total=len(todo), disable=not progress, desc="lambda search") as bar:
        if executor is None:
            finished = (_run_one(lam, train_data, val_data, config) for lam in todo)
        else:
            futures = [executor.submit(_run_one, lam, train_data, val_data, config) for lam in todo]
            finished = (future.result() for future in as_completed(futures))
        for row in finished:
            rows.append(row)
            save_table(rows, path)
            bar.update()
    return rows
