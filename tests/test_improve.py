from dataclasses import replace

import numpy as np
import pytest

from assignment2.core import ensemble, network
from assignment2.core.batches import mirrored
from assignment2.core.train import TrainConfig
from assignment2.study import improve, range_test
from assignment2.study.splits import load_split
from assignment2.study.store import RunStore

SMALL = TrainConfig(hidden=8, n_s=10, batch_size=20, n_cycles=3, records_per_cycle=2, lam=1e-3, dtype="float32",
                    dropout=0.2, flip=True, translate=1)


@pytest.fixture(scope="module")
def split(synthetic_root):
    return load_split("ex3", synthetic_root, dtype=np.float32)[:2]


def test_ensemble_steps_are_judged_by_the_rule_paired_by_seed(split, tmp_path):
    a = RunStore(tmp_path).runs([replace(SMALL, seed=s) for s in (0, 1)], *split, keep=3)
    b = RunStore(tmp_path).runs([replace(SMALL, hidden=12, seed=s) for s in (0, 1, 2)], *split, keep=2)
    groups, pooled_with = {"a": a, "b": b}, [np.array([0.01, 0.03])]
    rows, pick = improve.ensemble_path(groups, split[1], 3, pooled_with)
    assert [r.change for r in rows] == ["the last cycle end of each of the a", "the last 3 cycle ends and mirror images",
                                           "with the b"]
    X, y = split[1]
    assert rows[0].val_acc == pytest.approx(network.accuracy(ensemble.fold_runs(a), X, y))
    assert rows[0].kept is None and [r.seeds for r in rows] == [2, 2, 2]      # b's seed 2 has no a to pair with

    def seed_accuracy(state, seed):      # an independent reference: that seed's networks folded into one
        members = [m for label in state["groups"] for m in groups[label] if m.config.seed == seed]
        return network.accuracy(ensemble.fold_runs(members, state["snapshots"], state["mirror"]), X, y)

    state, pool = {"groups": ["a"], "snapshots": 1, "mirror": False}, list(pooled_with)
    for row in rows[1:]:       # each step against the ensemble kept so far, paired by seed
        new = {"groups": ["a", "b"] if "b" in row.members else ["a"], "snapshots": row.snapshots,
               "mirror": row.mirror}
        d = np.array([seed_accuracy(new, s) - seed_accuracy(state, s) for s in (0, 1)])
        pool.append(d)
        dof = sum(len(x) - 1 for x in pool)
        sd = np.sqrt(sum(((x - x.mean()) ** 2).sum() for x in pool) / dof)
        assert row.gain == pytest.approx(d.mean()) and row.gain_se == pytest.approx(sd / np.sqrt(2))
        assert row.threshold == pytest.approx(2 * row.gain_se) and row.kept == (row.gain > row.threshold)
        state = new if row.kept else state
    assert (pick.snapshots, pick.mirror, list(pick.groups)) == (state["snapshots"], state["mirror"], state["groups"])
    members = pick.members(groups)
    one = ensemble.fold_runs(members, pick.snapshots, pick.mirror)
    assert pick.val_acc == pytest.approx(network.accuracy(one, X, y)) and pick.label == " and ".join(state["groups"])
    assert pick.hidden == one.W1.shape[0] == sum(m.config.hidden for m in members) * pick.snapshots * (1 + pick.mirror)
    S_mirror = network.scores(ensemble.fold_runs(a[:1], mirror=True), X)
    np.testing.assert_allclose(S_mirror, network.scores(a[0].final, X) / 2 + network.scores(a[0].final, mirrored(X)) / 2,
                               rtol=1e-4, atol=1e-5)


