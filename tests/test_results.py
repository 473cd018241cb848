"""What each notebook's results.json holds, and the checks of the results a notebook reads."""

import json
from types import SimpleNamespace

import numpy as np
import pytest


from assignment2.study import results
from assignment2.core.train import History, TrainConfig


def rows(*accs, key="test_acc"):
    return [{"test_acc": a, "val_acc": a - 0.01, "train_acc": a + 0.1} for a in accs]


def test_seed_summary_is_the_mean_and_sample_sd_over_the_seeds():
    summary = results.seed_summary(rows(0.40, 0.44, 0.45))
    assert summary["test_accs"] == [0.40, 0.44, 0.45]
    assert summary["test_acc_mean"] == pytest.approx(0.43) and summary["test_acc_std"] == pytest.approx(np.std([0.40, 0.44, 0.45], ddof=1))
    assert summary["val_acc_mean"] == pytest.approx(0.42) and summary["train_acc_mean"] == pytest.approx(0.53)
    assert results.seed_summary(rows(0.5))["test_acc_std"] == 0.0


def test_gradient_check_keeps_the_largest_errors():
    out = results.gradient_check([{"max_rel": 1e-9, "max_abs": 3e-10}, {"max_rel": 4e-9, "max_abs": 1e-10}],
                                 {"n": 2, "h": 1e-5}, False)
    assert out == {"n": 2, "h": 1e-5, "max_rel": 4e-9, "max_abs": 3e-10, "official_data": False}


def test_overfit_counts_updates_and_epochs():
    config = TrainConfig(batch_size=10, n_s=100, n_cycles=4, lam=0.0)
    history = History(config={"n_s": 100}, train_acc=[0.5, 1.0], train_loss=[1.0, 0.01], val_acc=[0.1, 0.2])
    out = results.overfit(100, config, history, {"test_acc": 0.19})
    assert (out["steps"], out["epochs"]) == (800, 80)
    assert (out["train_acc"], out["train_loss"], out["val_acc"], out["test_acc"]) == (1.0, 0.01, 0.2, 0.19)
    assert out["config"] == {"n_s": 100}


def test_cyclical_lr_summarises_each_schedule_and_names_the_cost_methods():
    base = TrainConfig(lam=0.01, dtype="float32")
    schedules = {"one_cycle": TrainConfig(n_s=500), "three_cycles": TrainConfig(n_s=800, n_cycles=3)}
    out = results.cyclical_lr(base, [0, 1], 10000, schedules, {"one_cycle": rows(0.4, 0.5), "three_cycles": rows(0.6, 0.6)},
                              [{"method": "full", "seconds": 2.0}, {"method": "ema", "seconds": 1.0}], 3, [{"h": 1}], [])
    assert out["one_cycle"]["n_s"] == 500 and out["three_cycles"]["cycles"] == 3
    assert out["one_cycle"]["test_acc_mean"] == pytest.approx(0.45) and out["three_cycles"]["test_acc_std"] == 0.0
    assert out["cost_methods"]["ema"] == {"method": "ema", "seconds": 1.0}
    assert (out["seeds"], out["dtype"], out["lam"], out["n_train"], out["timing_repeats"]) == ([0, 1], "float32", 0.01, 10000, 3)


def test_lambda_search_chooses_the_first_confirmed_lambda_and_adds_up_the_seconds():
    config = TrainConfig(n_s=900, n_cycles=2)
    coarse = [{"lambda": 1e-3, "seconds": 10.0}, {"lambda": 1e-2, "seconds": 12.0}]
    fine = [{"lambda": 2e-3, "seconds": 11.0}]
    confirmed = [{"lambda": 2e-3, "val_acc_mean": 0.52}, {"lambda": 1e-3, "val_acc_mean": 0.51}]
    peak = {"lambda": 2e-3, "coefficients": [-1.0, 0.0, 0.5], "points": 3, "concave": True}
    out = results.lambda_search(config, 45000, 5000, {"top_k": 2}, coarse, fine, (-3.5, -2.0), coarse[:1], peak,
                                confirmed)
    assert out["best_lambda"] == 2e-3 and out["seconds"] == 33.0 and out["peak"] == peak
    assert (out["n_coarse"], out["n_fine"], out["fine_range"], out["top_k"]) == (2, 1, [-3.5, -2.0], 2)
    assert (out["n_train"], out["n_val"], out["n_s"], out["n_cycles"]) == (45000, 5000, 900, 2)


