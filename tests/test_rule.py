import numpy as np
import pytest

from assignment2.study import rule


def test_a_change_that_clears_the_margin_is_kept_and_one_that_does_not_is_dropped():
    clear = np.array([0.010, 0.012, 0.011])          # +1.1 points, paired sd 0.1: far more than 2 s.e.
    noise = np.array([0.004, -0.002, 0.001])         # +0.1 points, sd 0.3: inside the noise
    kept, dropped = rule.judge([clear, noise])
    sd = rule.pooled_sd([clear, noise])
    assert kept.gain_se == dropped.gain_se == pytest.approx(sd / np.sqrt(3))
    assert kept.threshold == pytest.approx(rule.MARGIN * kept.gain_se)
    assert kept.gain == pytest.approx(0.011) and kept.kept is True
    assert dropped.gain == pytest.approx(0.001) and dropped.kept is False


def test_the_rule_uses_differences_paired_by_seed():
    """Seeds that differ a lot from each other, and a change that adds the same small gain to each:
    paired, the gain is clear; compared as two unpaired means, the seeds' spread would hide it."""
    before = {0: 0.40, 1: 0.50, 2: 0.60}
    after = {2: 0.607, 0: 0.405, 1: 0.506, 7: 0.99}          # seed 7 has no partner: left out
    d = rule.paired_differences(after, before)
    np.testing.assert_allclose(d, [0.005, 0.006, 0.007])
    [verdict] = rule.judge([d])
    assert verdict.kept is True
    unpaired_se = np.sqrt(np.var([0.40, 0.50, 0.60], ddof=1) / 3 * 2)
    assert verdict.gain < rule.MARGIN * unpaired_se       # what comparing the means would have said
    shuffled = rule.paired_differences({0: 0.607, 1: 0.405, 2: 0.506}, before)    # the same values, other seeds
    assert rule.judge([shuffled])[0].kept is False


def test_a_tie_goes_to_the_step_before():
    at_threshold = np.array([0.01, 0.03])             # gain 0.02, sd 0.01414 / sqrt(2) = 0.01: threshold 0.02
    [verdict] = rule.judge([at_threshold])
    assert verdict.gain == pytest.approx(verdict.threshold) and verdict.kept is False
    [none] = rule.judge([np.zeros(3)])               # no gain at all, no spread at all
    assert none.threshold == 0.0 and none.kept is False


def test_the_spread_is_pooled_over_the_comparisons_judged_together():
    a, b = np.array([0.010, 0.012]), np.array([0.0, 0.02])
    assert rule.pooled_sd([a, b]) == pytest.approx(np.sqrt((2e-6 + 2e-4) / 2))
    alone, pooled = rule.judge([a])[0], rule.judge([a], pooled_with=[b])[0]
    assert alone.kept is True and pooled.kept is False    # a lucky tight pair does not decide alone


def test_comparisons_without_shared_seeds_or_spread_name_the_seeds():
    with pytest.raises(ValueError, match=r"seeds must be at least one seed shared by both sides"):
        rule.paired_differences({0: 0.5}, {1: 0.5})
    with pytest.raises(ValueError, match=r"seeds must be at least two seeds shared"):
        rule.judge([np.array([0.01])])
