"""Random search of the regularisation strength lambda, its smoothed peak and the choice confirmed over seeds;
its runs are kept in the run store."""

from dataclasses import asdict, dataclass, replace

import numpy as np

from ..core.checks import positive_int, require
from ..core.train import TrainConfig
from . import rule
from .stats import mean_sd
from .store import Run, RunStore


def _settings(config: TrainConfig) -> dict:
    """Every config value but lam and seed: what all runs of one results file share."""
    return {k: v for k, v in asdict(config).items() if k not in ("lam", "seed")}


def sample_lambdas(n: int, l_min: float, l_max: float, rng: np.random.Generator) -> np.ndarray:
    """n values 10**U(l_min, l_max), sorted ascending."""
    n = positive_int("n", n)
    require(l_min < l_max, "l_min", f"< l_max ({l_max})", l_min)
    return np.sort(10.0 ** rng.uniform(l_min, l_max, n))


def best_runs(rows: list[dict], k: int = 3) -> list[dict]:
    """The k rows with the highest validation accuracy (ties: lower validation cost first)."""
    return sorted(rows, key=lambda r: (-r["val_acc"], r["val_cost"]))[:k]


def search_row(run: Run) -> dict:
    """A stored run as a row of a search's results: lambda, validation accuracy and cost,
    training accuracy, seconds, seed and every other config value."""
    return {"lambda": run.config.lam, "val_acc": run.row.val_acc, "val_cost": run.row.val_cost,
            "train_acc": run.row.train_acc, "seconds": run.row.seconds, "seed": run.config.seed,
            **_settings(run.config)}


def search_lambdas(lambdas, train_data, val_data, config: TrainConfig, store: RunStore, *, executor=None,
                   seeds=None) -> list[dict]:
    """A ``search_row`` per run of each lambda with each of ``seeds`` (None: config.seed), trained on ``executor`` or
    read from ``store``: an interrupted search resumes where it stopped."""
    require(isinstance(config, TrainConfig), "config", "a TrainConfig", type(config).__name__)
    lambdas = [float(lam) for lam in np.atleast_1d(lambdas)]
    require(all(np.isfinite(lam) and lam >= 0 for lam in lambdas), "lambdas", "finite numbers >= 0", lambdas)
    seeds = [config.seed] if seeds is None else [int(seed) for seed in seeds]
    configs = [replace(config, lam=lam, seed=seed) for lam in dict.fromkeys(lambdas) for seed in dict.fromkeys(seeds)]
    return [search_row(run) for run in store.runs(configs, train_data, val_data, executor=executor)]


@dataclass(frozen=True)
class Peak:
    """A search's smoothed peak: its lambda (``lam``, "lambda" in results.json), the coefficients a, b, c of the
    quadratic a x^2 + b x + c fitted in x = log10 lambda, the runs fitted, whether the fit is concave (else the
    lambda is the best run's), and the range [lo, hi] of log10 lambda fitted."""

    lam: float
    coefficients: list[float]
    points: int
    concave: bool
    range: list[float]


def smoothed_peak(rows: list[dict], lo: float, hi: float) -> Peak:
    """The peak of a quadratic fit of the validation accuracy against log10 lambda, over the rows with
    log10 lambda in [lo, hi] (e.g. the coarse range). A fit that is not concave, or whose peak lies outside
    the rows' lambdas, gives the lambda of the best of those rows instead (``best_runs``)."""
    inside = [r for r in rows if lo <= np.log10(r["lambda"]) <= hi]
    require(len(inside) >= 3, "rows", f"at least 3 runs with log10 lambda in [{lo:.2f}, {hi:.2f}]", len(inside))
    x = np.log10([r["lambda"] for r in inside])
    a, b, c = np.polyfit(x, [r["val_acc"] for r in inside], 2)
    concave = bool(a < 0 and x.min() <= -b / (2 * a) <= x.max())
    peak = 10.0 ** (-b / (2 * a)) if concave else best_runs(inside, 1)[0]["lambda"]
    return Peak(float(peak), [float(a), float(b), float(c)], len(inside), concave, [float(lo), float(hi)])


def fine_range(rows: list[dict], k: int = 3, margin: float = 0.25) -> tuple[float, float]:
    """log10 range for the fine search: spanning the k best coarse lambdas, widened by ``margin``."""
    require(len(rows) >= 1, "rows", "at least one finished run", len(rows))
    logs = np.log10([r["lambda"] for r in best_runs(rows, k)])
    return float(logs.min() - margin), float(logs.max() + margin)


def confirm_best(candidate: float, rows: list[dict], k: int, seeds, train_data, val_data, config: TrainConfig,
                 store: RunStore, *, executor=None) -> tuple[list[dict], list[dict]]:
    """Rows of ``candidate`` and the k best lambdas of ``rows`` trained again with ``config`` and ``seeds``, the chosen
    first: another beats the candidate only by the rule, paired by seed (the largest gain of those that do)."""
    lambdas = list(dict.fromkeys([candidate] + [row["lambda"] for row in best_runs(rows, k)]))
    runs = search_lambdas(lambdas, train_data, val_data, config, store, executor=executor, seeds=seeds)
    by_lambda = {lam: [row for row in runs if row["lambda"] == lam] for lam in lambdas}
    accuracy = {lam: {row["seed"]: row["val_acc"] for row in group} for lam, group in by_lambda.items()}
    others = lambdas[1:]
    verdicts = rule.judge([rule.paired_differences(accuracy[lam], accuracy[candidate]) for lam in others]) \
        if others else []
    verdicts = dict(zip(others, verdicts))
    winners = [lam for lam in others if verdicts[lam].kept]
    chosen = max(winners, key=lambda lam: verdicts[lam].gain) if winners else candidate
    summary = []
    for lam, group in by_lambda.items():
        mean, std = mean_sd([row["val_acc"] for row in group])
        summary.append({"lambda": lam, "val_acc_mean": mean, "val_acc_std": std, "n_seeds": len(group),
                        "train_acc_mean": mean_sd([row["train_acc"] for row in group])[0],
                        "candidate": lam == candidate,
                        **vars(verdicts.get(lam, rule.Verdict())),
                        "chosen": lam == chosen})
    return sorted(summary, key=lambda r: (not r["chosen"], -r["val_acc_mean"])), runs
