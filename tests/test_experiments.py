import numpy as np
import pytest

from assignment2 import data, experiments, search
from assignment2.train import TrainConfig

CONFIG = TrainConfig(n_s=10, batch_size=50, records_per_cycle=1, hidden=10)


@pytest.fixture(scope="module")
def split(synthetic_root):
    return data.load_cifar10("search", synthetic_root)


def test_fine_range_spans_the_best_runs_with_a_margin():
    rows = [{"lambda": lam, "val_acc": acc, "val_cost": 1.0} for lam, acc in [(1e-5, 0.30), (1e-4, 0.50), (1e-2, 0.45), (1e-1, 0.20)]]
    assert experiments.fine_range(rows, k=2, margin=0.25) == pytest.approx((-4.25, -1.75))
    with pytest.raises(ValueError, match="rows must be at least one finished run"):
        experiments.fine_range([], k=2)


def test_confirm_best_retrains_the_top_k_with_every_seed(split, tmp_path, monkeypatch):
    rows = [{"lambda": lam, "val_acc": acc, "val_cost": 1.0} for lam, acc in [(1e-4, 0.5), (1e-3, 0.1), (1e-2, 0.4)]]
    confirm = lambda: experiments.confirm_best(rows, 2, [0, 3], *split[:2], CONFIG, tmp_path)
    summary = confirm()
    assert sorted(r["lambda"] for r in summary) == [1e-4, 1e-2]
    assert [r["val_acc_mean"] for r in summary] == sorted((r["val_acc_mean"] for r in summary), reverse=True)
    for seed in (0, 3):
        runs = search.read_results(tmp_path / f"confirm_seed{seed}.csv")
        assert {r["seed"] for r in runs} == {seed} and {r["n_cycles"] for r in runs} == {CONFIG.n_cycles}
    for row in summary:
        accs = [r["val_acc"] for seed in (0, 3) for r in search.read_results(tmp_path / f"confirm_seed{seed}.csv")
                if r["lambda"] == row["lambda"]]
        assert row["n_seeds"] == 2 and row["val_acc_mean"] == pytest.approx(np.mean(accs))
        assert row["val_acc_std"] == pytest.approx(np.std(accs, ddof=1))

    monkeypatch.setattr(search, "_run_one", lambda *args: pytest.fail("finished runs must not be repeated"))
    assert confirm() == summary


def test_search_n_s_is_epochs_per_half_cycle():
    assert experiments.search_n_s(45_000, 100) == 900
    assert experiments.search_n_s(49_000, 100, 3) == 1470
    with pytest.raises(ValueError, match="epochs_per_half_cycle must be an integer >= 1"):
        experiments.search_n_s(45_000, 100, 0)
