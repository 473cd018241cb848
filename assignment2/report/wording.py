"""How the report writes numbers and comparisons: Typst markup that reads right for every outcome.

Each comparison is decided from the numbers (ties, reversals and zero spreads included), so no
sentence of the report states a result that its own tables contradict.
"""

import math

from ..study.stats import difference_se, mean_sd

#: Characters with a meaning in Typst markup, escaped with a backslash in text.
TYPST_SPECIAL = set("\\#$*_@<>[]`~/=-+")
#: Two means differ clearly when they are more than this many standard errors apart.
CLEAR = 2.0
#: The assignment's "about 46%" is read as within this much (a fraction) of 0.46.
ABOUT = 0.01


def escape(text) -> str:
    """``text`` with Typst's markup characters escaped: it reads as plain text."""
    return "".join("\\" + c if c in TYPST_SPECIAL else c for c in str(text))


def sci(x: float, digits: int = 2) -> str:
    """x in Typst scientific notation, e.g. 1.23 times 10^(-4) (for math mode)."""
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return f"{mantissa} times 10^({int(exponent)})"


def sci_text(x: float, digits: int = 2) -> str:
    """``sci`` wrapped in $...$, for text and table cells."""
    return f"${sci(x, digits)}$"


def pct(x: float, digits: int = 2) -> str:
    """A fraction as a percentage: 0.4635 -> 46.35% (NaN, a mean over no runs: ---)."""
    return "---" if math.isnan(x) else f"{100 * x:.{digits}f}%"


def points(x: float, digits: int = 2) -> str:
    """A difference of fractions in percentage points: 0.0123 -> 1.23 points, 0.01 -> 1 point (digits 0)."""
    value = f"{100 * x:.{digits}f}"
    return f"{value} point{'' if value == '1' else 's'}"


def mean_pm(mean: float, std: float, n: int) -> str:
    """46.45% ± 0.25% (3 seeds), or 46.45% (one run)."""
    return f"{pct(mean)} ± {pct(std)} ({n} seeds)" if n > 1 else f"{pct(mean)} (one run)"


def rerun_band(std: float, n: int) -> float:
    """How far a rerun's mean over n other seeds (or another machine's) may fall from a mean over n
    seeds with spread std: 2 standard errors of the difference of two such means, 2 std sqrt(2 / n)."""
    return 2 * difference_se(std, n, std, n)


def rerun_range(mean: float, std: float, n: int) -> str:
    """"61.57–61.89%": where a rerun with n other seeds should land (``rerun_band``)."""
    band = rerun_band(std, n)
    return f"{100 * (mean - band):.2f}–{pct(mean + band)}"


def difference(first: tuple, second: tuple, what: str = "accuracy") -> str:
    """A sentence comparing the mean ``what`` of two settings, each (label, mean, std, runs) (fractions)."""
    (a, a_mean, a_std, a_n), (b, b_mean, b_std, b_n) = first, second
    diff = a_mean - b_mean
    se = difference_se(a_std, a_n, b_std, b_n)
    values = f"{a} reaches a mean {what} of {pct(a_mean)} against {pct(b_mean)} for {b}"
    if diff == 0:
        return f"{a} and {b} reach the same mean {what}, {pct(a_mean)}."
    direction = "higher" if diff > 0 else "lower"
    if se == 0:
        spread = "one run each" if a_n == b_n == 1 else "no spread over the seeds"
        return f"{values}, {points(abs(diff))} {direction}; with {spread}, the size of the noise is unknown."
    if abs(diff) <= CLEAR * se:
        return (f"{values}: the difference, {points(abs(diff))}, is within {CLEAR:g} standard errors "
                f"({points(CLEAR * se)}), so there is no clear difference.")
    return f"{values}: {points(abs(diff))} {direction}, {abs(diff) / se:.1f} standard errors of the difference."


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def times(a: str, a_row, b: str, b_row) -> str:
    """A sentence comparing the wall times of runs a and b (lower-case labels): ``cyclical_lr.CostMethod``s."""
    medians = f"medians of {a_row.repeats} runs: {a_row.seconds:.2f} s for {a} and {b_row.seconds:.2f} s for {b}"
    overlap = a_row.seconds_min <= b_row.seconds_max and b_row.seconds_min <= a_row.seconds_max
    if overlap:
        return _sentence(f"{a} and {b} took about as long ({medians}; the ranges of their run times overlap).")
    diff = a_row.seconds - b_row.seconds
    return _sentence(f"{a} took {abs(diff):.2f} s ({pct(abs(diff) / b_row.seconds, 0)}) "
                     f"{'longer' if diff > 0 else 'less'} than {b} ({medians}; the ranges of their run times do not "
                     "overlap).")