def test_an_ensemble_step_is_kept_only_when_it_clears_the_margin(split, tmp_path):
    trained = RunStore(tmp_path).runs([replace(SMALL, seed=s) for s in (0, 1)], *split, keep=2)
    y = split[1][1]
    common = np.bincount(y).argmax()

    def constant(p, scores):      # a network whose every answer is argmax(scores); zeros: a tie, class 0
        return replace(p, W2=np.zeros_like(p.W2), b2=np.asarray(scores, dtype=p.b2.dtype))
    a = [replace(run, snapshots={2: constant(run.snapshots[2], np.eye(10)[common]), 3: constant(run.snapshots[3], np.zeros(10))})
         for run in trained]       # the last cycle end says class 0; with the one before, the most common class
    gain = np.mean(y == common) - np.mean(y == 0)
    assert gain > 0
    quiet = [np.zeros(2)] * 3      # a pooled sd of 0: any gain clears the margin
    noisy = [np.array([-1.0, 1.0])]                                # a huge one: no gain clears it
    [_, step], pick = improve.ensemble_path({"a": a}, split[1], 2, quiet)
    assert step.change == "the last 2 cycle ends and mirror images" and step.gain == pytest.approx(gain)
    assert step.kept and (pick.snapshots, pick.mirror) == (2, True)
    [_, step], pick = improve.ensemble_path({"a": a}, split[1], 2, noisy)
    assert step.gain == pytest.approx(gain) and not step.kept and (pick.snapshots, pick.mirror) == (1, False)
    [_, step], pick = improve.ensemble_path({"a": a}, split[1], 1, quiet)      # a tie goes to the ensemble before
    assert step.change == "mirror images" and step.gain == 0 and not step.kept and not pick.mirror


def test_an_ensemble_group_that_shares_no_seed_is_an_error(split, tmp_path):
    a = RunStore(tmp_path).runs([replace(SMALL, seed=s) for s in (0, 1)], *split)
    b = RunStore(tmp_path).runs([replace(SMALL, seed=s) for s in (5, 6)], *split)
    with pytest.raises(ValueError, match="seed shared"):
        improve.ensemble_path({"a": a, "b": b}, split[1], 1, [np.array([0.0, 0.01])])


def test_ablation_configs_are_cumulative():
    configs = improve.ablation_configs(SMALL, [("wider", {"hidden": 16}), ("longer", {"n_cycles": 4})])
    assert [(c.hidden, c.n_cycles) for c in configs] == [(8, 3), (16, 3), (16, 4)]
    with pytest.raises(ValueError, match="steps must be"):
        improve.ablation_configs(SMALL, [("bad", {"width": 3})])


def test_range_test_records_a_rising_eta_and_proposes_bounds(split, tmp_path):
    config = TrainConfig(**{**SMALL.__dict__, "eta_min": 0.0, "eta_max": 0.5})
    history = range_test.range_test(*split, config, 40, RunStore(tmp_path), records=10).history
    assert len(history.eta) == 10 and history.eta == sorted(history.eta) and history.eta[-1] == pytest.approx(0.5)
    eta_min, eta_max = range_test.propose_bounds(history)
    assert eta_max in history.eta and eta_min == pytest.approx(eta_max / range_test.MIN_FRACTION)


def test_proposed_eta_max_is_the_peak_of_the_smoothed_accuracy():
    from assignment2.core.history import History
    acc = [0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.55, 0.5, 0.2, 0.1, 0.1]
    history = History(config=TrainConfig(), eta=[0.01 * i for i in range(11)], val_acc=acc)
    assert range_test.propose_bounds(history) == pytest.approx((0.005, 0.05))
    with pytest.raises(ValueError, match="history must be a range test with at least 5 records"):
        range_test.propose_bounds(History(config=TrainConfig(), eta=[0.1], val_acc=[0.2]))


