"""Exercise 6 (the bonus): the network trained better and combined, every change chosen on validation by the
rule; the test set only for the chosen network and the chosen ensemble."""

from dataclasses import asdict, dataclass, field, replace

from ...core.data import load_cifar10
from ...core.ensemble import accuracy, ensemble_probabilities
from ...core.history import History
from ...core.train import TrainConfig
from .. import improve, rule
from ..experiments import search_n_s
from ..range_test import propose_bounds, range_test
from ..stats import mean_sd
from ..store import RunStore
from .base import COUNT, NON_NEGATIVE, POSITIVE, RATE, SEED, SEEDS, Result, Settings, seeds_text
from .final_model import FinalModel


@dataclass(frozen=True)
class BonusSettings(Settings):
    """Stage 1 (``short_cycles``): a wider layer and the range test's learning rates; stage 2
    (``judge_cycles``): flips and translations with a smaller lambda (one step), dropout (if ``dropout`` > 0), ZCA
    whitening with each epsilon of ``whiten`` (the first the candidate, each later one instead of the one
    kept); then the kept network on ``long_cycles`` cycles with ``final_seeds``; distillation with each
    [alpha, T] of ``mixes`` (none by default); ensembles of up to ``max_snapshots`` cycle ends. On
    45,000 / 5,000 images."""

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

    def long_steps(self) -> list:
        steps = [(f"augmentation: random flips, translations of up to {self.translate} px, lambda = {self.lam:g}",
                  {"flip": True, "translate": self.translate, "lam": self.lam})]
        steps += [(f"dropout {self.dropout:g}", {"dropout": self.dropout})] if self.dropout else []
        return steps + [(f"ZCA whitening, epsilon = {epsilon:g} x the mean eigenvalue{' instead' if i else ''}",
                         {"whiten": epsilon}) for i, epsilon in enumerate(self.whiten)]


class Bonus(Result):
    """``summary``: the rule's margin, the start, the range test, the ablation, the chosen network (each final
    seed's accuracy, plain and averaged with its mirror image with the rule's verdict on that, and run key), the chosen ensemble (its members' run keys) and the distillation (None
    without students); ``tables``: ``ablation``, ``distillation_trials``, ``ensemble_choices``,
    ``final_runs``; ``histories``: ``range_test_history``, ``best_history`` (the chosen network's first seed)."""

    NOTEBOOK = "06_bonus"
    KEYS = ("single", "ensemble")

    @property
    def chosen_label(self) -> str:
        """What the chosen network is: "a student" or "a teacher"."""
        return "a student" if self.summary["single"]["distilled"] else "a teacher"

    def headline(self) -> str:
        single, ens = self.summary["single"], self.summary["ensemble"]
        mirror = single["mirror"]
        named = (f"{mirror['test_acc_mean']:.2%} ± {mirror['test_acc_std']:.2%} averaged with its mirror image "
                 f"(the rule's choice; plain {single['test_acc_mean']:.2%} ± {single['test_acc_std']:.2%})"
                 if mirror["kept"] else
                 f"{single['test_acc_mean']:.2%} ± {single['test_acc_std']:.2%} plain (the rule's choice; averaged "
                 f"with its mirror image {mirror['test_acc_mean']:.2%} ± {mirror['test_acc_std']:.2%})")
        return (f"one network (m = {single['config']['hidden']}, {single['config']['n_cycles']} cycles): test "
                f"accuracy {named} over {seeds_text(len(single['seeds']))}; ensemble of {ens['networks']} "
                f"networks: {ens['test_acc']:.2%}")