def gap(train_acc: float, val_acc: float) -> str:
    """A sentence on the gap between final training and validation accuracy."""
    diff = train_acc - val_acc
    if diff > 0:
        return (f"The training accuracy ends {points(diff)} above the validation accuracy "
                f"({pct(train_acc)} against {pct(val_acc)}): overfitting that the regularisation limits but does not "
                "remove.")
    relation = "level with" if diff == 0 else f"{points(-diff)} below"
    return (f"The training accuracy ends {relation} the validation accuracy "
            f"({pct(train_acc)} against {pct(val_acc)}): no sign of overfitting.")


def lag(running_mean: float, full: float) -> str:
    """A sentence on where the running mean of batch costs ends against the full training cost."""
    if running_mean > full:
        return (f"the running mean ends above it, at {running_mean:.4f} against {full:.4f}, because it still "
                "averages the costs of the first, poor, updates")
    return f"the running mean ends at {running_mean:.4f}, not above the full cost ({full:.4f})"


def verdict(mean: float, std: float, n: int, reference: float) -> str:
    """Is a reference value within our seed-to-seed spread (mean +- CLEAR std over n seeds)?"""
    diff = reference - mean
    if n < 2:
        return f"one run, no spread: reference {'above' if diff > 0 else 'below'} ours by {points(abs(diff))}" \
            if diff else "one run: equal"
    if abs(diff) <= CLEAR * std:
        return f"within the spread ({points(abs(diff))} ≤ {CLEAR:g} sd)"
    return f"outside the spread: reference {'above' if diff > 0 else 'below'} ours by {points(abs(diff))}"


def about(mean: float, expected: float) -> str:
    """Does our mean match an expectation of "about ``expected``" (within ABOUT)?"""
    diff = mean - expected
    if abs(diff) <= ABOUT:
        return f"as expected (within {points(ABOUT, 0)})"
    return f"ours {'above' if diff > 0 else 'below'} by {points(abs(diff))}"


#: A final training accuracy below this (chance is 0.1 for ten classes) means a run learnt nothing.
COLLAPSED = 0.2


def _ending(label: str, row: dict, hidden: int) -> str:
    """How the runs of one summary row ended, if any did not end normally ("" if all did)."""
    parts = []
    if row.get("n_diverged"):
        parts.append(f"{label}, training diverged in {row['n_diverged']} of {row['n_seeds']} seeds and was stopped "
                     f"(the first at update {row['diverged_at']}, at $eta={row['diverged_eta']:.3g}$)")
    if row["n_seeds"] > row.get("n_diverged", 0) and row["train_acc_mean"] < COLLAPSED:
        parts.append(f"{label}, the finished runs learnt nothing: the training accuracy ends at "
                     f"{pct(row['train_acc_mean'])}, chance level, with {row['dead_units_mean']:.0f} of the "
                     f"{hidden} hidden units zero on every training image")
    return "; ".join(parts)


def eta_scaling(fixed: dict, scaled: dict, hidden: int) -> str:
    """Sentences on one batch size run with fixed and with linearly scaled learning rates (summary rows)."""
    scaled_label = f"with $eta_max$ scaled to {scaled['eta_max']:g}"
    endings = [e for e in (_ending("with $eta$ fixed", fixed, hidden), _ending(scaled_label, scaled, hidden)) if e]
    text = "".join(f"{_sentence(e)}. " for e in endings)
    done = [row for row in (fixed, scaled) if row["n_seeds"] > row.get("n_diverged", 0)]
    if len(done) == 2:
        finished = lambda label, row: (label, row["test_acc_mean"], row["test_acc_std"],
                                       row["n_seeds"] - row.get("n_diverged", 0))
        return text + difference(finished(f"Scaling $eta$ (to $eta_max={scaled['eta_max']:g}$)", scaled),
                                 finished("keeping it fixed", fixed), "test accuracy")
    if done:
        row = done[0]
        label = "With $eta$ fixed" if row is fixed else _sentence(scaled_label)
        finished = row["n_seeds"] - row.get("n_diverged", 0)
        return text + f"{label}, the test accuracy is {mean_pm(row['test_acc_mean'], row['test_acc_std'], finished)}."
    return text.strip()


