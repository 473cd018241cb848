"""The numbers of the reproduction table and the headline figure, beside the reference report's and the
assignment's, and of our networks beside the published ones (``sizes``); the words are in the template."""

from dataclasses import dataclass

from .facts import runs
from .formats import ensemble_members

#: The cost methods of notebook 03, named as the table names them.
METHODS = {"full": "all data", "running_mean": "running mean", "ema": "EMA 0.99"}
#: Both mean absolute errors of the gradient check below this are rounding.
ROUNDING = 1e-9


def gradients(grad, ref) -> dict:
    """Our gradient check's mean absolute error per parameter (the largest over our runs of the reference's
    setting: all dimensions, no option) beside the reference's, and whether both are at rounding level."""
    full = [r for r in grad.tables["gradient_check"] if r["d"] == ref.d and not r["dropout"] and not r["augmented"]]
    ours = {p: max(r["mean_abs"] for r in full if r["parameter"] == p) for p in ref.mean_abs}
    return {"names": list(ref.mean_abs), "ours": ours, "reference": ref.mean_abs, "d": ref.d, "m": ref.m,
            "batch": ref.batch, "ours_m": full[0]["m"], "ours_n": full[0]["n"],
            "rounding": max(*ours.values(), *ref.mean_abs.values()) < ROUNDING}


def facts(build) -> dict:
    """What the reproduction table states beyond the results: the gradient check's comparison, the runs that
    match the reference's settings (None where this profile ran none), and the ratios it gives."""
    c, s, f, reference = build.cyclical_lr.summary, build.lambda_search.summary, build.final_model.summary, \
        build.reference
    ratio = lambda seconds: seconds["full"] / seconds["running_mean"]
    fixed = {r.batch_size: r for r in c.batch_sizes if r.eta_scaling == "fixed"}
    return {"gradients": gradients(build.gradient_check, reference.gradient_check), "methods": METHODS,
            "timing_ratio": (ratio({m: r.seconds for m, r in c.cost_methods.items()}),
                             ratio(reference.one_cycle.seconds)),
            "hidden": next((r for r in c.hidden_sizes if r.hidden == reference.hidden.m), None),
            "final": f.models.get(reference.final.m), "final_small": f.models.get(c.hidden),
            "fine_range": (10 ** s.fine_range[0], 10 ** s.fine_range[1]),
            "lambda_ratio": s.best_lambda / reference.search.best_lambda,
            "batches": [(batch, acc, runs(fixed[batch])) for batch, acc in reference.batch_sizes.test_acc.items()
                        if batch in fixed]}


@dataclass(frozen=True)
class Point:
    """A configuration in the headline figure: its label, our mean and std of its test accuracy over n seeds, and
    the reference report's value (None where it has none)."""

    label: str
    mean: float
    std: float
    n: int
    reference: float | None


def headline(build) -> list[Point]:
    """The test accuracy of every configuration of the study, for the headline figure."""
    c, f, b, reference = build.cyclical_lr.summary, build.final_model.summary, build.bonus.summary, build.reference
    n = len(c.seeds)
    out = [Point(f"1 cycle (n_s = {c.one_cycle.n_s}), m = {c.hidden}", c.one_cycle.test_acc_mean,
                 c.one_cycle.test_acc_std, n, reference.one_cycle.test_acc["full"]),
           Point(f"3 cycles (n_s = {c.three_cycles.n_s}), m = {c.hidden}", c.three_cycles.test_acc_mean,
                 c.three_cycles.test_acc_std, n, reference.three_cycles.test_acc["full"])]
    out += [Point(f"m = {r.hidden}, 3 cycles", r.test_acc_mean, r.test_acc_std, r.n_seeds,
                  reference.hidden.test_acc if r.hidden == reference.hidden.m else None)
            for r in c.hidden_sizes if r.hidden != c.hidden]
    out += [Point(f"final model, m = {m.hidden}", m.test_acc_mean, m.test_acc_std, len(f.seeds),
                  reference.final.test_acc if m.hidden == reference.final.m else None)
            for m in f.models.values()]
    single, ens = b.single, b.ensemble
    out += [Point(f"bonus: one network, m = {numbers.size.hidden}" + ("" if numbers is single else f" ({how})"),
                  numbers.test_acc_mean, numbers.test_acc_std, len(single.seeds), reference.bonus.single.test_acc)
            for how, numbers in reversed(single.views())]      # the rule's choice last, beside the ensemble
    out.append(Point(f"bonus: one network, m = {ens.size.hidden} (an ensemble of {ens.networks}, folded)",
                     ens.test_acc, 0.0, 1, reference.bonus.ensemble.test_acc))
    return out


@dataclass(frozen=True)
class Sized:
    """A network with one hidden layer as the report compares them: what it is, its hidden units and parameters
    (None: not stated), how many networks' mean scores its one forward pass gives, its test accuracy (mean and
    std over n seeds), and whether it is ours."""

    label: str
    hidden: int | None
    parameters: int | None
    averages: int
    mean: float
    std: float
    n: int
    ours: bool


def sizes(build) -> list[Sized]:
    """Our bonus networks as one network each (the chosen network plain, folded with its mirror image, and the
    ensemble folded), then the published ones with one hidden layer."""
    b, lit = build.bonus.summary, build.reference.one_hidden_layer
    single, mirror, ens = b.single, b.single.mirror, b.ensemble
    n = len(single.seeds)
    ours = [Sized(f"ours: one network, m = {single.config.hidden}", single.size.hidden, single.size.parameters, 1,
                  single.test_acc_mean, single.test_acc_std, n, True),
            Sized("ours: the same folded with its mirror image", mirror.size.hidden, mirror.size.parameters,
                  mirror.size.averages, mirror.test_acc_mean, mirror.test_acc_std, n, True),
            Sized(f"ours: the ensemble of {ens.networks} ({ensemble_members(ens)}) folded", ens.size.hidden,
                  ens.size.parameters, ens.size.averages, ens.test_acc, 0.0, 1, True)]
    return ours + [Sized(r.source, r.hidden, r.parameters, 1, r.test_acc, 0.0, 1, False)
                   for r in [*lit.results, lit.deep_teacher]]
