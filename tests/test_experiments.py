from dataclasses import replace

import numpy as np
import pytest

from assignment2.core.train import TrainConfig
from assignment2.study import experiments, search, store
from assignment2.study.exercises import cyclical_lr, gradient_check
from assignment2.study.splits import load_split
from assignment2.study.store import RunStore

CONFIG = TrainConfig(n_s=10, batch_size=50, records_per_cycle=1, hidden=10)


@pytest.fixture(scope="module")
def split(synthetic_root):
    return load_split("search", synthetic_root)


def test_fine_range_spans_the_best_runs_with_a_margin():
    rows = [{"lambda": lam, "val_acc": acc, "val_cost": 1.0} for lam, acc in [(1e-5, 0.30), (1e-4, 0.50), (1e-2, 0.45), (1e-1, 0.20)]]
    assert search.fine_range(rows, k=2, margin=0.25) == pytest.approx((-4.25, -1.75))
    with pytest.raises(ValueError, match="rows must be at least one finished run"):
        search.fine_range([], k=2)


def test_confirm_best_retrains_the_candidate_and_the_top_k_with_every_seed(split, tmp_path, monkeypatch):
    rows = [{"lambda": lam, "val_acc": acc, "val_cost": 1.0} for lam, acc in [(1e-4, 0.5), (1e-3, 0.1), (1e-2, 0.4)]]
    confirm = lambda: search.confirm_best(3e-3, rows, 2, [0, 3], *split[:2], CONFIG, RunStore(tmp_path / "runs"))
    summary, runs = confirm()
    assert sorted(r["lambda"] for r in summary) == [1e-4, 3e-3, 1e-2]
    assert [r["candidate"] for r in summary if r["lambda"] == 3e-3] == [True] and sum(r["chosen"] for r in summary) == 1
    assert summary[0]["chosen"] and [r["val_acc_mean"] for r in summary[1:]] == sorted(
        (r["val_acc_mean"] for r in summary[1:]), reverse=True)
    assert sorted((r["lambda"], r["seed"]) for r in runs) == [(1e-4, 0), (1e-4, 3), (3e-3, 0), (3e-3, 3), (1e-2, 0),
                                                              (1e-2, 3)]
    assert {r["n_cycles"] for r in runs} == {CONFIG.n_cycles}
    for row in summary:
        accs = [r["val_acc"] for r in runs if r["lambda"] == row["lambda"]]
        assert row["n_seeds"] == 2 and row["val_acc_mean"] == pytest.approx(np.mean(accs))
        assert row["val_acc_std"] == pytest.approx(np.std(accs, ddof=1))
        candidate = [r["val_acc"] for r in runs if r["lambda"] == 3e-3]
        if not row["candidate"]:     # the gain is paired by seed, and the rule decides
            assert row["gain"] == pytest.approx(np.mean(np.subtract(accs, candidate)))
            assert row["kept"] == (row["gain"] > row["threshold"]) == (row["chosen"] and not summary[0]["candidate"])

    monkeypatch.setattr(store, "train_task", lambda *args: pytest.fail("finished runs must not be repeated"))
    assert confirm() == (summary, runs)


def test_a_lambda_that_beats_the_candidate_by_the_margin_is_chosen(monkeypatch):
    """confirm_best with made-up runs: 1e-2 beats the candidate on both seeds by far more than their spread."""
    accs = {(1e-3, 0): 0.50, (1e-3, 1): 0.52, (1e-2, 0): 0.60, (1e-2, 1): 0.63, (1e-4, 0): 0.51, (1e-4, 1): 0.52}
    monkeypatch.setattr(search, "search_lambdas", lambda lambdas, *args, **kwargs: [
        {"lambda": lam, "seed": s, "val_acc": accs[lam, s], "train_acc": 0.0} for lam in lambdas for s in (0, 1)])
    rows = [{"lambda": 1e-2, "val_acc": 0.6, "val_cost": 1.0}, {"lambda": 1e-4, "val_acc": 0.5, "val_cost": 1.0}]
    summary, _ = search.confirm_best(1e-3, rows, 2, [0, 1], None, None, CONFIG, None)
    assert [(r["lambda"], r["chosen"], r["kept"]) for r in summary] == [(1e-2, True, True), (1e-4, False, False),
                                                                         (1e-3, False, None)]


def test_the_smoothed_peak_is_the_top_of_a_parabola_over_log_lambda():
    rows = [{"lambda": 10.0 ** x, "val_acc": 0.5 - (x + 2.5) ** 2, "val_cost": 1.0} for x in np.linspace(-4, -1, 7)]
    peak = search.smoothed_peak(rows + [{"lambda": 1e-6, "val_acc": 0.9, "val_cost": 1.0}], -4, -1)   # outside: ignored
    assert peak.lam == pytest.approx(10 ** -2.5) and peak.points == 7 and peak.concave
    valley = [{**r, "val_acc": 1 - r["val_acc"]} for r in rows]
    assert search.smoothed_peak(valley, -4, -1).lam == search.best_runs(valley, 1)[0]["lambda"]
    with pytest.raises(ValueError, match=r"rows must be at least 3 runs with log10 lambda in \[-1.80, -1.00\]"):
        search.smoothed_peak(rows, -1.8, -1)


def test_search_n_s_is_epochs_per_half_cycle():
    assert experiments.search_n_s(45_000, 100) == 900
    assert experiments.search_n_s(49_000, 100, 3) == 1470
    with pytest.raises(ValueError, match="epochs_per_half_cycle must be an integer >= 1"):
        experiments.search_n_s(45_000, 100, 0)