def cycle_ends(history, label: str) -> str:
    """Sentences on where a cyclical run (its History) is best: at the ends of the cycles, where the
    learning rate is smallest, or not."""
    n_s, n_cycles = history.config.n_s, history.config.n_cycles
    steps, acc = history.step, history.val_acc
    at = lambda step: acc[min(range(len(steps)), key=lambda i: abs(steps[i] - step))]
    ends = [(at((2 * k - 1) * n_s), at(2 * k * n_s)) for k in range(1, n_cycles + 1)]
    better = sum(end > peak for peak, end in ends)
    best = max(range(len(steps)), key=lambda i: acc[i])
    cycle, end = -(-steps[best] // (2 * n_s)), steps[best] % (2 * n_s) == 0
    where = f"the end of cycle {cycle}" if end else f"update {steps[best]}, within cycle {cycle} rather than at its end"
    share = "every cycle" if better == n_cycles else f"{better} of the {n_cycles} cycles"
    return (f"In {label}, the validation accuracy is higher at the end of {share}, where the learning rate is "
            f"smallest, than at the cycle's peak learning rate (in the last cycle {pct(ends[-1][1])} against "
            f"{pct(ends[-1][0])}); it is highest, {pct(acc[best])}, at {where}.")


def signed_points(x: float) -> str:
    """A gain in points with its sign: 0.0123 -> +1.23, -0.004 -> −0.40 (a minus sign, not a hyphen)."""
    return f"{'+' if x >= 0 else '−'}{100 * abs(x):.2f}"


def gain(value, se) -> str:
    """An ablation step's gain and its standard error in points, "+1.23 (0.40)"; --- for the start (None)."""
    return "---" if value is None else f"{signed_points(value)} ({100 * se:.2f})"


def signed(value) -> str:
    """``signed_points``, or --- for None (the start of a path)."""
    return "---" if value is None else signed_points(value)


def threshold(value) -> str:
    """A threshold or standard error in points, "0.40"; --- for None (the start of a path)."""
    return "---" if value is None else f"{100 * value:.2f}"


def kept_cell(kept) -> str:
    """The "kept" cell of a row judged by the rule: start (None), yes or *no*."""
    return "start" if kept is None else "yes" if kept else "*no*"


def kept_changes(rows: list) -> str:
    """Which changes of an ablation (its ``improve.Step``s) were kept and which dropped, as sentences."""
    kept = [escape(r.change) for r in rows if r.kept]
    dropped = [f"{escape(r.change)} ({signed_points(r.gain)} points, threshold {threshold(r.threshold)})"
               for r in rows if r.kept is False]
    text = f"Kept: {', '.join(kept)}." if kept else "No change cleared its margin."
    if not dropped:
        return text + " Every change was kept, so the chosen network is the last step."
    return (f"{text} Dropped: {', '.join(dropped)}. The steps after a dropped change were trained with it in place; "
            "the chosen network leaves every dropped change out and was trained on its own.")


def distillation(d, row) -> str:
    """Sentences on the students of notebook 06 against their teachers on validation: ``d`` its
    ``DistillationSummary``, ``row`` the ablation's ``improve.Step`` of the students."""
    students = mean_pm(row.val_acc_mean, row.val_acc_std, row.seeds)
    teachers = pct(row.val_acc_mean - row.gain)
    verdict_text = ("it clears the threshold of " if row.kept else "inside the threshold of ") + \
        f"{threshold(row.threshold)}, " + ("so the students are the chosen network" if row.kept else
                                             "so the teachers stay the chosen network")
    return (f"The {row.seeds} students reach a validation accuracy of {students}, against {teachers} for their "
            f"teachers of the same seeds: {gain(row.gain, row.gain_se)} points, {verdict_text}.")


def test_spread(rows: list[dict]) -> str:
    """The mean ± sd of the rows' "test_acc" over the runs (``mean_pm``)."""
    return mean_pm(*mean_sd([r["test_acc"] for r in rows]), len(rows))


def teacher_and_students(d) -> str:
    """A sentence with the test accuracies of notebook 06's teacher ensemble, its networks and the students."""
    return (f"For the record, the teacher ensemble reaches {pct(d.teacher_test_acc)} on test, its networks one by "
            f"one {test_spread(d.teachers)} and the students {test_spread(d.students)}.")


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def classes(summary: dict) -> str:
    """Sentences on one model's hardest and easiest classes and its most frequent confusion (``analysis.summary``)."""
    accs = summary["class_accuracies"]
    hardest, easiest = min(accs, key=accs.get), max(accs, key=accs.get)
    worst = summary["worst_confusion"]
    return (f"For {summary['label']}, the hardest class is _{hardest}_ ({pct(accs[hardest], 1)} right) and the easiest "
            f"_{easiest}_ ({pct(accs[easiest], 1)}); the most frequent confusion takes {pct(worst['rate'], 1)} of the "
            f"_{worst['true']}_ images to _{worst['predicted']}_.")


def calibration(single: dict, ensemble: dict) -> str:
    """A sentence comparing the expected calibration error of one network and of an ensemble (``analysis.summary``)."""
    a, b = single["ece"], ensemble["ece"]
    confidences = (f"mean confidence {pct(single['mean_confidence'], 1)} at an accuracy of "
                   f"{pct(single['test_acc'], 1)}, "
                   f"against {pct(ensemble['mean_confidence'], 1)} at {pct(ensemble['test_acc'], 1)}")
    if b < a:
        return (f"The ensemble is better calibrated than one network: its ECE is {pct(b, 1)} against {pct(a, 1)} "
                f"({confidences}).")
    if b == a:
        return f"The ensemble and one network are equally calibrated, with an ECE of {pct(a, 1)} ({confidences})."
    return (f"The ensemble is not better calibrated than one network here: its ECE is {pct(b, 1)} against "
            f"{pct(a, 1)} ({confidences}).")


def overconfidence(summary: dict) -> str:
    """How a model's mean confidence stands to its accuracy: "1.7 points more confident than accurate"."""
    diff = summary["mean_confidence"] - summary["test_acc"]
    if diff == 0:
        return "as confident as it is accurate"
    return f"{points(abs(diff), 1)} {'more' if diff > 0 else 'less'} confident than accurate"


def bonus_options(config) -> list[str]:
    """The bonus options a network's TrainConfig uses: "random flips", "translations of up to 2 px", "dropout
    0.1", "ZCA-whitened inputs (epsilon = 0.1 x the mean eigenvalue)" (as plain text)."""
    used = (("random flips", config.flip), (f"translations of up to {config.translate} px", config.translate),
            (f"dropout {config.dropout:g}", config.dropout),
            (f"ZCA-whitened inputs (epsilon = {config.whiten:g} x the mean eigenvalue)", config.whiten),
            (f"distillation (alpha = {config.distill:g}, T = {config.temperature:g})", config.distill))
    return [name for name, on in used if on]


def ensemble_members(ensemble) -> str:
    """What notebook 06's ensemble averages, as plain text: "the last 2 cycle ends of 3 teachers and 3 students,
    with mirror images" (``ensemble``: its EnsembleSummary)."""
    students = sum(1 for m in ensemble.members if m.student)
    teachers = len(ensemble.members) - students
    kinds = [f"{n} {name}{'s' if n > 1 else ''}" for n, name in ((teachers, "teacher"), (students, "student")) if n]
    ends = "cycle end" if ensemble.snapshots == 1 else f"{ensemble.snapshots} cycle ends"
    return f"the last {ends} of {' and '.join(kinds)}{', with mirror images' if ensemble.mirror else ''}"


def versus(ours: float, theirs: float) -> str:
    """Where an accuracy stands to another: "1.57 points above", "0.20 points below" or "level with"."""
    diff = ours - theirs
    return f"{points(abs(diff))} {'above' if diff > 0 else 'below'}" if diff else "level with"


def cited(results: list) -> str:
    """Published accuracies (``reference.Published``) with their sources: "63.10% (Le et al. 2013) and 64.30% (Geras
    and Sutton 2015)"."""
    texts = [f"{pct(r.test_acc)} ({r.source})" for r in results]
    return ", ".join(texts[:-1]) + (" and " if len(texts) > 1 else "") + texts[-1]
