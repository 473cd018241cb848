from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from assignment2 import data, search
from assignment2.train import TrainConfig

CONFIG = TrainConfig(n_s=10, batch_size=50, records_per_cycle=2, hidden=10)


@pytest.fixture(scope="module")
def split(synthetic_root):
    return data.load_cifar10("search", synthetic_root)


def test_sample_lambdas_log_uniform():
    lambdas = search.sample_lambdas(1000, -5, -1, np.random.default_rng(0))
    assert lambdas.min() >= 1e-5 and lambdas.max() <= 1e-1
    assert np.log10(lambdas).mean() == pytest.approx(-3, abs=0.1)
    with pytest.raises(ValueError, match="l_min must be < l_max"):
        search.sample_lambdas(3, -1, -5, np.random.default_rng(0))


def test_search_records_every_run_with_its_settings(split, tmp_path):
    lambdas = [1e-4, 1e-2]
    rows = search.lambda_search(lambdas, split[0], split[1], CONFIG, tmp_path / "runs.csv")
    assert [r["lambda"] for r in rows] == lambdas
    assert search.read_results(tmp_path / "runs.csv") == rows
    for row in rows:
        assert 0 <= row["val_acc"] <= 1 and row["seed"] == 0 and row["n_s"] == 10 and row["dtype"] == "float64"
    assert search.best_runs(rows, 1)[0]["val_acc"] == max(r["val_acc"] for r in rows)


def test_interrupted_search_resumes_without_losing_or_repeating(split, tmp_path, monkeypatch):
    path = tmp_path / "runs.csv"
    lambdas = [1e-4, 1e-3, 1e-2]
    real_run, calls = search._run_one, []

    def interrupted(lam, *args):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(lam)
        return real_run(lam, *args)

    monkeypatch.setattr(search, "_run_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        search.lambda_search(lambdas, split[0], split[1], CONFIG, path)
    assert [r["lambda"] for r in search.read_results(path)] == lambdas[:2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.csv"]

    calls.clear()
    monkeypatch.setattr(search, "_run_one", lambda lam, *args: calls.append(lam) or real_run(lam, *args))
    rows = search.lambda_search(lambdas, split[0], split[1], CONFIG, path)
    assert calls == [1e-2]
    assert [r["lambda"] for r in rows] == lambdas


def test_resuming_with_another_config_is_refused(split, tmp_path):
    path = tmp_path / "runs.csv"
    search.lambda_search([1e-3], split[0], split[1], CONFIG, path)
    other = TrainConfig(n_s=20, batch_size=50, records_per_cycle=2, hidden=10)
    with pytest.raises(ValueError, match="results_path must be a file of runs with this config"):
        search.lambda_search([1e-3], split[0], split[1], other, path)


def test_process_pool_gives_the_same_results(split, tmp_path):
    lambdas = [1e-4, 1e-2]
    local = search.lambda_search(lambdas, split[0], split[1], CONFIG, tmp_path / "a.csv")
    with ProcessPoolExecutor(2) as pool:
        pooled = search.lambda_search(lambdas, split[0], split[1], CONFIG, tmp_path / "b.csv", executor=pool)
    key = lambda r: r["lambda"]
    for a, b in zip(sorted(local, key=key), sorted(pooled, key=key)):
        assert (a["lambda"], a["val_acc"], a["val_cost"]) == (b["lambda"], b["val_acc"], b["val_cost"])


def test_runs_of_other_code_are_never_reused(split, tmp_path, monkeypatch):
    path = tmp_path / "runs.csv"
    search.lambda_search([1e-4, 1e-3], split[0], split[1], CONFIG, path)
    assert {r["code"] for r in search.read_results(path)} == {search.code_version()}
    calls = []
    real = search._run_one
    monkeypatch.setattr(search, "_run_one", lambda lam, *args: calls.append(lam) or real(lam, *args))
    monkeypatch.setattr(search, "code_version", lambda: "9.9.9+other")
    with pytest.warns(UserWarning, match="runs made by other code or data .* starting it afresh"):
        rows = search.lambda_search([1e-4, 1e-3], split[0], split[1], CONFIG, path)
    assert calls == [1e-4, 1e-3]
    assert {r["code"] for r in search.read_results(path)} == {"9.9.9+other"} and len(rows) == 2


def test_runs_on_other_data_are_never_reused(split, tmp_path):
    path = tmp_path / "runs.csv"
    search.lambda_search([1e-3], split[0], split[1], CONFIG, path)
    X = split[0][0].copy()
    X[0, 0] += 1.0                                   # one pixel of arrays passed in directly
    with pytest.warns(UserWarning, match="starting it afresh"):
        rows = search.lambda_search([1e-3, 1e-2], (X, split[0][1]), split[1], CONFIG, path)
    assert len(rows) == 2 and len({r["data"] for r in rows}) == 1
    assert rows[0]["data"] != search.data_fingerprint(*split[:2])
