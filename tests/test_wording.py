"""The report's generated sentences read right for every outcome: leads, ties, reversals, zero spreads."""

from types import SimpleNamespace

import pytest

from assignment2.core.train import TrainConfig
from assignment2.report import wording
from assignment2.study.exercises.cyclical_lr import CostMethod


def timing(median, low, high, repeats=3):
    return CostMethod("full", 1.0, 1.0, 0.5, repeats, median, low, high)


@pytest.mark.parametrize("a, b, expected", [
    ((0.50, 0.01, 3), (0.45, 0.01, 3), "5.00 points higher, 6.1 standard errors"),
    ((0.45, 0.01, 3), (0.50, 0.01, 3), "5.00 points lower, 6.1 standard errors"),
    ((0.451, 0.01, 3), (0.450, 0.01, 3), "the difference, 0.10 points, is within 2 standard errors"),
    ((0.449, 0.01, 3), (0.450, 0.01, 3), "no clear difference"),
    ((0.46, 0.0, 3), (0.45, 0.0, 3), "1.00 points higher; with no spread over the seeds, the size of the noise is unknown"),
    ((0.46, 0.0, 1), (0.45, 0.0, 1), "with one run each, the size of the noise is unknown"),
    ((0.45, 0.0, 3), (0.45, 0.01, 3), "reach the same mean accuracy, 45.00%"),
])
def test_difference_for_leads_reversals_ties_and_zero_spreads(a, b, expected):
    sentence = wording.difference(("A", *a), ("B", *b))
    assert expected in sentence
    assert "0.00 points" not in sentence


def test_times_say_a_tie_when_the_ranges_overlap_and_never_zero_seconds():
    tie = wording.times("A", timing(2.0, 1.9, 2.2), "B", timing(2.0, 1.8, 2.1))
    assert "took about as long" in tie and "medians of 3 runs" in tie
    assert "0.00 s" not in tie
    longer = wording.times("recording a", timing(2.6, 2.5, 2.7), "b", timing(1.9, 1.8, 2.0))
    assert longer.startswith("Recording a took 0.70 s (37%) longer than b (medians of 3 runs: 2.60 s for recording a")
    shorter = wording.times("a", timing(1.9, 1.8, 2.0), "b", timing(2.6, 2.5, 2.7))
    assert shorter.startswith("A took 0.70 s (27%) less than b")


@pytest.mark.parametrize("train_acc, val_acc, expected", [
    (0.60, 0.45, "15.00 points above the validation accuracy"),
    (0.40, 0.45, "5.00 points below the validation accuracy (40.00% against 45.00%): no sign of overfitting"),
    (0.45, 0.45, "ends level with the validation accuracy"),
])
def test_gap(train_acc, val_acc, expected):
    assert expected in wording.gap(train_acc, val_acc)


def test_lag_states_what_the_numbers_show():
    assert "ends above it, at 2.0000 against 1.5000" in wording.lag(2.0, 1.5)
    assert "not above the full cost" in wording.lag(1.4, 1.5)
    assert "not above the full cost" in wording.lag(1.5, 1.5)


@pytest.mark.parametrize("mean, std, n, reference, expected", [
    (0.4645, 0.0025, 3, 0.4612, "within the spread (0.33 points"),
    (0.4645, 0.0025, 3, 0.4540, "outside the spread: reference below ours by 1.05 points"),
    (0.4645, 0.0025, 3, 0.4763, "outside the spread: reference above ours by 1.18 points"),
    (0.4645, 0.0, 3, 0.4645, "within the spread (0.00 points"),
    (0.4645, 0.0, 3, 0.4646, "outside the spread: reference above ours by 0.01 points"),
    (1.0, 0.0, 1, 0.82, "one run, no spread: reference below ours by 18.00 points"),
    (0.82, 0.0, 1, 0.82, "one run: equal"),
])
def test_verdict(mean, std, n, reference, expected):
    assert expected in wording.verdict(mean, std, n, reference)


def test_about_reads_about_as_within_one_point():
    assert wording.about(0.4645, 0.46) == "as expected (within 1 point)"
    assert wording.about(0.4713, 0.46) == "ours above by 1.13 points"
    assert wording.about(0.4480, 0.46) == "ours below by 1.20 points"


def test_mean_pm_and_escape():
    assert wording.mean_pm(0.4645, 0.0025, 3) == "46.45% ± 0.25% (3 seeds)"
    assert wording.mean_pm(0.4645, 0.0, 1) == "46.45% (one run)"
    assert wording.escape("50% of a_b & c #1 [x] $y$ m = 2") == "50% of a\\_b & c \\#1 \\[x\\] \\$y\\$ m \\= 2"


