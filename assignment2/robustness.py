"""The study's choices made again with seeds disjoint from the defaults: a robustness check, run once by
hand, not by ``make report``.

    python -m assignment2.robustness --build build --out build-robustness

executes notebooks 04 and 05, then 06, with every seed list replaced by one of ``DISJOINT`` (papermill,
into ``--out``, reading and filling the build's run store: $ASSIGNMENT2_STORE, else build/runs), and compares their choices and
accuracies with the build's. Notebook 06 starts from the build's notebook 05, so that only its own
seeds differ. Writes ``robustness.json`` into ``--out`` and prints its table.
"""

import argparse
import os
import sys
from pathlib import Path

from .core.files import save_json
from .study.exercises.base import InputError
from .study.exercises.bonus import Bonus
from .study.exercises.final_model import FinalModel
from .study.exercises.lambda_search import LambdaSearch
from .study.stats import difference_se, mean_sd
from .study.store import ENVIRONMENT

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Every seed list of notebooks 04-06, replaced by one that shares no seed with the defaults.
DISJOINT = {
    "04_lambda_search": {"seed": 10, "confirm_seeds": [10, 11, 12, 13, 14]},
    "05_final_model": {"seeds": [10, 11, 12]},
    "06_bonus": {"seeds": [10, 11], "final_seeds": [10, 11, 12], "student_seeds": [10, 11]},
}


def agreement(a: list[float], b: list[float]) -> dict:
    """Two sets of accuracies (one per seed): their means, the difference, the standard error of the
    difference of the means, and whether the difference is within 2 of them."""
    (ma, sa), (mb, sb) = mean_sd(a), mean_sd(b)
    se = difference_se(sa, len(a), sb, len(b))
    return {"default": ma, "disjoint": mb, "difference": mb - ma, "se": se, "agree": abs(mb - ma) <= 2 * se}


def choices(bonus: dict) -> dict:
    """What notebook 06 chose (its results): the verdict of every judged step, the chosen network's config
    (without the learning-rate bounds, which the range test of each seed proposes; with its whitening), whether
    one network is named averaged with its mirror image, and the kind of ensemble."""
    config = {k: v for k, v in bonus["single"]["config"].items() if k not in ("eta_min", "eta_max")}
    ens = bonus["ensemble"]
    return {"steps": {row["change"]: row["kept"] for row in bonus["ablation"] if row["kept"] is not None},
            "config": config, "mirror": bonus["single"]["mirror"]["kept"],
            "ensemble": {"of": ens["groups"], "snapshots": ens["snapshots"], "mirror": ens["mirror"]}}


def side_by_side(default: Path, disjoint: Path) -> dict:
    """The choices and accuracies of two builds (folders of the notebooks' outputs), side by side."""
    read = lambda result, build: result.load(Path(build) / result.NOTEBOOK).summary
    s0, s1 = read(LambdaSearch, default), read(LambdaSearch, disjoint)
    f0, f1 = read(FinalModel, default), read(FinalModel, disjoint)
    b0, b1 = read(Bonus, default), read(Bonus, disjoint)
    c0, c1 = choices(b0), choices(b1)
    return {
        "lambda": {"default": s0["best_lambda"], "disjoint": s1["best_lambda"]},
        "final_models": {m: agreement(f0["models"][m]["test_accs"], f1["models"][m]["test_accs"])
                         for m in f0["models"] if m in f1["models"]},
        "bonus": {"default": c0, "disjoint": c1, "same_steps": c0["steps"] == c1["steps"],
                  "same_config": c0["config"] == c1["config"], "same_ensemble": c0["ensemble"] == c1["ensemble"],
                  "same_mirror": c0["mirror"] == c1["mirror"],
                  "single": agreement(b0["single"]["test_accs"], b1["single"]["test_accs"]),
                  "single_mirror": agreement(b0["single"]["mirror"]["test_accs"], b1["single"]["mirror"]["test_accs"]),
                  "ensemble_test_acc": {"default": b0["ensemble"]["test_acc"], "disjoint": b1["ensemble"]["test_acc"]}},
    }


