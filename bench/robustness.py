"""The study's choices made again with seeds disjoint from the defaults: a robustness check, run once by
hand, not by ``make report``.

    python bench/robustness.py --build build --out build-robustness

executes notebooks 04 and 05, then 06, with every seed list replaced by one of ``DISJOINT`` (papermill,
into ``--out``, reading and filling the build's run store: $ASSIGNMENT2_STORE, else build/runs), and compares
their choices and accuracies with the build's. Notebook 06 starts from the build's notebook 05, so that only its own
seeds differ. Writes ``robustness.json`` into ``--out`` and prints its table.
"""

import argparse
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from assignment2.core.files import save_json
from assignment2.core.train import TrainConfig
from assignment2.study.exercises.base import JSON, InputError
from assignment2.study.exercises.bonus import Bonus
from assignment2.study.exercises.final_model import FinalModel
from assignment2.study.exercises.lambda_search import LambdaSearch
from assignment2.study.stats import difference_se, mean_sd
from assignment2.study.store import ENVIRONMENT

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Every seed list of notebooks 04-06, replaced by one that shares no seed with the defaults.
DISJOINT = {
    "04_lambda_search": {"seed": 10, "confirm_seeds": [10, 11, 12, 13, 14]},
    "05_final_model": {"seeds": [10, 11, 12]},
    "06_bonus": {"seeds": [10, 11], "final_seeds": [10, 11, 12], "student_seeds": [10, 11]},
}


@dataclass(frozen=True)
class Agreement:
    """Two sets of accuracies (one per seed): their means, the difference, the standard error of the difference
    of the means, and whether the difference is within 2 of them."""

    default: float
    disjoint: float
    difference: float
    se: float
    agree: bool

    def row(self, name: str) -> str:
        return (f"| {name} | {100 * self.default:.2f}% | {100 * self.disjoint:.2f}% | {100 * self.difference:+.2f} "
                f"({100 * self.se:.2f}) | {'yes' if self.agree else 'NO'} |")


def agreement(a: list[float], b: list[float]) -> Agreement:
    (ma, sa), (mb, sb) = mean_sd(a), mean_sd(b)
    se = difference_se(sa, len(a), sb, len(b))
    return Agreement(ma, mb, mb - ma, se, abs(mb - ma) <= 2 * se)


@dataclass(frozen=True)
class Choices:
    """What notebook 06 chose: the verdict of every judged step, the chosen network's config, whether one network
    is named folded with its mirror image, and the ensemble's groups, cycle ends and mirror images."""

    steps: dict[str, bool]
    config: TrainConfig
    mirror: bool
    ensemble: tuple[tuple[str, ...], int, bool]

    @property
    def network(self) -> TrainConfig:
        """The chosen config but for the learning-rate bounds, which the range test of each seed proposes, and the
        seed (the config names the first of its seeds)."""
        return replace(self.config, eta_min=0.0, eta_max=0.0, seed=0)

    @classmethod
    def of(cls, bonus) -> "Choices":
        """The choices of notebook 06's summary ``bonus``."""
        ens = bonus.ensemble
        return cls({row.change: row.kept for row in bonus.ablation if row.kept is not None},
                   bonus.single.config, bonus.single.mirror.kept,
                   (tuple(ens.groups), ens.snapshots, ens.mirror))


@dataclass(frozen=True)
class Robustness:
    """The choices and accuracies of the default build and of the disjoint seeds' side by side."""

    lambdas: tuple[float, float]
    final_models: dict[int, Agreement]
    default: Choices
    disjoint: Choices
    single: Agreement
    single_mirror: Agreement
    ensemble_test_acc: tuple[float, float]

    def table(self) -> str:
        """The comparison as Markdown."""
        same = lambda a, b: "yes" if a == b else "NO"
        a, b = self.default, self.disjoint
        lines = ["| | default seeds | disjoint seeds | difference (s.e.) | within 2 s.e. |", "|---|---|---|---|---|",
                 f"| λ chosen by notebook 04 | {self.lambdas[0]:.3g} | {self.lambdas[1]:.3g} | | |"]
        lines += [agree.row(f"notebook 05, m = {m}, test") for m, agree in self.final_models.items()]
        lines += [self.single.row("notebook 06, one network, test"),
                  self.single_mirror.row("notebook 06, one network folded with its mirror image, test"),
                  f"| notebook 06, ensemble, test | {100 * self.ensemble_test_acc[0]:.2f}% | "
                  f"{100 * self.ensemble_test_acc[1]:.2f}% | | |"]
        for step, kept in a.steps.items():
            other = b.steps.get(step)
            lines.append(f"| {step} | {'kept' if kept else 'dropped'} | "
                         f"{'-' if other is None else 'kept' if other else 'dropped'} | | {same(other, kept)} |")
        lines += [f"| the chosen ensemble | {a.ensemble} | {b.ensemble} | | {same(a.ensemble, b.ensemble)} |",
                  f"| one network named folded with its mirror image | {a.mirror} | {b.mirror} | | "
                  f"{same(a.mirror, b.mirror)} |",
                  f"| the chosen network's config (whitening epsilon {a.config.whiten:g} and {b.config.whiten:g}) "
                  f"| | | | {same(a.network, b.network)} |"]
        return "\n".join(lines)


def side_by_side(default: Path, disjoint: Path) -> Robustness:
    """The choices and accuracies of two builds (folders of the notebooks' outputs), side by side."""
    read = lambda result, build: result.load(Path(build) / result.NOTEBOOK).summary
    s0, s1 = read(LambdaSearch, default), read(LambdaSearch, disjoint)
    f0, f1 = read(FinalModel, default), read(FinalModel, disjoint)
    b0, b1 = read(Bonus, default), read(Bonus, disjoint)
    return Robustness((s0.best_lambda, s1.best_lambda),
                      {m: agreement(f0.models[m].test_accs, f1.models[m].test_accs)
                       for m in f0.models if m in f1.models},
                      Choices.of(b0), Choices.of(b1), agreement(b0.single.test_accs, b1.single.test_accs),
                      agreement(b0.single.mirror.test_accs, b1.single.mirror.test_accs),
                      (b0.ensemble.test_acc, b1.ensemble.test_acc))


def run(build: Path, out: Path, data_root: str | None = None, extra: dict | None = None) -> Robustness:
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
                                   log_output=False, progress_bar=False, stderr_file=sys.stderr)
    result = side_by_side(build, out)
    save_json(JSON.unstructure(result), out / "robustness.json")
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/robustness.py", description="Make the study's choices "
                                     "again with seeds disjoint from the defaults, and compare them with a build's.",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--build", default="build", help="the build made with the default seeds (make report)")
    parser.add_argument("--out", default="build-robustness", help="where the notebooks with disjoint seeds go")
    parser.add_argument("--data", default=None, help="the CIFAR-10 folder (default: $CIFAR10_DIR, else the cache)")
    args = parser.parse_args(argv)
    try:
        print(run(Path(args.build), Path(args.out), args.data).table())
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
