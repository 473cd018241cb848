"""Beyond the assignment: wide, regularised networks kept with their snapshots, an ablation, ensembles.

Every network is a ``store.Run`` of the run store: its config, History, row and the parameters
at the end of its last ``keep`` cycles. Only validation data are used here; the test set is
for the caller, once the configurations are fixed.
"""

from dataclasses import asdict, replace

import numpy as np

from .augment import mirrored
from .checks import positive_int, require
from .ensemble import accuracy, average, ensemble_accuracy
from .network import probabilities
from .store import Run, RunStore
from .train import TrainConfig


def ablation_configs(base: TrainConfig, steps) -> list[TrainConfig]:
    """The cumulative path [base, base + steps[0], base + steps[0] + steps[1], ...]; steps: (label, changes) pairs."""
    configs = [base]
    for label, changes in steps:
        require(isinstance(changes, dict) and set(changes) <= set(asdict(base)), "steps",
                "(label, {TrainConfig field: value}) pairs", (label, changes))
        configs.append(replace(configs[-1], **changes))
    return configs


def ablation_rows(labels: list[str], groups: list[list[Run]]) -> list[dict]:
    """One row per step of the path: its label, seeds, mean and sd of the validation accuracy, the
    gain over the step before with its standard error, and whether the change is kept (gain > 0).

    labels: a label per step, the first one the starting point; groups: its Runs (one per seed).
    """
    require(len(labels) == len(groups) and all(groups), "groups", "a non-empty list of Runs per label",
            [len(g) for g in groups])
    rows = []
    for label, members in zip(labels, groups):
        accs = np.array([m.row["val_acc"] for m in members])
        std = float(accs.std(ddof=1)) if len(accs) > 1 else 0.0
        row = {"step": len(rows), "change": label, "seeds": len(accs), "val_acc_mean": float(accs.mean()),
               "val_acc_std": std, "gain": None, "gain_se": None, "kept": None}
        if rows:
            before = rows[-1]
            row["gain"] = row["val_acc_mean"] - before["val_acc_mean"]
            row["gain_se"] = float(np.sqrt(std ** 2 / len(accs) + before["val_acc_std"] ** 2 / before["seeds"]))
            row["kept"] = row["gain"] > 0
        rows.append(row)
    return rows


def kept_config(base: TrainConfig, steps, rows: list[dict]) -> TrainConfig:
    """``base`` with the changes of the steps that ``ablation_rows`` kept (rows[1:] match steps)."""
    return ablation_configs(base, [step for step, row in zip(steps, rows[1:]) if row["kept"]])[-1]


def ablation(base: TrainConfig, steps, long_cycles: int, seeds, final_seeds, train_data, val_data, store: RunStore,
             keep: int = 1, executor=None, progress: bool = False, start_label: str = "start", long_steps=(),
             long_seeds=None):
    """The ablation: one change at a time, then a longer schedule for what was kept, and changes tried there.

    steps: (label, changes) pairs, applied cumulatively to ``base``; the path is trained with
    ``seeds``, all runs at once. The changes that raised the mean validation accuracy are
    kept; their config is then trained for ``long_cycles`` cycles with ``long_seeds`` (None:
    ``final_seeds``), keeping the last ``keep`` cycle ends, and every step of ``long_steps``
    (label, changes), applied to it cumulatively, with ``final_seeds`` and kept in the same way.
    If the longer schedule does not help, the kept short config is trained with the final
    seeds instead. All the runs of the longer schedule are trained at once.
    Returns (rows of ``ablation_rows``, the first labelled ``start_label``; the chosen config,
    with seed final_seeds[0]; its Runs, one per final seed).
    """
    positive_int("long_cycles", long_cycles)
    path = ablation_configs(base, steps)
    runs = [(i, seed) for i in range(len(path)) for seed in seeds]
    members = store.runs([replace(path[i], seed=seed) for i, seed in runs], train_data, val_data,
                         executor=executor, progress=progress)
    groups = [[m for (i, _), m in zip(runs, members) if i == step] for step in range(len(path))]
    labels = [start_label] + [label for label, _ in steps]
    short = kept_config(base, steps, ablation_rows(labels, groups))
    longer = replace(short, n_cycles=long_cycles, seed=final_seeds[0])
    long_path = ablation_configs(longer, long_steps)
    long_seeds = [list(final_seeds if long_seeds is None else long_seeds)] + [list(final_seeds)] * len(long_steps)
    long_runs = [(i, seed) for i, path_seeds in enumerate(long_seeds) for seed in path_seeds]
    trained = store.runs([replace(long_path[i], seed=seed) for i, seed in long_runs], train_data, val_data,
                         keep=keep, executor=executor, progress=progress)
    long_groups = [[m for (i, _), m in zip(long_runs, trained) if i == step] for step in range(len(long_path))]
    rows = ablation_rows(labels + [f"longer schedule ({long_cycles} cycles)"] + [label for label, _ in long_steps],
                         groups + long_groups)
    chosen = kept_config(longer, long_steps, rows[len(path):]) if rows[len(path)]["kept"] else \
        replace(short, seed=final_seeds[0])
    if chosen in long_path and len(long_groups[long_path.index(chosen)]) == len(final_seeds):
        return rows, chosen, long_groups[long_path.index(chosen)]
    return rows, chosen, store.runs([replace(chosen, seed=seed) for seed in final_seeds], train_data, val_data,
                                    keep=keep, executor=executor, progress=progress)