def test_ablation_drops_a_change_that_hurts_judges_on_the_longer_stage_and_trains_the_kept_network_longest(split, tmp_path):
    base = TrainConfig(hidden=8, n_s=10, batch_size=20, n_cycles=1, records_per_cycle=1, dtype="float32")
    short = [("no learning", {"eta_min": 0.0, "eta_max": 0.0}), ("wider", {"hidden": 16})]
    long = [("no learning again", {"eta_min": 0.0, "eta_max": 0.0})]
    study = improve.ablation(base, short, long, [0, 1], [0, 1, 2], split, RunStore(tmp_path), (2, 3), keep=2,
                             start_label="base")
    rows, chosen, finals = study.rows, study.config, study.runs
    assert [r.change for r in rows] == ["base", "no learning", "wider", "the kept network on 2 cycles",
                                           "no learning again, on 2 cycles",
                                           "the kept network on a longer schedule (3 cycles)"]
    assert [r.step for r in rows] == list(range(6)) and [r.seeds for r in rows] == [2, 2, 2, 2, 2, 3]
    assert [r.kept for r in rows[:5]] == [None, False, _stage_one_wider_kept(base, short, split, tmp_path), None,
                                             False]
    for row in (r for r in rows if r.kept is not None):
        assert row.kept == (row.gain > row.threshold)
    longest = rows[-1].kept
    assert (chosen.eta_max, chosen.n_cycles, chosen.seed) == (base.eta_max, 3 if longest else 2, 0)
    assert chosen.hidden == (16 if rows[2].kept else 8)
    assert [m.config.seed for m in finals] == [0, 1, 2] and all(len(m.snapshots) == 2 for m in finals)
    assert len(study.differences) == 2 and all(len(d) == 2 for d in study.differences)


def _stage_one_wider_kept(base, short, split, tmp_path) -> bool:
    """Stage 1's verdict on "wider", by hand from its runs: d_s paired by seed for both steps, their sd pooled
    (sum of squared deviations over 2 - 1 + 2 - 1 degrees of freedom), kept when mean(d) > 2 sd / sqrt(2)."""
    path = [base, replace(base, **short[0][1]), replace(base, **short[0][1], **short[1][1])]
    acc = [[run.row.val_acc for run in RunStore(tmp_path).runs([replace(c, seed=s) for s in (0, 1)], *split)]
           for c in path]
    d = [[after - before for after, before in zip(acc[i + 1], acc[i])] for i in range(2)]
    squares = sum((x - sum(pair) / 2) ** 2 for pair in d for x in pair)
    se = (squares / 2) ** 0.5 / 2 ** 0.5
    return sum(d[1]) / 2 > 2 * se


def test_the_verdict_worked_by_hand_on_known_differences():
    """d = (0.04, 0.06) and (0.01, -0.01): pooled sd = sqrt((0.01^2 * 2 + 0.01^2 * 2) / 2) = 0.01414,
    se = 0.01; gains 0.05 > 0.02 (kept) and 0 (a tie: dropped)."""
    from assignment2.study import rule
    first, second = rule.judge([np.array([0.04, 0.06]), np.array([0.01, -0.01])])
    assert first.gain_se == pytest.approx(0.01) and first.threshold == pytest.approx(0.02)
    assert (first.kept, second.kept) == (True, False)
    [third] = rule.judge([np.array([0.025, 0.025])], pooled_with=[np.array([0.04, 0.06])])   # sd 0.01, se 0.00707
    assert third.threshold == pytest.approx(2 * 0.01 / 2 ** 0.5) and third.kept


def test_an_ablation_step_is_judged_on_the_difference_paired_by_seed(split, tmp_path):
    base = TrainConfig(hidden=8, n_s=10, batch_size=20, n_cycles=1, records_per_cycle=1, dtype="float32")
    groups = [RunStore(tmp_path).runs([replace(c, seed=s) for s in (0, 1, 2)], *split)
              for c in (base, replace(base, hidden=16))]
    rows, [d] = improve.judge_path(["base", "wider"], groups)
    np.testing.assert_allclose(d, [w.row.val_acc - b.row.val_acc for b, w in zip(*groups)])
    assert rows[1].gain == pytest.approx(d.mean())
    assert rows[1].gain_se == pytest.approx(d.std(ddof=1) / np.sqrt(3))


def test_a_range_test_that_diverges_keeps_the_records_before(split, tmp_path):
    """With eta rising far too high the run diverges part-way: the test keeps what it recorded, stored too."""
    config = TrainConfig(**{**SMALL.__dict__, "eta_min": 0.0, "eta_max": 2.0, "lam": 0.0})
    run = range_test.range_test(*split, config, 100, RunStore(tmp_path), records=20)
    history = run.history
    assert 5 <= len(history.eta) < 20 and run.row.diverged_eta > history.eta[-1] and run.diverged
    assert range_test.propose_bounds(history)[1] <= history.eta[-1]
    assert range_test.range_test(*split, config, 100, RunStore(tmp_path), records=20).history == history


