"""Everything the report states beyond the notebooks' results: every statistic, lookup and choice,
computed here from the results so that the template only formats.

``facts(ctx)`` takes the context of ``report.context`` (each notebook's results, by the name of
its notebook without the number) and returns a dict the template reads as ``facts``.
"""

import math

from ..study import rule
from .wording import bonus_options, difference, escape, kept_cell, pct

#: A relative error of the gradient check below this is the rounding of the differences themselves.
GRADIENT_TOLERANCE = 1e-6


def standard_error(accuracy: float, n: int) -> float:
    """The standard error of an accuracy measured on n images: sqrt(a (1 - a) / n)."""
    return math.sqrt(accuracy * (1 - accuracy) / n)


def hidden_sizes(widths: list[dict]) -> str:
    """The widest hidden size against the narrowest (rows of notebook 03's ``hidden_sizes``), or ""."""
    if len(widths) < 2:
        return ""
    a, b = max(widths, key=lambda r: r["hidden"]), min(widths, key=lambda r: r["hidden"])
    text = difference((f"$m={a['hidden']}$", a["test_acc_mean"], a["test_acc_std"], a["n_seeds"]),
                      (f"$m={b['hidden']}$", b["test_acc_mean"], b["test_acc_std"], b["n_seeds"]), "test accuracy")
    text += f" Its training accuracy is {pct(a['train_acc_mean'])} against {pct(b['train_acc_mean'])}"
    if a["n_seeds"] >= 3:
        text += (f", at {a['seconds_median'] / b['seconds_median']:.1f}× the run time (medians of {a['n_seeds']} "
                 "runs, two at a time)")
    return text + "."


def batch_pairs(batches: list[dict]) -> list[tuple[dict, dict]]:
    """(fixed, linear) rows of notebook 03's ``batch_sizes`` for every batch size, in order."""
    linear = {r["batch_size"]: r for r in batches if r["eta_scaling"] == "linear"}
    return [(r, linear[r["batch_size"]]) for r in batches if r["eta_scaling"] == "fixed" and r["batch_size"] in linear]


def search_noise(s) -> dict:
    """How the best search runs of notebook 04 (``s``: its summary) compare with the noise of their validation set:
    the best accuracy, its standard error on the validation images, and the spread of the best runs."""
    best, last = s.best[0]["val_acc"], s.best[-1]["val_acc"]
    return {"best": best, "se": standard_error(best, s.n_val), "spread": best - last, "runs": len(s.best)}


def distillation(d, students_row) -> dict:
    """The facts of notebook 06's distillation (its summary ``d``; the ablation's last row, the students')."""
    return {"teachers": len(d.teachers), "paired_students": d.trials[0]["seeds"], "students_row": students_row,
            "teacher_ends": "the last cycle end" if d.teacher_snapshots == 1 else
                            f"the last {d.teacher_snapshots} cycle ends"}


def facts(ctx: dict) -> dict:
    """Every derived number, lookup and sentence of the report, by section."""
    c, s, f = ctx["cyclical_lr"].summary, ctx["lambda_search"].summary, ctx["final_model"].summary
    b, a = ctx["bonus"].summary, ctx["analysis"].summary
    single, cfg, d = b.single, b.single.config, b.distillation
    return {
        "gradients_correct": ctx["gradient_check"].summary.max_rel < GRADIENT_TOLERANCE,
        "seeds": len(c.seeds),
        "cost_test_accs": [method.test_acc for method in c.cost_methods.values()],
        "cost_same": len({method.test_acc for method in c.cost_methods.values()}) == 1,
        "hidden_sizes": hidden_sizes(c.hidden_sizes),
        "batch_pairs": batch_pairs(c.batch_sizes),
        "search_noise": search_noise(s),
        "confirm_std": (min(r["val_acc_std"] for r in s.confirmed), max(r["val_acc_std"] for r in s.confirmed)),
        "margin": rule.MARGIN,
        "coarse": sorted(ctx["lambda_search"].tables["coarse"], key=lambda r: r["lambda"]),
        "fine": sorted(ctx["lambda_search"].tables["fine"], key=lambda r: r["lambda"]),
        "final_seeds": len(f.seeds),
        "final_models": list(f.models.values()),
        "finals_by_width": [f.models[m] for m in sorted(f.models)],
        "reference_final": f.models.get(ctx["reference"].final.m),
        "options": bonus_options(cfg),
        "bonus_se": standard_error(single.val_acc_mean, b.n_val),
        "bonus_se_small": standard_error(single.val_acc_mean, f.n_val),
        "epochs": 2 * cfg.n_s * cfg.n_cycles * cfg.batch_size / b.n_train,
        "kept": [kept_cell(row.kept) for row in b.ablation],
        "ablation_seeds": b.ablation[0].seeds,
        "single_seeds": len(single.seeds),
        **(distillation(d, b.ablation[-1]) if d else {}),
        "single_summary": a.model(a.single_label),
        "ensemble_summary": a.model(a.ensemble_label),
        "final_summary": a.model(a.final_label),
        "widest_final": f.widest.hidden,
        "class_columns": [("class", "class", "s")] + [(m["label"], escape(m["label"]), pct) for m in a.models],
        "total_seconds": sum(secs for secs in ctx["seconds"].values() if secs is not None),
        "best_one_hidden_layer": ctx["reference"].one_hidden_layer.best,
    }
