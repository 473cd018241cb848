"""Random search of the regularisation strength lambda, resumable from its results file."""

import time
import warnings
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from .artifacts import read_table, save_table
from .checks import positive_int, require
from .parallel import run_tasks
from .provenance import code_version, data_fingerprint
from .train import TrainConfig, fresh_params, train


def _settings(config: TrainConfig) -> dict:
    """Every config value but lam and seed: what all runs of one results file share."""
    return {k: v for k, v in asdict(config).items() if k not in ("lam", "seed")}


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


def _run_one(lam: float, config: TrainConfig, train_data, val_data) -> dict:
    """Train one network with ``lam`` (initialised and shuffled by config.seed); its results row."""
    run_config = replace(config, lam=float(lam))
    start = time.perf_counter()
    _, history = train(fresh_params(config, train_data[0].shape[1]), train_data, val_data, run_config)
    last = history.final()
    return {"lambda": float(lam), "val_acc": last["val_acc"], "val_cost": last["val_cost"],
            "train_acc": last["train_acc"], "wall_time": time.perf_counter() - start, "seed": config.seed,
            **_settings(run_config)}


def lambda_search(lambdas, train_data, val_data, config: TrainConfig, results_path, executor=None,
                  progress: bool = False, seeds=None) -> list[dict]:
    """Train one network per lambda (and seed); append each finished run to the CSV ``results_path``.

    ``seeds``: the initialisation and shuffling seeds to train each lambda with (None: config.seed).
    Runs already in the file are skipped, so an interrupted search resumes where it
    stopped; the file is rewritten atomically after every run, in the order runs finish.
    Every row records the code version and a fingerprint of the training and validation
    data: a file made by other code or data is started afresh (with a warning), never mixed.
    ``executor``: any ``concurrent.futures.Executor``, e.g. a process pool or a Dask client's
    (None: in this process); the data go to each worker once. Returns all rows of the file.
    """
    require(isinstance(config, TrainConfig), "config", "a TrainConfig", type(config).__name__)
    lambdas = [float(lam) for lam in np.atleast_1d(lambdas)]
    require(all(np.isfinite(lam) and lam >= 0 for lam in lambdas), "lambdas", "finite numbers >= 0", lambdas)
    path = Path(results_path)
    made_by = {"code": code_version(), "data": data_fingerprint(train_data, val_data)}
    rows = read_results(path)
    stale = [row for row in rows if {k: row.get(k) for k in made_by} != made_by]
    if stale:
        warnings.warn(f"{path} holds runs made by other code or data ({ {k: stale[0].get(k) for k in made_by} }, "
                      f"now {made_by}): starting it afresh", stacklevel=2)
        rows = []
    settings = _settings(config)
    for row in rows:
        recorded = {k: row[k] for k in CONFIG_FIELDS}
        require(recorded == settings, "results_path",
                f"a file of runs with this config ({settings}); {path} holds runs with {recorded}", str(path))
    seeds = [config.seed] if seeds is None else [int(seed) for seed in seeds]
    done = {(row["lambda"], row["seed"]) for row in rows}
    todo = [(lam, replace(config, seed=seed)) for lam in dict.fromkeys(lambdas) for seed in dict.fromkeys(seeds)
            if (lam, seed) not in done]
    finished = run_tasks(_run_one, todo, (train_data, val_data), executor,
                         desc="lambda search" if progress else None, fingerprint=made_by["data"])
    for _, row in finished:
        rows.append({**row, **made_by})
        save_table(rows, path)
    return rows
