"""Every statistic, comparison and verdict the report states beyond the notebooks' results, as data: ``facts(build)``
reads a ``pdf.Build``, and the templates only word and format what it returns."""

import math
from dataclasses import dataclass

from ..study import rule
from ..study.stats import difference_se, mean_sd
from .formats import bonus_options, escape, kept_cell, pct

#: A relative error of the gradient check below this is the rounding of the differences themselves.
GRADIENT_TOLERANCE = 1e-6
#: Two means differ clearly when they are more than this many standard errors apart.
CLEAR = 2.0
#: The assignment's "about 46%" is read as within this much (a fraction) of 0.46.
ABOUT = 0.01
#: A final training accuracy below this (chance is 0.1 for ten classes) means a run learnt nothing.
COLLAPSED = 0.2


@dataclass(frozen=True)
class Diff:
    """``first`` against ``second``: which is higher, by how much, and whether by more than ``limit``;
    ``se``: the standard error of the difference (0: the size of the noise is unknown); ``single``:
    one run on each side."""

    first: float
    second: float
    limit: float = 0.0
    se: float = 0.0
    single: bool = False

    @property
    def size(self) -> float:
        return abs(self.first - self.second)

    @property
    def higher(self) -> bool:
        return self.first > self.second

    @property
    def equal(self) -> bool:
        return self.first == self.second

    @property
    def clear(self) -> bool:
        return self.size > self.limit

    @property
    def ratio(self) -> float:
        """The difference in standard errors."""
        return self.size / self.se

    @property
    def relative(self) -> float:
        """The difference as a fraction of ``second``."""
        return self.size / self.second


def diff(first: float, second: float, limit: float = 0.0) -> Diff:
    return Diff(first, second, limit)


def compare(a_mean: float, a_std: float, a_n: int, b_mean: float, b_std: float, b_n: int) -> Diff:
    """Two means over a_n and b_n seeds: clear when more than CLEAR standard errors of their difference apart."""
    se = difference_se(a_std, a_n, b_std, b_n)
    return Diff(a_mean, b_mean, CLEAR * se, se, a_n == b_n == 1)


def spread(mean: float, std: float, reference: float) -> Diff:
    """A reference value against our mean: outside our spread when more than CLEAR standard deviations away."""
    return Diff(reference, mean, CLEAR * std)


def about(mean: float, expected: float) -> Diff:
    """Our mean against an expectation of "about ``expected``": clear when more than ABOUT away."""
    return Diff(mean, expected, ABOUT)


def overlap(a, b) -> bool:
    """Whether the ranges of run times of two timed settings overlap (``cyclical_lr.CostMethod``s)."""
    return a.seconds_min <= b.seconds_max and b.seconds_min <= a.seconds_max


@dataclass(frozen=True)
class CycleEnds:
    """Where a cyclical run's validation accuracy is high: at the ends of its cycles, where the learning rate is
    smallest, or not. ``better``: the cycles whose end beats their peak; the last cycle's peak and end; the best
    accuracy, its update and cycle, and whether that update ends its cycle."""

    better: int
    cycles: int
    last_peak: float
    last_end: float
    best: float
    best_step: int
    best_cycle: int
    at_end: bool