def _range_test(s: BonusSettings, base: TrainConfig, data, store: RunStore, progress: bool) -> tuple[History, dict]:
    """The range test from the wide network with every change: its History and summary."""
    probe = replace(base, hidden=s.wide, lam=s.lam, flip=True, translate=s.translate, dropout=s.dropout,
                    eta_min=0.0, eta_max=s.range_test_eta, seed=s.seeds[0])
    steps = 2 * (s.range_test_epochs * len(data[0][1]) // base.batch_size // 2)
    history = range_test(*data, probe, steps, store, records=min(40, steps), progress=progress)
    eta_min, eta_max = propose_bounds(history)
    return history, {"eta_min": eta_min, "eta_max": eta_max, "steps": steps, "eta_top": s.range_test_eta,
                     "diverged_at_eta": history.config.get("diverged_at_eta")}


def _single(chosen: improve.Chosen, rows: list[dict], mirror: dict) -> dict:
    """The chosen network in ``results.json``: its config without the seed, each final seed's accuracies, plain
    and (``mirror``) averaged with its mirror image: the rule's verdict (a row of ``improve.ensemble_path``)
    and the test accuracies."""
    test_accs, mirror_accs = [row["test_acc"] for row in rows], [row["test_acc_mirror"] for row in rows]
    val_mean, val_std = mean_sd([m.row["val_acc"] for m in chosen.runs])
    test_mean, test_std = mean_sd(test_accs)
    mirror_mean, mirror_std = mean_sd(mirror_accs)
    return {"config": {k: v for k, v in asdict(chosen.config).items() if k != "seed"},
            "seeds": [m.config.seed for m in chosen.runs], "val_acc_mean": val_mean, "val_acc_std": val_std,
            "test_acc_mean": test_mean, "test_acc_std": test_std, "test_accs": test_accs,
            "seconds_mean": mean_sd([m.row["seconds"] for m in chosen.runs])[0], "distilled": chosen.students,
            "runs": [row["run"] for row in rows],
            "mirror": {**{k: mirror[k] for k in ("change", "val_acc", "gain", "gain_se", "threshold")},
                       "kept": bool(mirror["kept"]), "test_acc_mean": mirror_mean, "test_acc_std": mirror_std,
                       "test_accs": mirror_accs}}


def _distillation(distilled: improve.Distillation, teacher_cycles: int, teacher_test: float, rows: dict) -> dict | None:
    """The distillation in ``results.json`` (None when no student was trained)."""
    if distilled.row is None:
        return None
    teacher = distilled.teacher
    return {"teachers": rows["teachers"], "teacher_snapshots": teacher.snapshots, "teacher_mirror": teacher.mirror,
            "teacher_val_acc": teacher.val_acc, "teacher_test_acc": teacher_test, "alpha": distilled.config.distill,
            "temperature": distilled.config.temperature, "cycles": distilled.config.n_cycles,
            "teacher_cycles": teacher_cycles, "trials": distilled.trials, "students": rows["students"],
            "kept": distilled.row["kept"]}


def run(settings: BonusSettings, final: FinalModel, store: RunStore, executor=None, progress: bool = False) -> Bonus:
    """The whole exercise from ``final``'s widest network and lambda, each network trained on ``executor`` or
    read from ``store``."""
    s = settings
    train, val, _ = load_cifar10("search", s.data_root, dtype=s.dtype)
    summary = final.summary
    base = TrainConfig(batch_size=summary["batch_size"], n_s=search_n_s(len(train[1]), summary["batch_size"],
                                                                        s.epochs_per_half_cycle),
                       n_cycles=s.short_cycles, lam=summary["lam"], hidden=max(int(m) for m in summary["models"]),
                       dtype=s.dtype, records_per_cycle=2, cost_method="ema")
    lr_history, probe = _range_test(s, base, (train, val), store, progress)
    options = {"executor": executor, "progress": progress}
    study = improve.ablation(base, s.short_steps(probe["eta_min"], probe["eta_max"]), s.long_steps(), s.seeds,
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
    _, _, (X_test, y_test) = load_cifar10("search", s.data_root, dtype=s.dtype)     # the test set, once
    rows = {"teachers": improve.member_rows(study.runs, X_test, y_test),
            "students": improve.member_rows(distilled.students, X_test, y_test)}
    ensemble_test = accuracy(ensemble_probabilities(members, X_test, pick.snapshots, pick.mirror), y_test)
    teacher_test = accuracy(ensemble_probabilities(study.runs, X_test, distilled.teacher.snapshots,
                                                   distilled.teacher.mirror), y_test)
    ablation = study.rows + ([{**distilled.row, "step": len(study.rows)}] if distilled.row is not None else [])
    summary = {
        "margin": rule.MARGIN, "judge_cycles": s.judge_cycles, "n_train": len(train[1]), "n_val": len(val[1]),
        "start": asdict(base), "range_test": probe, "ablation": ablation,
        "single": _single(chosen, rows["students" if chosen.students else "teachers"], mirror),
        "ensemble": {"members": [{"seed": m.config.seed, "cycles": sorted(m.snapshots)[-pick.snapshots:],
                                  "student": bool(m.config.distill), "run": m.key} for m in members],
                     "of": pick.label, "groups": list(pick.groups), "networks": pick.networks,
                     "snapshots": pick.snapshots, "mirror": pick.mirror, "val_acc": pick.val_acc,
                     "test_acc": ensemble_test, "steps": steps},
        "distillation": _distillation(distilled, study.config.n_cycles, teacher_test, rows),
    }
    tables = {"ablation": ablation, "distillation_trials": distilled.trials, "ensemble_choices": steps,
              "final_runs": rows["teachers"] + rows["students"]}
    return Bonus(summary, tables, {"range_test_history": lr_history, "best_history": chosen.runs[0].history})
