"""Beyond the assignment: the ablation, distillation and ensembles (each one network, ``ensemble.fold``), every
choice made by ``rule`` on validation data alone (docs/study.md)."""

from dataclasses import asdict, dataclass, replace

import numpy as np

from ..core.checks import positive_int, require
from ..core.ensemble import Teacher, accuracy, fold, views
from ..core.network import Params, probabilities, scores
from ..core.train import TrainConfig
from . import rule
from .stats import mean_sd
from .store import Run, RunStore


def ablation_configs(base: TrainConfig, steps) -> list[TrainConfig]:
    """The cumulative path [base, base + steps[0], base + steps[0] + steps[1], ...]; steps: (label, changes) pairs."""
    configs = [base]
    for label, changes in steps:
        require(isinstance(changes, dict) and set(changes) <= set(asdict(base)), "steps",
                "(label, {TrainConfig field: value}) pairs", (label, changes))
        configs.append(replace(configs[-1], **changes))
    return configs


@dataclass(frozen=True)
class Step:
    """A step of a path judged by ``rule``: its number, the change it makes, its seeds, the mean and sd of their
    validation accuracy, and the fields of its ``rule.Verdict`` against the step before (None for the first)."""

    step: int
    change: str
    seeds: int
    val_acc_mean: float
    val_acc_std: float
    gain: float | None = None
    gain_se: float | None = None
    threshold: float | None = None
    kept: bool | None = None


def judge_path(labels: list[str], groups: list[list[Run]], pooled_with=()) -> tuple[list[Step], list]:
    """(a ``Step`` per setting, the paired differences of each comparison): each setting of ``groups`` (its Runs, one
    per seed) judged by ``rule`` against the one before, the sd pooled over the path and ``pooled_with``."""
    require(len(labels) == len(groups) and all(groups), "groups", "a non-empty list of Runs per label",
            [len(g) for g in groups])
    differences = [rule.paired_differences(rule.by_seed(after), rule.by_seed(before))
                   for before, after in zip(groups, groups[1:])]
    verdicts = [rule.Verdict()] + (rule.judge(differences, pooled_with) if differences else [])
    rows = []
    for step, (label, members, verdict) in enumerate(zip(labels, groups, verdicts)):
        mean, sd = mean_sd([m.row.val_acc for m in members])
        rows.append(Step(step, label, len(members), mean, sd, **vars(verdict)))
    return rows, differences


def kept_config(base: TrainConfig, steps, rows: list[Step]) -> TrainConfig:
    """``base`` with the changes of the steps that ``judge_path`` kept (rows[1:] match steps)."""
    return ablation_configs(base, [step for step, row in zip(steps, rows[1:]) if row.kept])[-1]


def _path(store: RunStore, configs: list[TrainConfig], seeds, train_data, val_data, **options) -> list[list[Run]]:
    """The Runs of every config with every seed, trained at once: one list per config."""
    trained = iter(store.runs([replace(c, seed=s) for c in configs for s in seeds], train_data, val_data, **options))
    return [[next(trained) for _ in seeds] for _ in configs]


@dataclass
class Ablation:
    """The ablation's rows (both stages and the schedule), the chosen config (seed: the first final seed),
    its Runs (one per final seed) and the paired differences of stage 2 and of the schedule, for later
    choices to pool with."""

    rows: list
    config: TrainConfig
    runs: list
    differences: list


