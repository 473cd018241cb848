"""What each notebook's ``results.json`` holds, built here from the notebook's runs and tested on its own.

The report reads only these files and the notebooks' CSV tables; whatever it says beyond them is
computed in Python (``report``, ``reproduction``, ``wording``), never in its template.
"""

from dataclasses import asdict
from pathlib import Path

import numpy as np

from . import rule
from .experiments import mean_std
from ..core.files import load_json
from ..core.train import History, TrainConfig


def seed_summary(rows: list[dict]) -> dict:
    """The test accuracy of one setting over its seeds (mean, sd, each seed's), and the mean
    validation and training accuracy; rows: ``experiments.test_row`` of each seed."""
    mean, std = mean_std(rows, "test_acc")
    return {"test_acc_mean": mean, "test_acc_std": std, "test_accs": [r["test_acc"] for r in rows],
            "val_acc_mean": mean_std(rows, "val_acc")[0], "train_acc_mean": mean_std(rows, "train_acc")[0]}


def gradient_check(rows: list[dict], settings: dict, official_data: bool) -> dict:
    """Notebook 01: the settings checked, the largest relative and absolute error over all rows
    (``experiments.gradient_check``), and whether the data matched the official checksums."""
    return {**settings, "max_rel": max(r["max_rel"] for r in rows), "max_abs": max(r["max_abs"] for r in rows),
            "official_data": official_data}


def overfit(n_images: int, config: TrainConfig, history: History, row: dict) -> dict:
    """Notebook 02: the run on ``n_images`` images, its updates and epochs, and where it ended."""
    return {"n_images": n_images, "steps": config.total_steps,
            "epochs": config.total_steps * config.batch_size // n_images,
            "train_acc": history.train_acc[-1], "train_loss": history.train_loss[-1],
            "val_acc": history.val_acc[-1], "test_acc": row["test_acc"], "config": history.config}


def cyclical_lr(base: TrainConfig, seeds, n_train: int, schedules: dict, seed_rows: dict, method_rows: list[dict],
                timing_repeats: int, hidden_rows: list[dict], batch_rows: list[dict]) -> dict:
    """Notebook 03: the shared settings; per schedule (name -> TrainConfig) its n_s, cycles and
    ``seed_summary`` of its rows (name -> rows); the cost methods by name; the size tables."""
    summary = {name: {"n_s": config.n_s, "cycles": config.n_cycles, **seed_summary(seed_rows[name])}
               for name, config in schedules.items()}
    return {"seeds": list(seeds), "dtype": base.dtype, "lam": base.lam, "batch_size": base.batch_size,
            "n_train": n_train, "hidden": base.hidden, "eta_min": base.eta_min, "eta_max": base.eta_max, **summary,
            "cost_methods": {r["method"]: r for r in method_rows}, "timing_repeats": timing_repeats,
            "hidden_sizes": hidden_rows, "batch_sizes": batch_rows}


def lambda_search(config: TrainConfig, n_train: int, n_val: int, settings: dict, coarse: list[dict],
                  fine: list[dict], fine_range, best: list[dict], peak: dict, confirmed: list[dict]) -> dict:
    """Notebook 04: the search's settings, how many runs each stage made, the fine range, the best
    runs, the smoothed peak (``search.smoothed_peak``), the confirmed lambdas (``confirm_best``: the
    chosen one first) and the chosen one, and the seconds the two searches trained for."""
    return {"n_train": n_train, **settings, "n_val": n_val, "n_s": config.n_s, "n_cycles": config.n_cycles,
            "hidden": config.hidden, "seed": config.seed, "batch_size": config.batch_size,
            "n_coarse": len(coarse), "n_fine": len(fine), "fine_range": list(fine_range), "best": best,
            "peak": peak, "confirmed": confirmed, "best_lambda": confirmed[0]["lambda"],
            "seconds": sum(r["seconds"] for r in coarse + fine)}


def final_model(configs: dict, seed_rows: dict, seeds, n_train: int, n_val: int) -> dict:
    """Notebook 05: the schedule the final models share (configs: m -> TrainConfig) and, per hidden
    size, its ``seed_summary`` (seed_rows: m -> rows)."""
    first = next(iter(configs.values()))
    return {"lam": first.lam, "n_s": first.n_s, "n_cycles": first.n_cycles, "batch_size": first.batch_size,
            "n_train": n_train, "n_val": n_val, "seeds": list(seeds),
            "models": {str(m): {"hidden": m, **seed_summary(seed_rows[m])} for m in configs}}


def _spread(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1))


