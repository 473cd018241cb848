"""Beyond the assignment: wide, regularised networks kept with their snapshots, an ablation, ensembles.

Every trained network is a ``Member``: its config, History, validation accuracy and the
parameters at the end of its last ``keep`` cycles. Members are saved one file each
(``<folder>/<key>.npz``, the key a hash of the config) the moment they finish, so an
interrupted study resumes without training them again. Only validation data are used here;
the test set is for the caller, once the configurations are fixed.
"""

import hashlib
import io
import json
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from .augment import mirrored
from .checks import positive_int, require
from .ensemble import accuracy, average
from .files import write_atomic
from .network import Params, probabilities
from .parallel import run_tasks
from .provenance import code_version, data_fingerprint
from .train import History, TrainConfig, fresh_params, train


@dataclass
class Member:
    """One trained network: config, History, row (val_acc, train_acc, seconds) and snapshots (cycle -> Params)."""

    config: TrainConfig
    history: History
    row: dict
    snapshots: dict

    def last(self, k: int = 1) -> list:
        """The parameters at the last k cycle ends, oldest first."""
        return [self.snapshots[c] for c in sorted(self.snapshots)[-k:]]


def run_key(config: TrainConfig) -> str:
    """A name for the run of ``config``: 16 hex digits of the hash of its fields."""
    return hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode()).hexdigest()[:16]


def _train_member(config: TrainConfig, keep: int, train_data, val_data) -> dict:
    """Train one network; its row, History (as a dict) and the arrays of its last ``keep`` cycle ends."""
    snapshots = {}

    def snapshot(cycle: int, params: Params) -> None:
        if cycle > config.n_cycles - keep:
            snapshots[cycle] = params.copy().arrays()

    start = time.perf_counter()
    _, history = train(fresh_params(config, train_data[0].shape[1]), train_data, val_data, config,
                       on_cycle_end=snapshot)
    last = history.final()
    row = {"val_acc": last["val_acc"], "val_loss": last["val_loss"], "train_acc": last["train_acc"],
           "seconds": time.perf_counter() - start}
    return {"row": row, "history": asdict(history), "snapshots": snapshots}


def _save(path: Path, result: dict, made_by: dict) -> None:
    arrays = {f"{cycle}/{name}": a for cycle, params in result["snapshots"].items() for name, a in params.items()}
    meta = {"row": result["row"], "history": result["history"], **made_by}
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    write_atomic(path, buffer.getvalue())


def _load(path: Path) -> tuple[dict, dict]:
    """(meta, snapshots) of a saved member."""
    with np.load(path) as saved:
        meta = json.loads(str(saved["meta"]))
        snapshots = {}
        for key in saved.files:
            if key != "meta":
                cycle, name = key.split("/")
                snapshots.setdefault(int(cycle), {})[name] = saved[key]
    return meta, {cycle: Params(**arrays) for cycle, arrays in snapshots.items()}


def train_members(configs, train_data, val_data, folder, keep=1, executor=None,
                  progress: bool = False) -> list[Member]:
    """A Member per config (in order), trained on ``executor`` or loaded from ``folder``.

    keep: how many of the last cycle ends to keep the parameters of, for every config or a
    list with one number per config. A saved member made by other code or data, or with
    fewer snapshots, is trained again (with a warning).
    """
    configs = list(configs)
    require(all(isinstance(c, TrainConfig) for c in configs), "configs", "TrainConfigs", configs)
    keeps = [positive_int("keep", k) for k in (keep if isinstance(keep, (list, tuple)) else [keep] * len(configs))]
    require(len(keeps) == len(configs) and all(k <= c.n_cycles for k, c in zip(keeps, configs)), "keep",
            "at most n_cycles, for every config or one number per config", keep)
    folder = Path(folder)
    made_by = {"code": code_version(), "data": data_fingerprint(train_data, val_data)}
    members, todo = [None] * len(configs), []
    for i, config in enumerate(configs):
        path = folder / f"{run_key(config)}.npz"
        if path.exists():
            meta, snapshots = _load(path)
            if {k: meta.get(k) for k in made_by} == made_by and len(snapshots) >= keeps[i]:
                members[i] = Member(config, History(**meta["history"]), meta["row"], snapshots)
                continue
            warnings.warn(f"{path} was made by other code or data, or keeps fewer snapshots: training it again",
                          stacklevel=2)
        todo.append(i)
    finished = run_tasks(_train_member, [(configs[i], keeps[i]) for i in todo], (train_data, val_data), executor,
                         desc="networks" if progress else None, fingerprint=made_by["data"])
    for j, result in finished:
        i = todo[j]
        _save(folder / f"{run_key(configs[i])}.npz", result, made_by)
        snapshots = {c: Params(**arrays) for c, arrays in result["snapshots"].items()}
        members[i] = Member(configs[i], History(**result["history"]), result["row"], snapshots)
    return members