def distillation(teachers: list[Run], mixes, seeds, train_data, val_data, store: RunStore, max_snapshots: int = 1,
                 keep: int = 1, executor=None, progress: bool = False, cycles: int | None = None) -> dict:
    """Students of the ensemble ``teachers`` (one config, several seeds), trained on its soft targets,
    like their teachers but for ``cycles`` cycles (None: as many as the teachers).

    The teacher averages the last cycle ends of every member, as many as its best ensemble on
    validation (``ensemble_choices``, up to ``max_snapshots``); its targets are its probabilities
    of the training images and of their mirror images (``teacher_targets``). Each (alpha, T) of
    ``mixes`` trains a student with seeds[0]; the one most accurate on validation is trained
    with the other seeds too. Returns {"teacher": its ensemble row, "trials": a row per mix
    (alpha, temperature, seed, val_acc), "config": the chosen student config (seed seeds[0]),
    "students": its Runs, one per seed, "row": the students against the teachers' members
    as a row of ``ablation_rows``, kept if their mean validation accuracy is higher}.
    """
    teacher = best_choice(ensemble_choices(teachers, val_data, _snapshots(teachers, max_snapshots)))
    targets = teacher_targets(teachers, train_data[0], teacher["snapshots"])
    student = replace(teachers[0].config, n_cycles=cycles or teachers[0].config.n_cycles)
    trial_configs = [replace(student, distill=alpha, temperature=T, seed=seeds[0]) for alpha, T in mixes]
    keep = min(keep, student.n_cycles)
    tried = store.runs(trial_configs, train_data, val_data, keep=keep, soft_targets=targets, executor=executor,
                       progress=progress)
    trials = [{"alpha": c.distill, "temperature": c.temperature, "seed": c.seed, "val_acc": m.row["val_acc"]}
              for c, m in zip(trial_configs, tried)]
    best = max(range(len(tried)), key=lambda i: tried[i].row["val_acc"])
    chosen = trial_configs[best]
    others = store.runs([replace(chosen, seed=seed) for seed in seeds[1:]], train_data, val_data, keep=keep,
                        soft_targets=targets, executor=executor, progress=progress)
    students = [tried[best], *others]
    label = (f"students of the kept networks, {chosen.n_cycles} cycles (distillation, alpha = {chosen.distill:g}, "
             f"T = {chosen.temperature:g})")
    return {"teacher": teacher, "trials": trials, "config": chosen, "students": students,
            "row": ablation_rows(["the teachers", label], [teachers, students])[1]}


def member_rows(members: list[Run], X_test, y_test) -> list[dict]:
    """Per Run: its seed, training and validation accuracy, seconds, key in the run store, and the test
    accuracy of its last cycle end on X_test (n, d), y_test (n,)."""
    return [{"seed": m.config.seed, "train_acc": m.row["train_acc"], "val_acc": m.row["val_acc"],
             "test_acc": float(ensemble_accuracy(m.last(1), X_test, y_test)), "seconds": m.row["seconds"],
             "run": m.key} for m in members]


def group_choices(groups: dict, val_data, max_snapshots: int) -> list[dict]:
    """``ensemble_choices`` of every group of Runs (label -> list), each row labelled by its group
    ("members"), the networks counted over the whole group; up to ``max_snapshots`` cycle ends, or
    as many as every member of the group kept."""
    return [{"members": label, **row} for label, members in groups.items()
            for row in ensemble_choices(members, val_data, _snapshots(members, max_snapshots))]


def _snapshots(members: list[Run], most: int) -> int:
    """At most ``most``, and no more cycle ends than every one of ``members`` kept."""
    return min(most, *(len(m.snapshots) for m in members))


def teacher_targets(members: list[Run], X, snapshots: int = 1) -> np.ndarray:
    """The soft targets of distillation, (2, n, K): the averaged class probabilities of the last
    ``snapshots`` cycle ends of every member on the images X (n, d) and on their mirror images."""
    return np.stack([ensemble_probabilities(members, view, snapshots) for view in _views(X, True)])


def _views(X: np.ndarray, mirror: bool) -> list:
    return [X, mirrored(X)] if mirror else [X]


def ensemble_probabilities(members: list[Run], X, snapshots: int = 1, mirror: bool = False) -> np.ndarray:
    """Averaged class probabilities (n, K) on X (n, d) of the last ``snapshots`` cycle ends of every
    member; with ``mirror``, averaged over each image and its mirror image too."""
    views = _views(X, mirror)
    return average(probabilities(params, view) for member in members for params in member.last(snapshots)
                   for view in views)


def ensemble_choices(members: list[Run], val_data, max_snapshots: int) -> list[dict]:
    """Validation accuracy of the ensembles of all members' last 1..max_snapshots cycle ends,
    without and with mirror images: a row per (snapshots, mirror).

    Each snapshot's probabilities are computed once per view and then averaged in every combination.
    """
    require(all(len(m.snapshots) >= max_snapshots for m in members), "max_snapshots",
            "at most the number of cycle ends every member kept", max_snapshots)
    X, y = val_data
    views = _views(X, True)
    P = [[[probabilities(params, view) for view in views] for params in member.last(max_snapshots)]
         for member in members]   # P[member][snapshot, oldest first][view]
    rows = []
    for mirror in (False, True):
        for k in range(1, max_snapshots + 1):
            chosen = [by_view[:2 if mirror else 1] for member in P for by_view in member[-k:]]
            rows.append({"snapshots": k, "mirror": mirror, "networks": len(members) * k,
                         "val_acc": accuracy(average(p for group in chosen for p in group), y)})
    return rows


def best_choice(rows: list[dict]) -> dict:
    """The row of ``ensemble_choices`` with the highest validation accuracy; on a tie, the
    smaller ensemble, and without mirror images before with."""
    return max(rows, key=lambda r: (r["val_acc"], -r["networks"], not r["mirror"]))
