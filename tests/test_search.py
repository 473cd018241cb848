from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import pytest

from assignment2.core.train import TrainConfig
from assignment2.study import search, store
from assignment2.study.splits import load_split
from assignment2.study.store import RunStore

CONFIG = TrainConfig(n_s=10, batch_size=50, records_per_cycle=2, hidden=10)


@pytest.fixture(scope="module")
def split(synthetic_root):
    return load_split("search", synthetic_root)


def test_sample_lambdas_log_uniform():
    lambdas = search.sample_lambdas(1000, -5, -1, np.random.default_rng(0))
    assert lambdas.min() >= 1e-5 and lambdas.max() <= 1e-1
    assert np.log10(lambdas).mean() == pytest.approx(-3, abs=0.1)
    with pytest.raises(ValueError, match="l_min must be < l_max"):
        search.sample_lambdas(3, -1, -5, np.random.default_rng(0))


def test_search_records_every_run_with_its_settings(split, tmp_path):
    lambdas = [1e-4, 1e-2]
    rows = search.search_lambdas(lambdas, split[0], split[1], CONFIG, RunStore(tmp_path / "runs"))
    assert [r["lambda"] for r in rows] == lambdas
    for row in rows:
        assert 0 <= row["val_acc"] <= 1 and row["seed"] == 0 and row["n_s"] == 10 and row["dtype"] == "float64"
        assert row["seconds"] > 0
    assert search.best_runs(rows, 1)[0]["val_acc"] == max(r["val_acc"] for r in rows)


def test_interrupted_search_resumes_without_losing_or_repeating(split, tmp_path, monkeypatch):
    runs = RunStore(tmp_path / "runs")
    lambdas = [1e-4, 1e-3, 1e-2]
    real_train, calls = store.train_task, []

    def interrupted(task, *args):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(task.config.lam)
        return real_train(task, *args)

    monkeypatch.setattr(store, "train_task", interrupted)
    with pytest.raises(KeyboardInterrupt):
        search.search_lambdas(lambdas, split[0], split[1], CONFIG, runs)
    assert len(list((tmp_path / "runs").iterdir())) == 2

    calls.clear()
    monkeypatch.setattr(store, "train_task", lambda task, *args: calls.append(task.config.lam) or real_train(task, *args))
    rows = search.search_lambdas(lambdas, split[0], split[1], CONFIG, RunStore(tmp_path / "runs"))
    assert calls == [1e-2]
    assert [r["lambda"] for r in rows] == lambdas


def test_another_config_trains_its_own_runs(split, tmp_path):
    runs = RunStore(tmp_path)
    first = search.search_lambdas([1e-3], split[0], split[1], CONFIG, runs)
    other = search.search_lambdas([1e-3], split[0], split[1], replace(CONFIG, n_s=20), runs)
    assert runs.trained == 2 and (first[0]["n_s"], other[0]["n_s"]) == (10, 20)


def test_process_pool_gives_the_same_results(split, tmp_path):
    lambdas = [1e-4, 1e-2]
    local = search.search_lambdas(lambdas, split[0], split[1], CONFIG, RunStore(tmp_path / "a"))
    with ProcessPoolExecutor(2) as pool:
        pooled = search.search_lambdas(lambdas, split[0], split[1], CONFIG, RunStore(tmp_path / "b"), executor=pool)
    for a, b in zip(local, pooled):
        assert (a["lambda"], a["val_acc"], a["val_cost"]) == (b["lambda"], b["val_acc"], b["val_cost"])