def result_row(hidden=50, seed=0, acc=0.5, **changes):
    return experiments.ResultRow(seed, hidden, 100, 500, 3, 0.01, 1e-5, 0.1, "full", acc, acc, "key", acc, 1.0, 0.0,
                                 **changes)


def test_summarise_groups_and_averages_over_seeds():
    rows = [result_row(m, s, a) for m, s, a in [(50, 0, 0.4), (50, 1, 0.5), (100, 0, 0.6)]]
    summary = experiments.summarise(rows, experiments.WidthSummary)
    assert [(r.hidden, r.n_cycles, r.n_s, r.n_seeds) for r in summary] == [(50, 3, 500, 2), (100, 3, 500, 1)]
    assert summary[0].test_acc_mean == pytest.approx(0.45) and summary[0].test_acc_std == pytest.approx(np.std([0.4, 0.5], ddof=1))
    assert summary[1].test_acc_std == 0.0 and summary[0].n_diverged == 0 and summary[0].diverged_at == ""
    scaled = experiments.summarise(rows, experiments.BatchSummary, [{"eta_scaling": e} for e in ("fixed", "linear", "fixed")])
    assert [(r.eta_scaling, r.batch_size, r.n_seeds) for r in scaled] == [("fixed", 100, 2), ("linear", 100, 1)]


def test_batch_sizes_scale_n_s_and_optionally_eta(synthetic_root, tmp_path):
    ex3 = load_split("ex3", synthetic_root)
    rows = cyclical_lr.batch_sizes(CONFIG, ex3, RunStore(tmp_path), sizes=[25, 100], seeds=[0])
    by = {(r.eta_scaling, r.batch_size): r for r in rows}
    assert by["fixed", 25].n_s == 20 and by["fixed", 100].n_s == 5
    assert by["fixed", 25].eta_max == CONFIG.eta_max and by["linear", 25].eta_max == pytest.approx(CONFIG.eta_max / 2)
    assert by["linear", 100].eta_min == pytest.approx(2 * CONFIG.eta_min)
    assert all(r.n_seeds == 1 for r in rows)


def test_a_diverging_run_is_counted_not_raised_and_stored(synthetic_root, tmp_path, monkeypatch):
    (X, y), val, test = load_split("ex3", synthetic_root)
    scaled = ((X * 1e6, y), (val[0] * 1e6, val[1]), test)
    config = TrainConfig(n_s=10, batch_size=50, records_per_cycle=1, hidden=10, eta_min=10.0, eta_max=100.0)
    [(history, row)] = experiments.run_all([config], scaled, RunStore(tmp_path))
    assert history.step == [] and row.diverged_at >= 0 and row.diverged_eta >= 10 and np.isnan(row.test_acc)
    monkeypatch.setattr(store, "train_task", lambda *args: pytest.fail("a stored run that diverged was trained again"))
    assert experiments.run_all([config], scaled, RunStore(tmp_path))[0][1].diverged_at == row.diverged_at
    monkeypatch.undo()
    [(_, fine)] = experiments.run_all([CONFIG], ((X, y), val, test), RunStore(tmp_path))
    assert fine.diverged_at is None
    same = [replace(r, hidden=10, n_cycles=1, n_s=10) for r in (row, fine, replace(fine, test_acc=0.5))]
    summary = experiments.summarise(same, experiments.WidthSummary)[0]
    assert summary.n_seeds == 3 and summary.n_diverged == 1 and summary.diverged_at == row.diverged_at
    assert summary.test_acc_mean == pytest.approx((fine.test_acc + 0.5) / 2)
    alone = experiments.summarise([row], experiments.WidthSummary)[0]
    assert np.isnan(alone.test_acc_mean) and alone.n_diverged == 1


def test_hidden_sizes_reuse_runs_made_already(synthetic_root, monkeypatch, tmp_path):
    ex3 = load_split("ex3", synthetic_root)
    config = TrainConfig(n_s=5, batch_size=50, records_per_cycle=1, hidden=10)
    runs = RunStore(tmp_path)
    _, done = experiments.over_seeds({"m10": replace(config, records_per_cycle=2)}, [0, 1], ex3, runs)["m10"]
    real, trained = store.train_task, []
    monkeypatch.setattr(store, "train_task", lambda t, *a: trained.append((t.config.hidden, t.config.seed)) or real(t, *a))
    rows = cyclical_lr.hidden_sizes(config, ex3, runs, sizes=[10, 20], seeds=[0, 1], runs=done)
    assert trained == [(20, 0), (20, 1)]
    assert [r.hidden for r in rows] == [10, 20] and rows[0].test_acc_mean == pytest.approx(np.mean([r.test_acc for r in done]))
    other = cyclical_lr.hidden_sizes(TrainConfig(n_s=6, batch_size=50, records_per_cycle=1, hidden=10), ex3, runs,
                                     sizes=[10], seeds=[0], runs=done)
    assert trained[-1] == (10, 0) and other[0].n_seeds == 1


def test_gradient_check_with_a_fixed_dropout_mask_is_at_rounding_level():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((3, 12)), rng.integers(0, 10, 3)
    rows = gradient_check.check_rows(X, y, 6, [0.0, 0.1], dropout=0.5)
    assert {r["dropout"] for r in rows} == {0.5} and len(rows) == 8
    assert max(r["max_rel"] for r in rows) < 1e-7
    plain = gradient_check.check_rows(X, y, 6, [0.1])
    assert plain[0]["dropout"] == 0.0 and plain[0]["max_abs"] != rows[4]["max_abs"]
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\)"):
        gradient_check.GradientCheckSettings(dropout=1.0)
