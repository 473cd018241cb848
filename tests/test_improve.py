from dataclasses import replace

import numpy as np
import pytest

from assignment2 import data, ensemble, improve, range_test
from assignment2.augment import mirrored
from assignment2.store import RunStore
from assignment2.train import TrainConfig

SMALL = TrainConfig(hidden=8, n_s=10, batch_size=20, n_cycles=3, records_per_cycle=2, lam=1e-3, dtype="float32",
                    dropout=0.2, flip=True, translate=1)


@pytest.fixture(scope="module")
def split(synthetic_root):
    return data.load_cifar10("ex3", synthetic_root, dtype=np.float32)[:2]


def test_snapshot_ensembles_are_scored_on_validation(split, tmp_path):
    members = RunStore(tmp_path).runs([SMALL], *split, keep=3)
    rows = improve.ensemble_choices(members, split[1], 3)
    assert [(r["networks"], r["mirror"]) for r in rows] == [(1, False), (2, False), (3, False),
                                                             (1, True), (2, True), (3, True)]
    assert rows[0]["val_acc"] == pytest.approx(members[0].row["val_acc"])
    X = split[1][0]
    P = improve.ensemble_probabilities(members, X, snapshots=2)
    np.testing.assert_allclose(P, ensemble.predict(members[0].last(2), X), rtol=1e-6)
    P_mirror = improve.ensemble_probabilities(members, X, snapshots=1, mirror=True)
    np.testing.assert_allclose(P_mirror, ensemble.predict(members[0].last(1) * 2, X) / 2
                               + ensemble.predict(members[0].last(1), mirrored(X)) / 2, rtol=1e-6)


def test_ablation_configs_are_cumulative():
    configs = improve.ablation_configs(SMALL, [("wider", {"hidden": 16}), ("longer", {"n_cycles": 4})])
    assert [(c.hidden, c.n_cycles) for c in configs] == [(8, 3), (16, 3), (16, 4)]
    with pytest.raises(ValueError, match="steps must be"):
        improve.ablation_configs(SMALL, [("bad", {"width": 3})])


def test_range_test_records_a_rising_eta_and_proposes_bounds(split, tmp_path):
    config = TrainConfig(**{**SMALL.__dict__, "eta_min": 0.0, "eta_max": 0.5})
    history = range_test.range_test(*split, config, 40, RunStore(tmp_path), records=10)
    assert len(history.eta) == 10 and history.eta == sorted(history.eta) and history.eta[-1] == pytest.approx(0.5)
    eta_min, eta_max = range_test.propose_bounds(history)
    assert eta_max in history.eta and eta_min == pytest.approx(eta_max / range_test.MIN_FRACTION)


def test_proposed_eta_max_is_the_peak_of_the_smoothed_accuracy():
    from assignment2.train import History
    acc = [0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.55, 0.5, 0.2, 0.1, 0.1]
    history = History(config={}, eta=[0.01 * i for i in range(11)], val_acc=acc)
    assert range_test.propose_bounds(history) == pytest.approx((0.005, 0.05))
    with pytest.raises(ValueError, match="history must be a range test with at least 5 records"):
        range_test.propose_bounds(History(config={}, eta=[0.1], val_acc=[0.2]))


def test_ablation_drops_a_change_that_hurts_and_trains_the_kept_ones_longer(split, tmp_path):
    base = TrainConfig(hidden=8, n_s=10, batch_size=20, n_cycles=1, records_per_cycle=1, dtype="float32")
    steps = [("no learning", {"eta_min": 0.0, "eta_max": 0.0}), ("wider", {"hidden": 16})]
    rows, chosen, finals = improve.ablation(base, steps, 2, [0, 1], [0, 1, 2], *split, RunStore(tmp_path), keep=2,
                                            start_label="base")
    assert [r["change"] for r in rows] == ["base", "no learning", "wider", "longer schedule (2 cycles)"]
    assert [r["seeds"] for r in rows] == [2, 2, 2, 3]
    assert rows[1]["kept"] is False and rows[2]["kept"] is True
    assert (chosen.hidden, chosen.eta_max, chosen.n_cycles, chosen.seed) == (16, base.eta_max, 2, 0)
    assert [m.config.seed for m in finals] == [0, 1, 2] and all(sorted(m.snapshots) == [1, 2] for m in finals)
    assert rows[-1]["val_acc_mean"] == pytest.approx(np.mean([m.row["val_acc"] for m in finals]))
    assert rows[1]["gain"] == pytest.approx(rows[1]["val_acc_mean"] - rows[0]["val_acc_mean"])


def test_a_range_test_that_diverges_keeps_the_records_before(split, tmp_path):
    """With eta rising far too high the run diverges part-way: the test keeps what it recorded, stored too."""
    config = TrainConfig(**{**SMALL.__dict__, "eta_min": 0.0, "eta_max": 2.0, "lam": 0.0})
    history = range_test.range_test(*split, config, 100, RunStore(tmp_path), records=20)
    assert 5 <= len(history.eta) < 20 and history.config["diverged_at_eta"] > history.eta[-1]
    assert range_test.propose_bounds(history)[1] <= history.eta[-1]
    assert range_test.range_test(*split, config, 100, RunStore(tmp_path), records=20) == history


