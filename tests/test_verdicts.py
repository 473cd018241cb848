"""The verdicts the report states, for every outcome (leads, ties, reversals, zero spreads), and the words of
report/words.typ.j2 rendered for each of them."""

import itertools
from dataclasses import replace
from types import SimpleNamespace

import jinja2
import pytest

from assignment2.core.train import TrainConfig
from assignment2.report import facts, formats, pdf
from assignment2.study.exercises.cyclical_lr import CostMethod
from assignment2.study.experiments import BatchSummary


@pytest.fixture(scope="module")
def say():
    """The macros of report/words.typ.j2, with the report's filters and verdicts."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(pdf.ROOT / "report"), undefined=jinja2.StrictUndefined,
                             **pdf.DELIMITERS)
    pdf.add_helpers(env)
    return env.get_template("words.typ.j2").module


def timing(median, low, high, repeats=3):
    return CostMethod("full", 1.0, 1.0, 0.5, repeats, median, low, high)


@pytest.mark.parametrize("a, b, higher, equal, clear, se", [
    ((0.50, 0.01, 3), (0.45, 0.01, 3), True, False, True, 0.01 * (2 / 3) ** 0.5),
    ((0.45, 0.01, 3), (0.50, 0.01, 3), False, False, True, 0.01 * (2 / 3) ** 0.5),
    ((0.451, 0.01, 3), (0.450, 0.01, 3), True, False, False, 0.01 * (2 / 3) ** 0.5),
    ((0.46, 0.0, 3), (0.45, 0.0, 3), True, False, True, 0.0),
    ((0.45, 0.0, 3), (0.45, 0.01, 3), False, True, False, 0.01 / 3 ** 0.5),
])
def test_compare_says_which_is_higher_and_whether_clearly(a, b, higher, equal, clear, se):
    d = facts.compare(*a, *b)
    assert (d.higher, d.equal, d.clear) == (higher, equal, clear)
    assert d.se == pytest.approx(se) and d.limit == pytest.approx(facts.CLEAR * se)
    assert d.size == pytest.approx(abs(a[0] - b[0])) and d.single is (a[2] == b[2] == 1)


def test_overlap_of_run_times():
    assert facts.overlap(timing(2.0, 1.9, 2.2), timing(2.0, 1.8, 2.1))
    assert not facts.overlap(timing(2.6, 2.5, 2.7), timing(1.9, 1.8, 2.0))
    assert facts.diff(2.6, 1.9).relative == pytest.approx(0.7 / 1.9)


@pytest.mark.parametrize("mean, std, reference, clear, higher", [
    (0.4645, 0.0025, 0.4612, False, False),       # 0.33 points, within 2 sd (0.5 points)
    (0.4645, 0.0025, 0.4540, True, False),        # reference 1.05 points below
    (0.4645, 0.0025, 0.4763, True, True),         # reference 1.18 points above
    (0.4645, 0.0, 0.4645, False, False),
    (0.4645, 0.0, 0.4646, True, True),            # no spread: any difference is outside it
])
def test_a_reference_is_within_our_spread_up_to_two_standard_deviations(mean, std, reference, clear, higher):
    d = facts.spread(mean, std, reference)
    assert (d.clear, d.higher, d.limit) == (clear, higher, 2 * std)


def test_about_reads_about_as_within_one_point():
    assert not facts.about(0.4645, 0.46).clear
    assert facts.about(0.4713, 0.46).clear and facts.about(0.4713, 0.46).higher
    assert facts.about(0.4480, 0.46).clear and not facts.about(0.4480, 0.46).higher


def test_formats():
    assert formats.mean_pm(0.4645, 0.0025, 3) == "46.45% ± 0.25% (3 seeds)"
    assert formats.mean_pm(0.4645, 0.0, 1) == "46.45% (one run)"
    assert formats.escape("50% of a_b & c #1 [x] $y$ m = 2") == "50% of a\\_b & c \\#1 \\[x\\] \\$y\\$ m \\= 2"
    assert formats.points(-0.0123) == "1.23 points" and formats.points(0.01, 0) == "1 point"
    assert formats.signed(-0.004) == "−0.40" and formats.signed(None) == "---"


def summary(acc, std=0.01, n=3, diverged=0, train=None, dead=0.0, eta_max=0.1, scaling="fixed"):
    nan = float("nan")
    finished = n - diverged
    return BatchSummary(n_seeds=n, n_diverged=diverged, diverged_at=4817 if diverged else "",
                        diverged_eta=0.0963 if diverged else "", eta_max=eta_max, eta_min=eta_max / 10, n_s=500,
                        batch_size=100, eta_scaling=scaling, test_acc_mean=acc if finished else nan,
                        test_acc_std=std if finished else nan,
                        train_acc_mean=(acc if train is None else train) if finished else nan, train_acc_std=0.0,
                        val_acc_mean=acc, val_acc_std=0.0, seconds_mean=1.0, seconds_std=0.0, seconds_median=1.0,
                        dead_units_mean=dead if finished else nan, dead_units_std=0.0)


def test_batch_pairs_tell_divergence_collapse_and_comparison_apart():
    (fixed, scaled, d), = facts.batch_pairs([summary(0, diverged=3), summary(0.45, eta_max=0.01, scaling="linear")])
    assert (fixed.finished, fixed.diverged, scaled.finished, d) == (0, 3, 3, None)
    (fixed, scaled, d), = facts.batch_pairs([summary(0.10, train=0.10, dead=50), summary(0.45, scaling="linear")])
    assert fixed.collapsed and not scaled.collapsed and d.higher and d.first == 0.45
    (fixed, scaled, d), = facts.batch_pairs([summary(0.451), summary(0.450, eta_max=0.2, scaling="linear")])
    assert not d.higher and not d.clear
    (fixed, scaled, d), = facts.batch_pairs([summary(0, diverged=1, train=0.1), summary(0.5, scaling="linear")])
    assert fixed.finished == 2 and fixed.collapsed and d.se == pytest.approx((0.01 ** 2 / 2 + 0.01 ** 2 / 3) ** 0.5)


def history(val_acc, n_s=2, n_cycles=2):
    return SimpleNamespace(config=SimpleNamespace(n_s=n_s, n_cycles=n_cycles),
                           step=list(range(1, 4 * n_cycles * n_s // 2 + 1)), val_acc=val_acc)


def test_cycle_ends_reads_the_curve_as_it_is():
    good = facts.cycle_ends(history([0.3, 0.35, 0.33, 0.4, 0.38, 0.41, 0.40, 0.45]))
    assert (good.better, good.cycles, good.last_peak, good.last_end) == (2, 2, 0.41, 0.45)
    assert (good.best, good.best_step, good.best_cycle, good.at_end) == (0.45, 8, 2, True)
    mixed = facts.cycle_ends(history([0.3, 0.50, 0.33, 0.4, 0.38, 0.41, 0.40, 0.45]))
    assert (mixed.better, mixed.best, mixed.best_step, mixed.best_cycle, mixed.at_end) == (1, 0.5, 2, 1, False)


def model_summary(label, ece, confidence, acc):
    return {"label": label, "ece": ece, "mean_confidence": confidence, "test_acc": acc,
            "class_accuracies": {"cat": 0.4, "ship": 0.8, "dog": 0.5},
            "worst_confusion": {"true": "cat", "predicted": "dog", "rate": 0.21}}


def test_classes_name_the_hardest_and_easiest():
    s = facts.classes(model_summary("m = 200", 0.05, 0.5, 0.5))
    assert (s["hardest"], s["easiest"]) == ("cat", "ship")


def test_bonus_options_name_only_what_the_config_uses():
    assert formats.bonus_options(TrainConfig(flip=True, dropout=0.1)) == ["random flips", "dropout 0.1"]
    assert formats.bonus_options(TrainConfig(translate=2)) == ["translations of up to 2 px"]


def test_every_outcome_renders_without_a_zero_difference_or_a_nan(say):
    """A tie says so rather than "0.00 points higher"; a setting with no finished run states no NaN."""
    values = [(0.50, 0.01, 3), (0.45, 0.01, 3), (0.451, 0.01, 3), (0.45, 0.0, 3), (0.46, 0.0, 1), (0.45, 0.0, 1)]
    texts = [say.difference("A", "B", facts.compare(*a, *b)) for a, b in itertools.product(values, values)]
    texts += [say.versus(a, b) + say.gap(facts.diff(a, b)) for a, b in itertools.product([0.4, 0.45], [0.45, 0.4])]
    texts += [say.times("a", a, "b", b) for a, b in itertools.product(
        [timing(2.0, 1.9, 2.2), timing(2.6, 2.5, 2.7), timing(1.9, 1.8, 2.0)], repeat=2)]
    rows = [summary(0, diverged=3), summary(0.10, train=0.10, dead=50), summary(0.45), summary(0.1, diverged=1)]
    for f, s in itertools.product(rows, rows):
        texts.append(say.eta_scaling(*facts.batch_pairs([f, replace(s, eta_scaling="linear")])[0], 50))
    ones = [model_summary("one", 0.08, 0.67, 0.59), model_summary("ens", 0.02, 0.62, 0.60)]
    texts += [say.calibration(a, b) + say.overconfidence(a) for a, b in itertools.product(ones, ones)]
    for text in texts:
        assert text.strip() and "nan" not in text and "0.00 points" not in text and "0.00 s" not in text, text
    tie = say.difference("A", "B", facts.compare(0.45, 0.0, 3, 0.45, 0.01, 3))
    assert "reach the same mean accuracy, 45.00%" in tie