def ablation_configs(base: TrainConfig, steps) -> list[TrainConfig]:
    """The cumulative path [base, base + steps[0], base + steps[0] + steps[1], ...]; steps: (label, changes) pairs."""
    configs = [base]
    for label, changes in steps:
        require(isinstance(changes, dict) and set(changes) <= set(asdict(base)), "steps",
                "(label, {TrainConfig field: value}) pairs", (label, changes))
        configs.append(replace(configs[-1], **changes))
    return configs


def ablation_rows(labels: list[str], groups: list[list[Member]]) -> list[dict]:
    """One row per step of the path: its label, seeds, mean and sd of the validation accuracy, the
    gain over the step before with its standard error, and whether the change is kept (gain > 0).

    labels: a label per step, the first one the starting point; groups: its Members (one per seed).
    """
    require(len(labels) == len(groups) and all(groups), "groups", "a non-empty list of Members per label",
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


def ablation(base: TrainConfig, steps, long_cycles: int, seeds, final_seeds, train_data, val_data, folder,
             keep: int = 1, executor=None, progress: bool = False, start_label: str = "start"):
    """The ablation: one change at a time, then a longer schedule for what was kept.

    steps: (label, changes) pairs, applied cumulatively to ``base``; the path is trained with
    ``seeds``, all runs at once. The changes that raised the mean validation accuracy are
    kept; their config is then trained for ``long_cycles`` cycles with ``final_seeds``,
    keeping the last ``keep`` cycle ends. If the longer schedule does not help either, the
    kept short config is trained with the final seeds instead.
    Returns (rows of ``ablation_rows``, the first labelled ``start_label``; the chosen config,
    with seed final_seeds[0]; its Members, one per final seed).
    """
    positive_int("long_cycles", long_cycles)
    path = ablation_configs(base, steps)
    runs = [(i, seed) for i in range(len(path)) for seed in seeds]
    members = train_members([replace(path[i], seed=seed) for i, seed in runs], train_data, val_data, folder,
                            executor=executor, progress=progress)
    groups = [[m for (i, _), m in zip(runs, members) if i == step] for step in range(len(path))]
    labels = [start_label] + [label for label, _ in steps]
    short = kept_config(base, steps, ablation_rows(labels, groups))
    chosen = replace(short, n_cycles=long_cycles, seed=final_seeds[0])
    finals = train_members([replace(chosen, seed=seed) for seed in final_seeds], train_data, val_data, folder,
                           keep=min(keep, long_cycles), executor=executor, progress=progress)
    rows = ablation_rows(labels + [f"longer schedule ({long_cycles} cycles)"], groups + [finals])
    if not rows[-1]["kept"]:
        chosen = replace(short, seed=final_seeds[0])
        finals = train_members([replace(chosen, seed=seed) for seed in final_seeds], train_data, val_data, folder,
                               keep=min(keep, short.n_cycles), executor=executor, progress=progress)
    return rows, chosen, finals


def _views(X: np.ndarray, mirror: bool) -> list:
    return [X, mirrored(X)] if mirror else [X]


def ensemble_probabilities(members: list[Member], X, snapshots: int = 1, mirror: bool = False) -> np.ndarray:
    """Averaged class probabilities (n, K) on X (n, d) of the last ``snapshots`` cycle ends of every
    member; with ``mirror``, averaged over each image and its mirror image too."""
    views = _views(X, mirror)
    return average(probabilities(params, view) for member in members for params in member.last(snapshots)
                   for view in views)


def ensemble_choices(members: list[Member], val_data, max_snapshots: int) -> list[dict]:
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