def ablation(base: TrainConfig, short_steps, long_steps, seeds, final_seeds, data, store: RunStore, cycles: tuple, *,
             keep: int = 1, executor=None, start_label: str = "start") -> Ablation:
    """The ablation on ``seeds`` (docs/study.md): ``short_steps`` on ``base``, then ``long_steps`` on the kept config at
    cycles[0] cycles, then the kept config at cycles[1] cycles with ``final_seeds`` if the rule keeps the longer
    schedule. Steps are (label, changes) pairs; data: (train, val) pairs (X (n, d), y (n,))."""
    train_data, val_data = data
    judge_cycles, long_cycles = cycles
    positive_int("judge_cycles", judge_cycles)
    positive_int("long_cycles", long_cycles)
    options = {"executor": executor}
    short_path = ablation_configs(base, short_steps)
    store.doing(f"stage 1: the width and the learning rates ({len(short_steps)} steps)")
    rows, _ = judge_path([start_label] + [label for label, _ in short_steps],
                         _path(store, short_path, seeds, train_data, val_data, **options))
    judged = replace(kept_config(base, short_steps, rows), n_cycles=judge_cycles)
    long_path = ablation_configs(judged, long_steps)
    store.doing(f"stage 2: augmentation and whitening on {judge_cycles} cycles ({len(long_steps)} steps)")
    long_rows, differences = judge_path(
        [f"the kept network on {judge_cycles} cycles"]
        + [f"{label}, on {judge_cycles} cycles" for label, _ in long_steps],
        _path(store, long_path, seeds, train_data, val_data, keep=keep, **options))
    chosen = kept_config(judged, long_steps, long_rows)
    before = _path(store, [chosen], seeds, train_data, val_data, keep=keep, **options)[0]
    longer = replace(chosen, n_cycles=long_cycles)
    store.doing(f"the kept network on the longest schedule ({long_cycles} cycles)")
    finals = _path(store, [longer], final_seeds, train_data, val_data, keep=keep, **options)[0]
    schedule, [schedule_d] = judge_path(["", f"the kept network on a longer schedule ({long_cycles} cycles)"],
                                        [before, finals], differences)
    if not schedule[1].kept:
        longer, finals = chosen, _path(store, [chosen], final_seeds, train_data, val_data, keep=keep, **options)[0]
    steps = [replace(row, step=number) for number, row in enumerate(rows + long_rows + schedule[1:])]
    return Ablation(steps, replace(longer, seed=final_seeds[0]), finals, differences + [schedule_d])


@dataclass
class Distillation:
    """The teacher ensemble (an ``EnsembleChoice``), the rows of the mixes tried, the chosen mix's config
    (seed: the first student seed), its students' Runs and their row against the teachers (a row of
    ``judge_path``); with no mix, no student: ``trials`` and ``students`` empty, ``config`` and ``row`` None."""

    teacher: "EnsembleChoice"
    trials: list
    config: TrainConfig | None
    students: list
    row: Step | None

    @property
    def kept(self) -> bool:
        """Whether the rule kept the students over their teachers."""
        return self.row is not None and bool(self.row.kept)


def distil_students(teachers: list[Run], mixes, seeds, final_seeds, data, store: RunStore, *, max_snapshots: int = 1,
                    keep: int = 1, executor=None, cycles: int | None = None,
                    pooled_with=()) -> Distillation:
    """Students of the ensemble that ``ensemble_path`` chooses from ``teachers``, trained on its probabilities (of the
    images and their mirror images) with each (alpha, T) of ``mixes`` on ``seeds``, each mix and then the students
    judged by ``rule`` (docs/study.md); kept students get ``final_seeds`` too. cycles None: the teachers'."""
    train_data, val_data = data
    _, teacher = ensemble_path({"teachers": teachers}, val_data, max_snapshots, pooled_with)
    if not mixes:
        return Distillation(teacher, [], None, [], None)
    taught = Teacher(tuple(teachers), teacher.snapshots)
    student = replace(teachers[0].config, n_cycles=cycles or teachers[0].config.n_cycles)
    keep = min(keep, student.n_cycles)
    options = {"keep": keep, "teacher": taught, "executor": executor}
    configs = [replace(student, distill=alpha, temperature=T) for alpha, T in mixes]
    store.doing(f"distillation: students of {student.n_cycles} cycles ({len(mixes)} mixes)")
    groups = _path(store, configs, seeds, train_data, val_data, **options)
    paired = [m for m in teachers if m.config.seed in seeds]
    trials, best, pool = _mixes(configs, groups, pooled_with)
    chosen, students = configs[best], groups[best]
    label = (f"students of the kept networks, {chosen.n_cycles} cycles (distillation, alpha = {chosen.distill:g}, "
             f"T = {chosen.temperature:g})")
    rows, _ = judge_path(["the teachers", label], [paired, students], pool)
    if rows[1].kept:
        more = [seed for seed in final_seeds if seed not in seeds]
        students = students + (_path(store, [chosen], more, train_data, val_data, **options)[0] if more else [])
    return Distillation(teacher, trials, replace(chosen, seed=seeds[0]), students, rows[1])