def summary(acc, std=0.01, n=3, diverged=0, train=None, dead=0.0, eta_max=0.1, at=4817, eta=0.0963):
    nan = float("nan")
    finished = n - diverged
    return {"n_seeds": n, "n_diverged": diverged, "diverged_at": at if diverged else "",
            "diverged_eta": eta if diverged else "", "eta_max": eta_max,
            "test_acc_mean": acc if finished else nan, "test_acc_std": std if finished else nan,
            "train_acc_mean": (acc if train is None else train) if finished else nan,
            "dead_units_mean": dead if finished else nan}


def test_eta_scaling_tells_divergence_collapse_and_comparison_apart():
    diverged = wording.eta_scaling(summary(0, diverged=3), summary(0.45, eta_max=0.01), 50)
    assert diverged.startswith("With $eta$ fixed, training diverged in 3 of 3 seeds and was stopped "
                               "(the first at update 4817, at $eta=0.0963$). ")
    assert "With $eta_max$ scaled to 0.01, the test accuracy is 45.00% ± 1.00% (3 seeds)." in diverged
    collapsed = wording.eta_scaling(summary(0.10, train=0.10, dead=50), summary(0.45, eta_max=0.01), 50)
    assert "the finished runs learnt nothing" in collapsed and "50 of the 50 hidden units" in collapsed
    assert "Scaling $eta$ (to $eta_max=0.01$) reaches a mean test accuracy of 45.00%" in collapsed
    both = wording.eta_scaling(summary(0.451), summary(0.450, eta_max=0.2), 50)
    assert both.startswith("Scaling") and "no clear difference" in both
    neither = wording.eta_scaling(summary(0, diverged=3), summary(0, diverged=2, n=3, eta_max=0.01), 50)
    assert "diverged in 3 of 3" in neither and "diverged in 2 of 3" in neither and "the test accuracy is" in neither
    assert "nan" not in diverged + collapsed + both + neither


def history(val_acc, n_s=2, n_cycles=2):
    return SimpleNamespace(config=SimpleNamespace(n_s=n_s, n_cycles=n_cycles),
                           step=list(range(1, 4 * n_cycles * n_s // 2 + 1)), val_acc=val_acc)


def test_cycle_ends_reads_the_curve_as_it_is():
    good = wording.cycle_ends(history([0.3, 0.35, 0.33, 0.4, 0.38, 0.41, 0.40, 0.45]), "the run")
    assert "higher at the end of every cycle" in good and "(in the last cycle 45.00% against 41.00%)" in good
    assert "it is highest, 45.00%, at the end of cycle 2." in good
    mixed = wording.cycle_ends(history([0.3, 0.50, 0.33, 0.4, 0.38, 0.41, 0.40, 0.45]), "the run")
    assert "higher at the end of 1 of the 2 cycles" in mixed
    assert "it is highest, 50.00%, at update 2, within cycle 1 rather than at its end." in mixed


def model_summary(label, ece, confidence, acc):
    return {"label": label, "ece": ece, "mean_confidence": confidence, "test_acc": acc,
            "class_accuracies": {"cat": 0.4, "ship": 0.8, "dog": 0.5},
            "worst_confusion": {"true": "cat", "predicted": "dog", "rate": 0.21}}


def test_calibration_says_which_is_better_calibrated_for_every_order():
    one, ens = model_summary("one", 0.08, 0.67, 0.59), model_summary("ens", 0.02, 0.62, 0.60)
    assert wording.calibration(one, ens).startswith("The ensemble is better calibrated than one network: its ECE is 2.0%")
    assert "is not better calibrated" in wording.calibration(ens, one)
    assert "equally calibrated" in wording.calibration(one, one)
    assert wording.overconfidence(one) == "8.0 points more confident than accurate"
    assert wording.overconfidence(model_summary("x", 0.0, 0.5, 0.6)) == "10.0 points less confident than accurate"
    assert wording.overconfidence(model_summary("x", 0.0, 0.5, 0.5)) == "as confident as it is accurate"


def test_classes_name_the_hardest_easiest_and_worst_confusion():
    text = wording.classes(model_summary("m = 200", 0.05, 0.5, 0.5))
    assert "hardest class is _cat_ (40.0% right) and the easiest _ship_ (80.0%)" in text
    assert "21.0% of the _cat_ images to _dog_" in text


def test_bonus_options_name_only_what_the_config_uses():
    assert wording.bonus_options(TrainConfig(flip=True, dropout=0.1)) == ["random flips", "dropout 0.1"]
    assert wording.bonus_options(TrainConfig(translate=2)) == ["translations of up to 2 px"]