def cycle_ends(history) -> CycleEnds:
    """``CycleEnds`` of a cyclical run's History."""
    n_s, n_cycles = history.config.n_s, history.config.n_cycles
    steps, acc = history.step, history.val_acc
    at = lambda step: acc[min(range(len(steps)), key=lambda i: abs(steps[i] - step))]
    ends = [(at((2 * k - 1) * n_s), at(2 * k * n_s)) for k in range(1, n_cycles + 1)]
    best = max(range(len(steps)), key=lambda i: acc[i])
    return CycleEnds(sum(end > peak for peak, end in ends), n_cycles, *ends[-1], acc[best], steps[best],
                     -(-steps[best] // (2 * n_s)), steps[best] % (2 * n_s) == 0)


@dataclass(frozen=True)
class Runs:
    """The runs of one batch size of notebook 03 (an ``experiments.BatchSummary``): how many finished, how many
    diverged and were stopped, whether the finished ones learnt nothing (``COLLAPSED``)."""

    row: object
    finished: int
    diverged: int
    collapsed: bool


def runs(row) -> Runs:
    finished = row.n_seeds - row.n_diverged
    return Runs(row, finished, row.n_diverged, finished > 0 and row.train_acc_mean < COLLAPSED)


def standard_error(accuracy: float, n: int) -> float:
    """The standard error of an accuracy measured on n images: sqrt(a (1 - a) / n)."""
    return math.sqrt(accuracy * (1 - accuracy) / n)


def hidden_sizes(widths: list) -> dict | None:
    """The widest hidden size against the narrowest (notebook 03's ``WidthSummary``s): the two, their test
    accuracies compared, and the ratio of their median run times; None for fewer than two sizes."""
    if len(widths) < 2:
        return None
    a, b = max(widths, key=lambda r: r.hidden), min(widths, key=lambda r: r.hidden)
    return {"widest": a, "narrowest": b, "time_ratio": a.seconds_median / b.seconds_median,
            "test": compare(a.test_acc_mean, a.test_acc_std, a.n_seeds, b.test_acc_mean, b.test_acc_std, b.n_seeds)}


def batch_pairs(batches: list) -> list[tuple[Runs, Runs, Diff | None]]:
    """For every batch size of notebook 03's ``BatchSummary``s, in order: its fixed and linear runs, and their
    test accuracies over the finished runs compared (None unless both finished some)."""
    linear = {r.batch_size: r for r in batches if r.eta_scaling == "linear"}
    pairs = [(runs(r), runs(linear[r.batch_size])) for r in batches
             if r.eta_scaling == "fixed" and r.batch_size in linear]
    return [(fixed, scaled, compare(scaled.row.test_acc_mean, scaled.row.test_acc_std, scaled.finished,
                                    fixed.row.test_acc_mean, fixed.row.test_acc_std, fixed.finished)
             if fixed.finished and scaled.finished else None) for fixed, scaled in pairs]


def search_noise(s) -> dict:
    """How the best search runs of notebook 04 (``s``: its summary) compare with the noise of their validation set:
    the best accuracy, its standard error on the validation images, and the spread of the best runs."""
    best, last = s.best[0]["val_acc"], s.best[-1]["val_acc"]
    return {"best": best, "se": standard_error(best, s.n_val), "spread": best - last, "runs": len(s.best)}


def test_spread(rows: list[dict]) -> tuple[float, float, int]:
    """The mean and sd of the rows' "test_acc" over the runs, and how many runs."""
    return (*mean_sd([r["test_acc"] for r in rows]), len(rows))


def distillation(d, students_row) -> dict:
    """The facts of notebook 06's distillation (its summary ``d``; the ablation's last row, the students')."""
    return {"teachers": len(d.teachers), "paired_students": d.trials[0]["seeds"], "students_row": students_row,
            "teachers_val_acc": students_row.val_acc_mean - students_row.gain,
            "teachers_test": test_spread(d.teachers), "students_test": test_spread(d.students),
            "teacher_ends": "the last cycle end" if d.teacher_snapshots == 1 else
                            f"the last {d.teacher_snapshots} cycle ends"}


def classes(summary: dict) -> dict:
    """A model's summary (``analysis.summary``) with its hardest and easiest class."""
    accs = summary["class_accuracies"]
    return {**summary, "hardest": min(accs, key=accs.get), "easiest": max(accs, key=accs.get)}


@dataclass(frozen=True)
class NotebookCost:
    """A notebook's cost: networks trained and read, wall time (s) in this build, and the seconds of training
    behind its numbers (``store.Tally``; None: not recorded)."""

    notebook: str
    trained: int
    read: int
    wall: float | None
    training: float | None


@dataclass(frozen=True)
class Cost:
    """Every notebook's ``NotebookCost``, their totals, and the machines that trained the networks."""

    rows: list[NotebookCost]
    trained: int
    read: int
    wall: float
    training: float
    machines: list[str]


def cost(build) -> Cost:
    rows = [NotebookCost(name, tally.trained if tally else 0, tally.read if tally else 0, build.seconds[name],
                         sum(tally.seconds.values()) if tally else None) for name, tally in build.runs.items()]
    machines = {machine for tally in build.runs.values() if tally for machine, secs in tally.seconds.items() if secs}
    return Cost(rows, sum(r.trained for r in rows), sum(r.read for r in rows), sum(r.wall or 0.0 for r in rows),
                sum(r.training or 0.0 for r in rows), sorted(machines))


def facts(build) -> dict:
    """Every derived number, lookup and sentence of the report, by section."""
    c, s, f = build.cyclical_lr.summary, build.lambda_search.summary, build.final_model.summary
    b, a = build.bonus.summary, build.analysis.summary
    single, cfg, d = b.single, b.single.config, b.distillation
    return {
        "gradients_correct": build.gradient_check.summary.max_rel < GRADIENT_TOLERANCE,
        "seeds": len(c.seeds),
        "cost_test_accs": [method.test_acc for method in c.cost_methods.values()],
        "cost_same": len({method.test_acc for method in c.cost_methods.values()}) == 1,
        "hidden_sizes": hidden_sizes(c.hidden_sizes),
        "batch_pairs": batch_pairs(c.batch_sizes),
        "search_noise": search_noise(s),
        "confirm_std": (min(r["val_acc_std"] for r in s.confirmed), max(r["val_acc_std"] for r in s.confirmed)),
        "margin": rule.MARGIN,
        "coarse": sorted(build.lambda_search.tables["coarse"], key=lambda r: r["lambda"]),
        "fine": sorted(build.lambda_search.tables["fine"], key=lambda r: r["lambda"]),
        "final_seeds": len(f.seeds),
        "final_models": list(f.models.values()),
        "finals_by_width": [f.models[m] for m in sorted(f.models)],
        "options": bonus_options(cfg),
        "bonus_se": standard_error(single.val_acc_mean, b.n_val),
        "bonus_se_small": standard_error(single.val_acc_mean, f.n_val),
        "epochs": 2 * cfg.n_s * cfg.n_cycles * cfg.batch_size / b.n_train,
        "kept": [kept_cell(row.kept) for row in b.ablation],
        "changes_kept": [row for row in b.ablation if row.kept],
        "changes_dropped": [row for row in b.ablation if row.kept is False],
        "ablation_seeds": b.ablation[0].seeds,
        "single_seeds": len(single.seeds),
        **(distillation(d, b.ablation[-1]) if d else {}),
        "single_summary": classes(a.model(a.single_label)),
        "ensemble_summary": classes(a.model(a.ensemble_label)),
        "final_summary": classes(a.model(a.final_label)),
        "widest_final": f.widest.hidden,
        "class_columns": [("class", "class", "s")] + [(m["label"], escape(m["label"]), pct) for m in a.models],
        "cost": cost(build),
        "best_one_hidden_layer": build.reference.one_hidden_layer.best,
    }


#: The comparisons the templates may call, by name.
VERDICTS = {f.__name__: f for f in (diff, compare, spread, about, overlap, cycle_ends)}