def table(result: dict) -> str:
    """The comparison as Markdown."""
    def row(name, a):
        return (f"| {name} | {100 * a['default']:.2f}% | {100 * a['disjoint']:.2f}% | {100 * a['difference']:+.2f} "
                f"({100 * a['se']:.2f}) | {'yes' if a['agree'] else 'NO'} |")
    b = result["bonus"]
    lines = ["| | default seeds | disjoint seeds | difference (s.e.) | within 2 s.e. |", "|---|---|---|---|---|",
             f"| λ chosen by notebook 04 | {result['lambda']['default']:.3g} | {result['lambda']['disjoint']:.3g} | | |"]
    lines += [row(f"notebook 05, m = {m}, test", a) for m, a in result["final_models"].items()]
    lines += [row("notebook 06, one network, test", b["single"]),
              row("notebook 06, one network averaged with its mirror image, test", b["single_mirror"])]
    lines += [f"| notebook 06, ensemble, test | {100 * b['ensemble_test_acc']['default']:.2f}% | "
              f"{100 * b['ensemble_test_acc']['disjoint']:.2f}% | | |"]
    for step, kept in b["default"]["steps"].items():
        other = b["disjoint"]["steps"].get(step)
        lines.append(f"| {step} | {'kept' if kept else 'dropped'} | "
                     f"{'-' if other is None else 'kept' if other else 'dropped'} | | {'yes' if other == kept else 'NO'} |")
    lines.append(f"| the chosen ensemble | {b['default']['ensemble']} | {b['disjoint']['ensemble']} | | "
                 f"{'yes' if b['same_ensemble'] else 'NO'} |")
    lines.append(f"| one network named averaged with its mirror image | {b['default']['mirror']} | "
                 f"{b['disjoint']['mirror']} | | {'yes' if b['same_mirror'] else 'NO'} |")
    lines.append(f"| the chosen network's config (whitening epsilon {b['default']['config'].get('whiten', 0):g} and "
                 f"{b['disjoint']['config'].get('whiten', 0):g}) | | | | {'yes' if b['same_config'] else 'NO'} |")
    return "\n".join(lines)


def run(build: Path, out: Path, data_root: str | None = None, extra: dict | None = None) -> dict:
    """Execute notebooks 04, 05 and 06 with ``DISJOINT`` seeds into ``out`` and compare them with ``build``;
    ``extra``: more parameters for every notebook (e.g. {"quick": True})."""
    import papermill

    build, out = Path(build).resolve(), Path(out).resolve()
    for result in (LambdaSearch, FinalModel, Bonus):      # the build to compare with, before anything is trained
        result.load(build / result.NOTEBOOK)
    data_root = data_root or os.environ.get("CIFAR10_DIR")
    data_root = str(Path(data_root).resolve()) if data_root else None     # the notebooks run in notebooks/
    store = os.environ.get(ENVIRONMENT) or str(build / "runs")     # the build's store, as make report fills it
    inputs = {"05_final_model": {"search_dir": str(out / "04_lambda_search")},
              "06_bonus": {"final_dir": str(build / "05_final_model")}}
    for name, seeds in DISJOINT.items():
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        parameters = {"out_dir": str(folder), "data_root": data_root, "store_dir": store, **inputs.get(name, {}),
                      **seeds, **(extra or {})}
        papermill.execute_notebook(NOTEBOOKS / f"{name}.ipynb", folder / f"{name}.ipynb", parameters=parameters,
                                   cwd=str(NOTEBOOKS), engine_name="assignment2", kernel_name="python3",
                                   log_output=False, progress_bar=True)
    result = side_by_side(build, out)
    save_json(result, out / "robustness.json")
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assignment2.robustness", description="Make the study's choices "
                                     "again with seeds disjoint from the defaults, and compare them with a build's.",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--build", default="build", help="the build made with the default seeds (make report)")
    parser.add_argument("--out", default="build-robustness", help="where the notebooks with disjoint seeds go")
    parser.add_argument("--data", default=None, help="the CIFAR-10 folder (default: $CIFAR10_DIR, else the cache)")
    args = parser.parse_args(argv)
    try:
        print(table(run(Path(args.build), Path(args.out), args.data)))
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