def test_the_best_ensemble_is_the_most_accurate_and_the_smallest_on_a_tie():
    rows = [{"snapshots": 1, "mirror": False, "networks": 4, "val_acc": 0.60},
            {"snapshots": 2, "mirror": False, "networks": 8, "val_acc": 0.62},
            {"snapshots": 1, "mirror": True, "networks": 4, "val_acc": 0.62},
            {"snapshots": 3, "mirror": True, "networks": 12, "val_acc": 0.61}]
    assert improve.best_choice(rows) == rows[2]
    assert improve.best_choice(rows[:2] + [{**rows[2], "networks": 8}]) == rows[1]


def test_teacher_targets_are_the_ensemble_on_the_images_and_their_mirror_images(split, tmp_path):
    teachers = RunStore(tmp_path).runs([SMALL, TrainConfig(**{**SMALL.__dict__, "seed": 1})], *split, keep=2)
    X = split[0][0]
    targets = improve.teacher_targets(teachers, X, snapshots=2)
    assert targets.shape == (2, len(X), 10)
    np.testing.assert_allclose(targets[0], improve.ensemble_probabilities(teachers, X, 2), rtol=1e-12)
    np.testing.assert_allclose(targets[1], improve.ensemble_probabilities(teachers, mirrored(X), 2), rtol=1e-12)


def test_changes_tried_on_the_longer_schedule_are_kept_only_when_they_help(split, tmp_path):
    base = TrainConfig(hidden=8, n_s=10, batch_size=20, n_cycles=1, records_per_cycle=1, dtype="float32")
    long_steps = [("no learning, long", {"eta_min": 0.0, "eta_max": 0.0})]
    rows, chosen, finals = improve.ablation(base, [("wider", {"hidden": 16})], 2, [0, 1], [0, 1], *split, RunStore(tmp_path),
                                            start_label="base", long_steps=long_steps, long_seeds=[0])
    assert [r["change"] for r in rows] == ["base", "wider", "longer schedule (2 cycles)", "no learning, long"]
    assert [r["seeds"] for r in rows] == [2, 2, 1, 2] and rows[-1]["kept"] is False
    assert (chosen.hidden, chosen.eta_max, chosen.n_cycles) == (16, base.eta_max, 2)
    assert [m.config for m in finals] == [chosen, replace(chosen, seed=1)]     # the final seeds of the chosen config
    assert rows[2]["val_acc_mean"] == finals[0].row["val_acc"]
    assert len(list(tmp_path.glob("*.npz"))) == 2 * 2 + 1 + 2 + 1      # short path, long path, the chosen's seed 1


def test_distillation_tries_each_mix_once_and_trains_the_best_with_every_seed(split, tmp_path):
    teachers = RunStore(tmp_path).runs([SMALL, TrainConfig(**{**SMALL.__dict__, "seed": 1})], *split, keep=2)
    result = improve.distillation(teachers, [(0.5, 2.0), (0.9, 4.0)], [5, 6], *split, RunStore(tmp_path), max_snapshots=2,
                                  keep=2, cycles=2)
    assert result["teacher"] == improve.best_choice(improve.ensemble_choices(teachers, split[1], 2))
    assert [(t["alpha"], t["temperature"], t["seed"]) for t in result["trials"]] == [(0.5, 2.0, 5), (0.9, 4.0, 5)]
    best = max(result["trials"], key=lambda t: t["val_acc"])
    chosen = result["config"]
    assert (chosen.distill, chosen.temperature, chosen.seed) == (best["alpha"], best["temperature"], 5)
    assert chosen == TrainConfig(**{**SMALL.__dict__, "distill": best["alpha"], "temperature": best["temperature"],
                                    "seed": 5, "n_cycles": 2})
    assert [m.config.seed for m in result["students"]] == [5, 6]
    assert result["students"][0].row["val_acc"] == best["val_acc"]
    row = result["row"]
    assert row["seeds"] == 2 and row["kept"] == (row["gain"] > 0)
    assert row["val_acc_mean"] == pytest.approx(np.mean([m.row["val_acc"] for m in result["students"]]))
    assert len(list(tmp_path.glob("*.npz"))) == 2 + 2 + 1


def test_group_choices_label_every_group(split, tmp_path):
    a = RunStore(tmp_path).runs([SMALL], *split, keep=2)
    b = RunStore(tmp_path).runs([TrainConfig(**{**SMALL.__dict__, "seed": 1})], *split, keep=2)
    rows = improve.group_choices({"a": a, "a and b": a + b}, split[1], 2)
    assert [(r["members"], r["networks"]) for r in rows if not r["mirror"]] == [("a", 1), ("a", 2), ("a and b", 2),
                                                                                ("a and b", 4)]
    assert rows[0]["val_acc"] == pytest.approx(a[0].row["val_acc"])