def _mixes(configs: list[TrainConfig], groups: list[list[Run]], pooled_with) -> tuple[list[dict], int, list]:
    """The rows of the distillation mixes tried (each the students of one config), the first the candidate and a
    later one replacing it only when ``rule`` keeps it; (rows, the chosen one's position, the pooled differences)."""
    trials, best, pool = [], 0, list(pooled_with)
    for i, (config, group) in enumerate(zip(configs, groups)):
        label = f"alpha = {config.distill:g}, T = {config.temperature:g}"
        row = judge_path([label], [group])[0][0] if i == 0 else \
            judge_path(["", label], [groups[best], group], pool)[0][1]
        if i:
            pool.append(rule.paired_differences(rule.by_seed(group), rule.by_seed(groups[best])))
            best = i if row.kept else best
        trials.append({"alpha": config.distill, "temperature": config.temperature, **vars(replace(row, step=i))})
    return trials, best, pool


def member_rows(members: list[Run], X_test, y_test) -> list[dict]:
    """Per Run: its seed, training and validation accuracy, seconds, key in the run store, and the test accuracy
    on X_test (n, d), y_test (n,) of its last cycle end and of the network folded from it and its mirror image."""
    return [{"seed": m.config.seed, "train_acc": m.row.train_acc, "val_acc": m.row.val_acc,
             "test_acc": network_accuracy(m.final, X_test, y_test),
             "test_acc_mirror": network_accuracy(fold([m.final], mirror=True), X_test, y_test),
             "seconds": m.row.seconds, "run": m.key} for m in members]


def network_accuracy(network: Params, X_test, y_test) -> float:
    """The accuracy of the most probable class of ``network`` on X_test (n, d), y_test (n,), as notebook 07
    computes it again from the same probabilities."""
    return accuracy(probabilities(network, X_test), y_test)


@dataclass(frozen=True)
class Ensemble:
    """Networks averaged: every Run of the ``groups`` (labels of ``ensemble_path``'s groups), the last
    ``snapshots`` cycle ends of each, with their mirror images or not."""

    groups: tuple
    snapshots: int = 1
    mirror: bool = False

    def members(self, groups: dict, seeds=None) -> list[Run]:
        """Its Runs out of ``groups`` (label -> Runs), of ``seeds`` only if given."""
        return [run for label in self.groups for run in groups[label] if seeds is None or run.config.seed in seeds]

    def adding(self, label: str, groups: dict, max_snapshots: int) -> "Ensemble":
        """With every Run of the group ``label`` too, at most as many cycle ends as each Run kept."""
        members = self.groups + (label,)
        return replace(self, groups=members, snapshots=min(self.snapshots, _most_ends(groups, members, max_snapshots)))


def _most_ends(groups: dict, labels, max_snapshots: int) -> int:
    """The cycle ends every Run of the groups ``labels`` kept, at most ``max_snapshots``."""
    return min(max_snapshots, *(len(run.snapshots) for label in labels for run in groups[label]))


class _Accuracy:
    """The validation accuracy of ensembles of the Runs of ``groups`` (label -> Runs) on val_data (X (n, d), y (n,)):
    of the mean of their scores, which are the folded network's, each network's scores on each view computed once."""

    def __init__(self, groups: dict, val_data):
        self.groups, (self.X, self.y), self.cached = groups, val_data, {}

    def __call__(self, ensemble: Ensemble, seeds=None) -> float:
        S = []
        for run in ensemble.members(self.groups, seeds):
            for k in range(ensemble.snapshots):
                for v, view in enumerate(views(self.X, ensemble.mirror)):
                    if (id(run), k, v) not in self.cached:
                        self.cached[id(run), k, v] = scores(run.last(k + 1)[0], view).astype(np.float64)
                    S.append(self.cached[id(run), k, v])
        return float((np.mean(S, axis=0).argmax(axis=1) == self.y).mean())