def bonus(base: TrainConfig, n_val: int, n_train: int, range_test: dict, ablation: list[dict], chosen: TrainConfig,
          finals: list, single_rows: list[dict], pick: dict, ensemble_steps: list[dict], ensemble_members: list,
          ensemble_test: float, distilled: dict, teacher_test: float, teacher_rows: list[dict],
          student_rows: list[dict], teacher_cycles: int, judge_cycles: int) -> dict:
    """Notebook 06: the rule's margin, the start, the range test, the ablation rows, the chosen network
    (config without its seed; each final seed's validation and test accuracy, their mean and sd;
    whether it is a distilled student; its runs in the store), the chosen ensemble (``pick`` of
    ``improve.ensemble_path``, its steps, members and test accuracy) and the distillation (None when
    no student was trained)."""
    test_accs = [row["test_acc"] for row in single_rows]
    val_mean, val_std = _spread([m.row["val_acc"] for m in finals])
    test_mean, test_std = _spread(test_accs)
    teacher, judged = distilled["teacher"], distilled["row"]
    return {
        "margin": rule.MARGIN, "judge_cycles": judge_cycles,
        "n_train": n_train, "n_val": n_val, "start": asdict(base), "range_test": range_test, "ablation": ablation,
        "single": {"config": {k: v for k, v in asdict(chosen).items() if k != "seed"},
                   "seeds": [m.config.seed for m in finals], "val_acc_mean": val_mean, "val_acc_std": val_std,
                   "test_acc_mean": test_mean, "test_acc_std": test_std, "test_accs": test_accs,
                   "seconds_mean": float(np.mean([m.row["seconds"] for m in finals])),
                   "distilled": bool(judged and judged["kept"]), "runs": [row["run"] for row in single_rows]},
        "ensemble": {"members": [{"seed": m.config.seed, "cycles": sorted(m.snapshots)[-pick["snapshots"]:],
                                  "student": bool(m.config.distill), "run": m.key} for m in ensemble_members],
                     "of": pick["members"], "networks": pick["networks"], "snapshots": pick["snapshots"],
                     "mirror": pick["mirror"], "val_acc": pick["val_acc"], "test_acc": ensemble_test,
                     "steps": ensemble_steps},
        "distillation": {"teachers": teacher_rows, "teacher_snapshots": teacher["snapshots"],
                         "teacher_mirror": teacher["mirror"], "teacher_val_acc": teacher["val_acc"],
                         "teacher_test_acc": teacher_test, "alpha": distilled["config"].distill,
                         "temperature": distilled["config"].temperature, "cycles": distilled["config"].n_cycles,
                         "teacher_cycles": teacher_cycles, "trials": distilled["trials"], "students": student_rows,
                         "kept": judged["kept"]} if judged else None,
    }


def analysis(settings: dict, labels: dict, summaries: dict, worst, P: np.ndarray, y: np.ndarray,
             classes: list[str]) -> dict:
    """Notebook 07: its settings, the labels of the networks the figures show (labels: "single",
    "ensemble" and "final", notebook 05's widest, each -> its label), every network's
    ``analysis.summary``, and the most confident mistakes ``worst`` (indices into the test set) of
    the probabilities P (n, K) against the labels y (n,)."""
    return {**settings, **{f"{role}_label": label for role, label in labels.items()},
            "models": list(summaries.values()),
            "worst_mistakes": [{"index": int(i), "true": classes[y[i]], "predicted": classes[int(P[i].argmax())],
                                "probability": float(P[i].max())} for i in worst]}


class InputError(Exception):
    """A notebook's input, the results of an earlier notebook, is missing, cut short or of another kind."""


def read_input(folder, notebook: str, keys=()) -> dict:
    """The ``results.json`` that notebook ``notebook`` (e.g. "05_final_model") wrote in ``folder``,
    with every key of ``keys``; otherwise an InputError whose one line names the file, the notebook
    that writes it and how to make it."""
    path = Path(folder) / "results.json"
    how = (f"notebook {notebook} writes it: run `make report`, or `papermill notebooks/{notebook}.ipynb "
           f"out.ipynb --cwd notebooks -p out_dir {Path(folder).resolve()}`")
    try:
        results = load_json(path)
    except FileNotFoundError:
        raise InputError(f"{path} is missing; {how}") from None
    except (ValueError, OSError) as err:
        raise InputError(f"{path} cannot be read ({type(err).__name__}: it is cut short or not JSON); {how}") from None
    missing = [key for key in keys if key not in results] if isinstance(results, dict) else list(keys)
    if missing:
        raise InputError(f"{path} has no {', '.join(missing)}: another notebook or version wrote it; {how}")
    return results
