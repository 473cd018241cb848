"""The study's decision rule, fixed before any result: a change is kept only when the mean of its paired
differences d_s = acc(change, s) - acc(before, s) exceeds MARGIN standard errors, the sd pooled over the
comparisons judged together; otherwise, a tie included, the setting before stays (docs/study.md)."""

from dataclasses import dataclass

import numpy as np

from ..core.checks import require

#: How many standard errors a gain must clear to be kept.
MARGIN = 2.0


def paired_differences(after: dict, before: dict) -> np.ndarray:
    """after[s] - before[s] over the seeds s both have (seed -> accuracy), in seed order: (n,)."""
    seeds = sorted(set(after) & set(before))
    require(len(seeds) > 0, "seeds", "at least one seed shared by both sides of a comparison",
            f"{sorted(after)} against {sorted(before)}")
    return np.array([after[s] - before[s] for s in seeds], dtype=float)


def pooled_sd(differences: list) -> float:
    """The standard deviation of paired differences pooled over comparisons (each an array (n_i,)):
    sqrt(sum of squared deviations from each comparison's mean / sum of (n_i - 1))."""
    arrays = [np.asarray(d, dtype=float) for d in differences]
    dof = sum(len(d) - 1 for d in arrays)
    require(dof > 0, "seeds", "at least two seeds shared by the two sides of some comparison",
            [len(d) for d in arrays])
    return float(np.sqrt(sum(((d - d.mean()) ** 2).sum() for d in arrays) / dof))


@dataclass(frozen=True)
class Verdict:
    """The rule on one comparison: the gain (the mean paired difference), its standard error, the threshold it
    must clear and whether it is kept; all None for the start of a path, which is not judged."""

    gain: float | None = None
    gain_se: float | None = None
    threshold: float | None = None
    kept: bool | None = None


def judge(differences: list, pooled_with=(), margin: float = MARGIN) -> list[Verdict]:
    """The verdict on each comparison (an array of paired differences): its gain (their mean), its
    standard error (the sd pooled over these comparisons and ``pooled_with``, over sqrt(n)), the
    threshold ``margin`` standard errors and whether the gain clears it ("kept")."""
    sd = pooled_sd(list(differences) + list(pooled_with))
    verdicts = []
    for d in differences:
        gain, se = float(np.mean(d)), sd / np.sqrt(len(d))
        verdicts.append(Verdict(gain, se, margin * se, bool(gain > margin * se)))
    return verdicts


def by_seed(runs) -> dict:
    """Seed -> validation accuracy of ``store.Run``s."""
    return {run.config.seed: run.row.val_acc for run in runs}