@dataclass(frozen=True)
class EnsembleChoice:
    """An ensemble of ``ensemble_path``: the groups it takes every Run of (labels of its ``groups``), the last
    ``snapshots`` cycle ends of each, with their mirror images or not; its networks, the hidden units of the one
    network they fold into, and its validation accuracy."""

    groups: tuple
    snapshots: int
    mirror: bool
    networks: int
    hidden: int
    val_acc: float

    @property
    def label(self) -> str:
        """Its groups for a reader ("teachers and students")."""
        return " and ".join(self.groups)

    def members(self, groups: dict) -> list[Run]:
        """Its Runs out of ``groups`` (label -> Runs)."""
        return Ensemble(self.groups).members(groups)

    def step(self, number: int, change: str, seeds: int, verdict: rule.Verdict) -> "EnsembleStep":
        """The step ``number`` of ``ensemble_path`` that makes ``change`` and arrives at this ensemble."""
        return EnsembleStep(change, self.label, self.snapshots, self.mirror, self.networks, self.hidden, self.val_acc,
                            seeds, **vars(verdict), step=number)


@dataclass(frozen=True)
class EnsembleStep:
    """A step of ``ensemble_path``: the change it makes, its ensemble of every seed (members, cycle ends, mirror
    images, networks, hidden units folded, validation accuracy), the seeds it is judged on, its ``rule.Verdict``'s
    fields and its number."""

    change: str
    members: str
    snapshots: int
    mirror: bool
    networks: int
    hidden: int
    val_acc: float
    seeds: int
    gain: float | None = None
    gain_se: float | None = None
    threshold: float | None = None
    kept: bool | None = None
    step: int = 0


def ensemble_path(groups: dict, val_data, max_snapshots: int,
                  pooled_with=()) -> tuple[list[EnsembleStep], EnsembleChoice]:
    """(a step per change, the chosen ensemble): from the last cycle end of every Run of the first of ``groups``
    (label -> Runs), its cycle ends and mirror images, then each other group, every step judged by ``rule`` on the
    validation images, paired by seed and pooled with ``pooled_with`` (docs/study.md)."""
    labels, accuracy = list(groups), _Accuracy(groups, val_data)

    def choice(ensemble: Ensemble) -> EnsembleChoice:
        members = ensemble.members(groups)
        hidden = sum(run.config.hidden for run in members) * ensemble.snapshots * (1 + ensemble.mirror)
        return EnsembleChoice(ensemble.groups, ensemble.snapshots, ensemble.mirror, len(members) * ensemble.snapshots,
                              hidden, accuracy(ensemble))

    state = Ensemble((labels[0],))
    ends = _most_ends(groups, state.groups, max_snapshots)
    steps = [(f"the last {ends} cycle ends and mirror images" if ends > 1 else "mirror images", None)]
    steps += [(f"with the {label}", label) for label in labels[1:]]     # (what it says, the group it adds)
    rows = [choice(state).step(0, f"the last cycle end of each of the {labels[0]}", len(groups[labels[0]]),
                               rule.Verdict())]
    pool = list(pooled_with)
    for change, label in steps:
        new = replace(state, snapshots=ends, mirror=True) if label is None else \
            state.adding(label, groups, max_snapshots)
        seeds = sorted(set.intersection(*({run.config.seed for run in groups[g]} for g in new.groups)))
        d = rule.paired_differences({s: accuracy(new, {s}) for s in seeds}, {s: accuracy(state, {s}) for s in seeds})
        [verdict] = rule.judge([d], pool)
        pool.append(d)
        rows.append(choice(new).step(len(rows), change, len(seeds), verdict))
        state = new if verdict.kept else state
    return rows, choice(state)


@dataclass
class Chosen:
    """The chosen network: its config, its Runs (one per seed), whether they are distilled students, and
    the groups (label -> Runs) its ensemble is chosen from, its own first."""

    config: TrainConfig
    runs: list
    students: bool
    groups: dict


def chosen_network(distilled: Distillation, ablation: Ablation) -> Chosen:
    """The students of ``distilled`` if the rule kept them, else the ablation's networks (the teachers); the
    groups: the chosen network's first, and the students only if there are any."""
    teachers = ablation.runs
    if distilled.kept:
        return Chosen(distilled.config, distilled.students, True,
                      {"students": distilled.students, "teachers": teachers})
    groups = {"teachers": teachers, "students": distilled.students}
    return Chosen(ablation.config, teachers, False, {label: runs for label, runs in groups.items() if runs})