def test_teacher_targets_are_the_softmax_of_the_ensembles_mean_scores_on_the_images_and_their_mirror_images(
        split, tmp_path):
    teachers = RunStore(tmp_path).runs([SMALL, TrainConfig(**{**SMALL.__dict__, "seed": 1})], *split, keep=2)
    X = split[0][0]
    targets = ensemble.Teacher(tuple(teachers), 2).targets(X)
    assert targets.shape == (2, len(X), 10)
    for view, T in zip((X, mirrored(X)), targets):      # the reference: each network's scores, averaged in float64
        S = np.mean([network.scores(p, view).astype(np.float64) for m in teachers for p in m.last(2)], axis=0)
        P = np.exp(S - S.max(axis=1, keepdims=True))
        np.testing.assert_allclose(T, P / P.sum(axis=1, keepdims=True), rtol=1e-4, atol=1e-6)


def test_distillation_trains_every_mix_with_the_teachers_seeds_and_keeps_a_later_mix_only_by_the_rule(split, tmp_path):
    teachers = RunStore(tmp_path).runs([SMALL, replace(SMALL, seed=1), replace(SMALL, seed=2)], *split, keep=2)
    result = improve.distil_students(teachers, [(0.5, 2.0), (0.9, 4.0)], [0, 1], [0, 1, 2], split, RunStore(tmp_path),
                                     max_snapshots=2, keep=2, cycles=2)
    assert result.teacher == improve.ensemble_path({"teachers": teachers}, split[1], 2)[1]
    first, second = result.trials
    assert (first["alpha"], first["temperature"], first["seeds"], first["kept"]) == (0.5, 2.0, 2, None)
    assert (second["alpha"], second["temperature"], second["seeds"]) == (0.9, 4.0, 2)
    assert second["kept"] == (second["gain"] > second["threshold"])
    chosen = result.config
    assert (chosen.distill, chosen.seed, chosen.n_cycles) == ((0.9 if second["kept"] else 0.5), 0, 2)
    row = result.row
    assert row.kept == (row.gain > row.threshold)
    paired = [m.row.val_acc for m in teachers[:2]]
    students = result.students
    assert row.gain == pytest.approx(np.mean([s.row.val_acc for s in students[:2]]) - np.mean(paired))
    assert [m.config.seed for m in students] == ([0, 1, 2] if row.kept else [0, 1])
    assert len(list(tmp_path.glob("*.npz"))) == 3 + 2 * 2 + row.kept


def test_no_mix_trains_no_student_and_leaves_the_teachers_chosen(split, tmp_path):
    teachers = RunStore(tmp_path).runs([SMALL, replace(SMALL, seed=1)], *split, keep=2)
    result = improve.distil_students(teachers, [], [0, 1], [0, 1], split, RunStore(tmp_path), max_snapshots=2, keep=2)
    assert result == improve.Distillation(improve.ensemble_path({"teachers": teachers}, split[1], 2)[1], [], None, [],
                                          None)
    assert len(list(tmp_path.glob("*.npz"))) == 2 and not result.kept
    chosen = improve.chosen_network(result, improve.Ablation([], SMALL, teachers, []))
    assert chosen.config is SMALL and chosen.runs is teachers and chosen.groups == {"teachers": teachers}
    assert not chosen.students


def test_the_students_are_chosen_only_when_the_rule_kept_them(split, tmp_path):
    teachers, students = ["t0", "t1"], ["s0", "s1"]
    for kept in (True, False):
        row = improve.Step(1, "students", 2, 0.5, 0.01, 0.01, 0.001, 0.002, kept)
        distilled = improve.Distillation(None, [], "student config", students, row)
        chosen = improve.chosen_network(distilled, improve.Ablation([], "teacher config", teachers, []))
        assert (chosen.config, chosen.runs, chosen.students) == \
            (("student config", students, True) if kept else ("teacher config", teachers, False))
        assert list(chosen.groups) == (["students", "teachers"] if kept else ["teachers", "students"])