def test_final_model_keys_each_model_by_its_hidden_size():
    configs = {50: TrainConfig(hidden=50, lam=0.002, n_s=980, n_cycles=3), 200: TrainConfig(hidden=200, lam=0.002, n_s=980,
                                                                                          n_cycles=3)}
    out = results.final_model(configs, {50: rows(0.52, 0.51), 200: rows(0.55, 0.55)}, [0, 1], 49000, 1000)
    assert list(out["models"]) == ["50", "200"] and out["models"]["200"]["hidden"] == 200
    assert out["models"]["50"]["test_acc_mean"] == pytest.approx(0.515)
    assert (out["lam"], out["n_s"], out["n_cycles"], out["seeds"], out["n_val"]) == (0.002, 980, 3, [0, 1], 1000)


def _run(seed, val_acc, distill=0.0, key="k"):
    return SimpleNamespace(config=TrainConfig(seed=seed, distill=distill), row={"val_acc": val_acc, "seconds": 10.0},
                           snapshots={14: None, 15: None, 16: None}, key=f"{key}{seed}")


def test_bonus_states_the_chosen_network_and_ensemble():
    finals = [_run(0, 0.62), _run(1, 0.63)]
    single_rows = [{"test_acc": 0.61, "run": "k0"}, {"test_acc": 0.62, "run": "k1"}]
    pick = {"members": "teachers", "networks": 4, "snapshots": 2, "mirror": True, "val_acc": 0.65}
    distilled = {"teacher": {"snapshots": 3, "mirror": True, "val_acc": 0.64}, "row": {"kept": False}, "trials": [],
                 "config": TrainConfig(distill=0.5, temperature=2.0, n_cycles=8)}
    out = results.bonus(TrainConfig(), 5000, 45000, {"eta_max": 0.1}, [{"step": 0}], TrainConfig(seed=0, hidden=1024),
                        finals, single_rows, pick, [pick], finals, 0.635, distilled, 0.64, single_rows, [], 16, 6)
    single = out["single"]
    assert "seed" not in single["config"] and single["config"]["hidden"] == 1024 and single["seeds"] == [0, 1]
    assert single["test_acc_mean"] == pytest.approx(0.615) and single["test_acc_std"] == pytest.approx(np.std([0.61, 0.62], ddof=1))
    assert single["val_acc_mean"] == pytest.approx(0.625) and single["runs"] == ["k0", "k1"] and single["distilled"] is False
    ens = out["ensemble"]
    assert [m["cycles"] for m in ens["members"]] == [[15, 16], [15, 16]] and ens["members"][1]["run"] == "k1"
    assert (ens["test_acc"], ens["of"], ens["networks"], ens["steps"]) == (0.635, "teachers", 4, [pick])
    assert (out["margin"], out["judge_cycles"]) == (2.0, 6)
    d = out["distillation"]
    assert (d["alpha"], d["temperature"], d["cycles"], d["teacher_cycles"], d["teacher_test_acc"]) == (0.5, 2.0, 8, 16, 0.64)
    assert json.loads(json.dumps(out)) == out
    untaught = results.bonus(TrainConfig(), 5000, 45000, {"eta_max": 0.1}, [{"step": 0}], TrainConfig(seed=0), finals,
                             single_rows, pick, [pick], finals, 0.635, {**distilled, "row": None, "config": None},
                             0.635, single_rows, [], 16, 6)
    assert untaught["distillation"] is None and untaught["single"]["distilled"] is False


def test_analysis_names_the_most_confident_mistakes():
    P = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    out = results.analysis({"bins": 15}, {"single": "one", "ensemble": "many", "final": "small"},
                           {"one": {"label": "one"}}, [0, 2], P, np.array([1, 1, 0]), ["cat", "dog"])
    assert out["worst_mistakes"] == [{"index": 0, "true": "dog", "predicted": "cat", "probability": 0.9},
                                     {"index": 2, "true": "cat", "predicted": "cat", "probability": 0.6}]
    assert out["models"] == [{"label": "one"}] and out["bins"] == 15 and out["single_label"] == "one"
    assert (out["ensemble_label"], out["final_label"]) == ("many", "small")


@pytest.mark.parametrize("content, message", [
    (None, "results.json is missing"),
    ('{"lam": 0.01,\n', r"results.json cannot be read \(JSONDecodeError: it is cut short or not JSON\)"),
    ('{"lam": 0.01}', "results.json has no models: another notebook or version wrote it"),
])
def test_a_bad_input_names_its_file_and_the_notebook_that_writes_it(tmp_path, content, message):
    if content is not None:
        (tmp_path / "results.json").write_text(content)
    with pytest.raises(results.InputError, match=message) as err:
        results.read_input(tmp_path, "05_final_model", ["lam", "models"])
    text = str(err.value)
    assert "\n" not in text and str(tmp_path / "results.json") in text
    assert "notebook 05_final_model writes it: run `make report`, or `papermill notebooks/05_final_model.ipynb" in text
    (tmp_path / "results.json").write_text('{"lam": 0.01, "models": {}}')
    assert results.read_input(tmp_path, "05_final_model", ["lam", "models"]) == {"lam": 0.01, "models": {}}
