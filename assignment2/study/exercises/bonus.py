"""Exercise 6 (the bonus): the network trained better and combined, every change chosen on validation by the
rule; the test set only for the chosen network and the chosen ensemble, each tested as the one two-layer network it
folds into (``ensemble.fold``)."""

from dataclasses import dataclass, field, replace

from ...core.checks import COUNT, NON_NEGATIVE, POSITIVE, RATE, SEED, SEEDS
from ...core.ensemble import fold, fold_runs
from ...core.network import Params, size
from ...core.history import History
from ...core.train import TrainConfig
from .. import improve, rule
from ..experiments import search_n_s
from ..range_test import propose_bounds, range_test
from ..progress import work
from ..splits import load_split, train_size
from ..stats import mean_sd
from ..store import RunStore
from .base import Result, Settings, seeds_text
from .final_model import FinalModel, FinalModelSettings


@dataclass(frozen=True)
class BonusSettings(Settings):
    """Notebook 06's parameters: the ablation's two stages (``short_cycles``, ``judge_cycles``), the longest schedule,
    distillation's ``mixes`` and the ensembles' ``max_snapshots`` (docs/study.md); on 45,000 / 5,000 images."""

    NOTEBOOK = "06_bonus"

    data_root: str | None = None
    dtype: str = "float32"
    seeds: list = field(default_factory=lambda: [0, 1])
    final_seeds: list = field(default_factory=lambda: [0, 1, 2])
    student_seeds: list = field(default_factory=lambda: [0, 1])
    student_cycles: int = 6
    epochs_per_half_cycle: int = 2
    short_cycles: int = 1
    judge_cycles: int = 6
    long_cycles: int = 16
    wide: int = 1024
    translate: int = 2
    dropout: float = 0.0
    whiten: list = field(default_factory=lambda: [0.1, 0.3])
    lam: float = 1e-4
    range_test_epochs: int = 2
    range_test_eta: float = 0.3
    max_snapshots: int = 3
    mixes: list = field(default_factory=list)

    QUICK = {"epochs_per_half_cycle": 1, "wide": 64, "judge_cycles": 2, "long_cycles": 3, "student_cycles": 2,
             "range_test_epochs": 1}
    RULES = {"seeds": (lambda v: SEEDS[0](v) and len(v) >= 2, "a list of at least 2 distinct integers >= 0"),
             "final_seeds": SEEDS, "student_seeds": SEEDS, "student_cycles": COUNT, "epochs_per_half_cycle": COUNT,
             "short_cycles": COUNT, "judge_cycles": COUNT, "long_cycles": COUNT, "wide": COUNT, "translate": SEED,
             "dropout": RATE, "lam": NON_NEGATIVE, "range_test_epochs": COUNT, "range_test_eta": POSITIVE,
             "max_snapshots": COUNT,
             "whiten": (lambda v: isinstance(v, list) and all(POSITIVE[0](e) for e in v) and len(set(v)) == len(v),
                        "a list of distinct numbers > 0 (epsilon relative to the mean eigenvalue)"),
             "mixes": (lambda v: isinstance(v, list) and all(isinstance(m, list) and len(m) == 2 for m in v),
                       "a list of [alpha, T] pairs")}

    def __post_init__(self):
        super().__post_init__()
        if not set(self.seeds) <= set(self.final_seeds):
            self.refuse("final_seeds", f"a list with every seed of seeds ({self.seeds})")

    def short_steps(self, eta_min: float, eta_max: float) -> list:
        return [(f"wider hidden layer (m = {self.wide})", {"hidden": self.wide}),
                ("eta bounds from the range test", {"eta_min": eta_min, "eta_max": eta_max})]

    def start(self, n_train: int, batch_size: int, lam: float, hidden: int) -> TrainConfig:
        """The ablation's starting point: the final model (its batch size, lambda and width) on this schedule."""
        return TrainConfig(batch_size=batch_size, n_s=search_n_s(n_train, batch_size, self.epochs_per_half_cycle),
                           n_cycles=self.short_cycles, lam=lam, hidden=hidden, dtype=self.dtype, records_per_cycle=2,
                           cost_method="ema")

    def range_test_steps(self, n_train: int, batch_size: int) -> int:
        """The range test's updates: ``range_test_epochs`` epochs, an even number."""
        return 2 * (self.range_test_epochs * n_train // batch_size // 2)

    def expected_work(self, images: int, base: TrainConfig | None = None) -> float:
        """The range test, stage 1 from ``base`` (None: from notebook 05's defaults), stage 2, the longest schedule
        (its runs of the ablation's seeds continue stage 2's) and the students, all at the wide width."""
        n_train = train_size("search", images)
        if base is None:
            final = FinalModelSettings.from_parameters({}, self.quick)
            base = self.start(n_train, final.batch_size, 0.0, max(final.hidden_sizes))
        at = lambda cycles, networks=1: networks * work(replace(base, hidden=self.wide, n_cycles=cycles))
        range_test = work(replace(base, hidden=self.wide), self.range_test_steps(n_train, base.batch_size))
        stage_1 = len(self.seeds) * (work(base) + at(self.short_cycles, 2))
        stage_2 = at(self.judge_cycles, len(self.seeds) * (1 + len(self.long_steps())))
        longest = at(self.long_cycles, len(self.final_seeds)) - at(self.judge_cycles, len(self.seeds))
        return range_test + stage_1 + stage_2 + longest + at(self.student_cycles, len(self.mixes) *
                                                                 len(self.student_seeds))

    def long_steps(self) -> list:
        steps = [(f"augmentation: random flips, translations of up to {self.translate} px, lambda = {self.lam:g}",
                  {"flip": True, "translate": self.translate, "lam": self.lam})]
        steps += [(f"dropout {self.dropout:g}", {"dropout": self.dropout})] if self.dropout else []
        return steps + [(f"ZCA whitening, epsilon = {epsilon:g} x the mean eigenvalue{' instead' if i else ''}",
                         {"whiten": epsilon}) for i, epsilon in enumerate(self.whiten)]


@dataclass(frozen=True)
class RangeTestSummary:
    """The learning rates the range test proposes, its steps, the top of its ramp and where it diverged (or None)."""

    eta_min: float
    eta_max: float
    steps: int
    eta_top: float
    diverged_at_eta: float | None


@dataclass(frozen=True)
class Size:
    """A network as one two-layer network: its hidden units, its parameters, and the networks (a network's views and
    cycle ends, an ensemble's members) whose mean scores its one forward pass gives."""

    hidden: int
    parameters: int
    averages: int

    @classmethod
    def of(cls, network: Params, averages: int = 1) -> "Size":
        return cls(network.W1.shape[0], size(network), averages)


@dataclass(frozen=True)
class Mirrored:
    """The chosen network folded with its mirror image: the rule's verdict on it (a step of ``improve.ensemble_path``),
    its size and its test accuracy over the seeds."""

    size: Size
    change: str
    val_acc: float
    gain: float
    gain_se: float
    threshold: float
    kept: bool
    test_acc_mean: float
    test_acc_std: float
    test_accs: list[float]


@dataclass(frozen=True)
class Single:
    """The chosen network: its config (the first seed's), size, seeds, validation and test accuracy over them, mean
    seconds, whether it is a distilled student, its runs' keys, and the network folded from it and its mirror image."""

    config: TrainConfig
    size: Size
    seeds: list[int]
    val_acc_mean: float
    val_acc_std: float
    test_acc_mean: float
    test_acc_std: float
    test_accs: list[float]
    seconds_mean: float
    distilled: bool
    runs: list[str]
    mirror: Mirrored

    def views(self) -> list[tuple[str, object]]:
        """(how, its size and test accuracy over the seeds) plain and folded with its mirror image, the rule's choice
        first."""
        views = [("plain", self), ("folded with its mirror image", self.mirror)]
        return views[::-1] if self.mirror.kept else views


@dataclass(frozen=True)
class Member:
    """A network of the chosen ensemble: its seed, the cycle ends it contributes, whether a student, its run."""

    seed: int
    cycles: list[int]
    student: bool
    run: str


@dataclass(frozen=True)
class EnsembleSummary:
    """The chosen ensemble (``improve.EnsembleChoice``): its members, groups, networks, cycle ends per network,
    mirror images or not, its size as one network, validation and test accuracy, and the rows of the path that
    chose it."""

    members: list[Member]
    of: str
    groups: list[str]
    networks: int
    snapshots: int
    mirror: bool
    size: Size
    val_acc: float
    test_acc: float
    steps: list[improve.EnsembleStep]


@dataclass(frozen=True)
class DistillationSummary:
    """Students of the teachers' ensemble: the teachers' and students' rows (``improve.member_rows``), the
    teacher ensemble, the chosen mix, the cycles, the mixes tried, and whether the rule kept the students."""

    teachers: list[dict]
    teacher_snapshots: int
    teacher_mirror: bool
    teacher_val_acc: float
    teacher_test_acc: float
    alpha: float
    temperature: float
    cycles: int
    teacher_cycles: int
    trials: list[dict]
    students: list[dict]
    kept: bool


@dataclass(frozen=True)
class BonusSummary:
    """The rule's margin, the data, the starting config, the range test, the ablation's rows, the chosen network,
    the chosen ensemble and the distillation (None without students)."""

    margin: float
    judge_cycles: int
    n_train: int
    n_val: int
    start: TrainConfig
    range_test: RangeTestSummary
    ablation: list[improve.Step]
    single: Single
    ensemble: EnsembleSummary
    distillation: DistillationSummary | None


class Bonus(Result):
    """``summary``: a BonusSummary; ``tables``: ``ablation``, ``distillation_trials``, ``ensemble_choices``,
    ``final_runs``; ``histories``: ``range_test_history``, ``best_history`` (the chosen network's first seed)."""

    NOTEBOOK = "06_bonus"
    SUMMARY = BonusSummary

    @property
    def range_test_history(self) -> History:
        return self.histories["range_test_history"]

    @property
    def best_history(self) -> History:
        """The chosen network's first seed's."""
        return self.histories["best_history"]

    @property
    def chosen_label(self) -> str:
        """What the chosen network is: "a student" or "a teacher"."""
        return "a student" if self.summary.single.distilled else "a teacher"

    def headline(self) -> str:
        single, ens = self.summary.single, self.summary.ensemble
        (how, named), (other_how, other) = single.views()
        return (f"one network (m = {single.config.hidden}, {single.config.n_cycles} cycles): test accuracy "
                f"{named.test_acc_mean:.2%} ± {named.test_acc_std:.2%} {how}, m = {named.size.hidden} (the rule's "
                f"choice; {other_how} {other.test_acc_mean:.2%} ± {other.test_acc_std:.2%}) over "
                f"{seeds_text(len(single.seeds))}; ensemble of {ens.networks} networks, one network of m = "
                f"{ens.size.hidden}: {ens.test_acc:.2%}")


def _range_test(s: BonusSettings, base: TrainConfig, data, store: RunStore) -> tuple[History, RangeTestSummary]:
    """The range test from the wide network with every change: its History and summary."""
    probe = replace(base, hidden=s.wide, lam=s.lam, flip=True, translate=s.translate, dropout=s.dropout,
                    eta_min=0.0, eta_max=s.range_test_eta, seed=s.seeds[0])
    steps = s.range_test_steps(len(data[0][1]), base.batch_size)
    images = len(data[0][1]) + len(data[1][1])
    store.doing("the learning-rate range test", s.expected_work(images, base), s.later_work(images))
    run = range_test(*data, probe, steps, store, records=min(40, steps))
    eta_min, eta_max = propose_bounds(run.history)
    return run.history, RangeTestSummary(eta_min, eta_max, steps, s.range_test_eta, run.row.diverged_eta)


def _single(chosen: improve.Chosen, rows: list[dict], mirror: improve.EnsembleStep) -> Single:
    """The chosen network in ``results.json``: its config without the seed, each final seed's accuracies, plain
    and (``mirror``) folded with its mirror image: the rule's verdict (a row of ``improve.ensemble_path``)
    and the test accuracies."""
    test_accs, mirror_accs = [row["test_acc"] for row in rows], [row["test_acc_mirror"] for row in rows]
    val_mean, val_std = mean_sd([m.row.val_acc for m in chosen.runs])
    test_mean, test_std = mean_sd(test_accs)
    mirror_mean, mirror_std = mean_sd(mirror_accs)
    network = chosen.runs[0].final
    return Single(chosen.config, Size.of(network), [m.config.seed for m in chosen.runs], val_mean, val_std, test_mean,
                  test_std, test_accs, mean_sd([m.row.seconds for m in chosen.runs])[0], chosen.students,
                  [row["run"] for row in rows],
                  Mirrored(Size.of(fold([network], mirror=True), 2), mirror.change, mirror.val_acc, mirror.gain,
                           mirror.gain_se, mirror.threshold, bool(mirror.kept), test_acc_mean=mirror_mean,
                           test_acc_std=mirror_std, test_accs=mirror_accs))


def _distillation(distilled: improve.Distillation, teacher_cycles: int, teacher_test: float | None,
                  rows: dict) -> DistillationSummary | None:
    """The distillation in ``results.json`` (None when no student was trained)."""
    if distilled.row is None:
        return None
    teacher = distilled.teacher
    return DistillationSummary(rows["teachers"], teacher.snapshots, teacher.mirror, teacher.val_acc, teacher_test,
                               distilled.config.distill, distilled.config.temperature, distilled.config.n_cycles,
                               teacher_cycles, distilled.trials, rows["students"], distilled.row.kept)


def run(settings: BonusSettings, final: FinalModel, store: RunStore, executor=None) -> Bonus:
    """The whole exercise from ``final``'s widest network and lambda, each network trained on ``executor`` or
    read from ``store``."""
    s = settings
    train, val, _ = load_split("search", s.data_root, dtype=s.dtype)
    before = final.summary
    base = s.start(len(train[1]), before.batch_size, before.lam, before.widest.hidden)
    lr_history, probe = _range_test(s, base, (train, val), store)
    options = {"executor": executor}
    study = improve.ablation(base, s.short_steps(probe.eta_min, probe.eta_max), s.long_steps(), s.seeds,
                             s.final_seeds, (train, val), store, (s.judge_cycles, s.long_cycles),
                             keep=s.max_snapshots, **options,
                             start_label=f"notebook 05's final model (m = {base.hidden}, lambda = {base.lam:.2g})")
    distilled = improve.distil_students(study.runs, s.mixes, s.student_seeds, s.final_seeds, (train, val), store,
                                        max_snapshots=s.max_snapshots, keep=s.max_snapshots, cycles=s.student_cycles,
                                        pooled_with=study.differences, **options)
    chosen = improve.chosen_network(distilled, study)
    (_, mirror), _ = improve.ensemble_path({next(iter(chosen.groups)): chosen.runs}, val, 1,   # one network, its views
                                           pooled_with=study.differences)
    steps, pick = improve.ensemble_path(chosen.groups, val, s.max_snapshots, pooled_with=study.differences)
    members = pick.members(chosen.groups)
    _, _, (X_test, y_test) = load_split("search", s.data_root, dtype=s.dtype)     # the test set, once
    rows = {"teachers": improve.member_rows(study.runs, X_test, y_test),
            "students": improve.member_rows(distilled.students, X_test, y_test)}
    folded = fold_runs(members, pick.snapshots, pick.mirror)          # the ensemble as one network
    ensemble_test = improve.network_accuracy(folded, X_test, y_test)
    teacher_test = None if distilled.row is None else improve.network_accuracy(    # only beside its students
        fold_runs(study.runs, distilled.teacher.snapshots, distilled.teacher.mirror), X_test, y_test)
    ablation = study.rows + ([replace(distilled.row, step=len(study.rows))] if distilled.row is not None else [])
    ensemble = EnsembleSummary([Member(m.config.seed, sorted(m.snapshots)[-pick.snapshots:], bool(m.config.distill),
                                       m.key) for m in members], pick.label, list(pick.groups), pick.networks,
                               pick.snapshots, pick.mirror, Size.of(folded, pick.networks * (1 + pick.mirror)),
                               pick.val_acc, ensemble_test, steps)
    summary = BonusSummary(rule.MARGIN, s.judge_cycles, len(train[1]), len(val[1]), base, probe, ablation,
                           _single(chosen, rows["students" if chosen.students else "teachers"], mirror), ensemble,
                           _distillation(distilled, study.config.n_cycles, teacher_test, rows))
    tables = {"ablation": ablation, "distillation_trials": distilled.trials, "ensemble_choices": steps,
              "final_runs": rows["teachers"] + rows["students"]}
    return Bonus(summary, tables, {"range_test_history": lr_history, "best_history": chosen.runs[0].history})
