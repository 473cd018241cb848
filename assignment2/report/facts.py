"""Everything the report states beyond the notebooks' results: every statistic, lookup and choice,
computed here from the results so that the template only formats.

``facts(ctx)`` takes the context of ``report.context`` (each notebook's results, by the name of
its notebook without the number) and returns a dict the template reads as ``facts``.
"""

import math

from ..study import rule
from .wording import difference, escape, kept_cell, pct, points, sci

#: A relative error of the gradient check below this is the rounding of the differences themselves.
GRADIENT_TOLERANCE = 1e-6


def standard_error(accuracy: float, n: int) -> float:
    """The standard error of an accuracy measured on n images: sqrt(a (1 - a) / n)."""
    return math.sqrt(accuracy * (1 - accuracy) / n)


def gradients(g: dict) -> str:
    """What notebook 01's largest relative error says about the analytic gradients."""
    if g["max_rel"] < GRADIENT_TOLERANCE:
        return ("the analytic gradients agree with the finite differences to the accuracy the differences "
                "themselves have, so the gradient computation is taken as correct.")
    return "larger than expected for a correct gradient; the check should be investigated."


def overfit(o: dict) -> str:
    if o["train_acc"] == 1.0:
        return "the network memorises the small set, as a correct implementation should."
    return "the network did not memorise the small set completely."


def cost_methods(m: dict) -> str:
    """Whether the three ways of recording the cost changed the training (notebook 03's cost methods)."""
    accs = [row["test_acc"] for row in m.values()]
    if len(set(accs)) == 1:
        return "The recording method does not change the training itself: the three runs reach the same test accuracy."
    return f"The three runs reach test accuracies of {', '.join(pct(a) for a in accs[:-1])} and {pct(accs[-1])}."


def hidden_sizes(widths: list[dict]) -> str:
    """The widest hidden size against the narrowest (rows of notebook 03's ``hidden_sizes``), or ""."""
    if len(widths) < 2:
        return ""
    a, b = max(widths, key=lambda r: r["hidden"]), min(widths, key=lambda r: r["hidden"])
    text = difference((f"$m={a['hidden']}$", a["test_acc_mean"], a["test_acc_std"], a["n_seeds"]),
                      (f"$m={b['hidden']}$", b["test_acc_mean"], b["test_acc_std"], b["n_seeds"]), "test accuracy")
    text += f" Its training accuracy is {pct(a['train_acc_mean'])} against {pct(b['train_acc_mean'])}"
    if a["n_seeds"] >= 3:
        text += (f", at {a['seconds_median'] / b['seconds_median']:.1f}× the run time (medians of {a['n_seeds']} runs, "
                 "two at a time)")
    return text + "."


def batch_pairs(batches: list[dict]) -> list[tuple[dict, dict]]:
    """(fixed, linear) rows of notebook 03's ``batch_sizes`` for every batch size, in order."""
    linear = {r["batch_size"]: r for r in batches if r["eta_scaling"] == "linear"}
    return [(r, linear[r["batch_size"]]) for r in batches if r["eta_scaling"] == "fixed" and r["batch_size"] in linear]


def search_noise(s: dict) -> str:
    """How the best search runs of notebook 04 compare with the noise of their validation set."""
    best, last = s["best"][0], s["best"][-1]
    se = standard_error(best["val_acc"], s["n_val"])
    spread = best["val_acc"] - last["val_acc"]
    return (f"With {s['n_val']} validation images, an accuracy near {pct(best['val_acc'])} has a standard error of "
            f"about {pct(se)} from the choice of validation images alone, {'at least' if spread <= se else 'less than'} "
            f"the spread of the {len(s['best'])} best runs, {points(spread)}.")


def lambda_choice(s: dict) -> str:
    """Which lambda notebook 04's confirmation chose (its ``confirmed`` rows, the chosen one first), and why."""
    chosen = s["confirmed"][0]
    if chosen["candidate"]:
        return (f"No other value beat the candidate by more than its threshold, so the candidate "
                f"$lambda = {sci(chosen['lambda'])}$ is chosen, with a mean validation accuracy of "
                f"{pct(chosen['val_acc_mean'])}.")
    return (f"$lambda = {sci(chosen['lambda'])}$ beat the candidate by {points(chosen['gain'])} against a threshold of "
            f"{points(chosen['threshold'])}, so it is chosen.")


def _summary(models: list[dict], label: str) -> dict:
    return next(m for m in models if m["label"] == label)


def distillation(d: dict, students_row: dict) -> dict:
    """The facts of notebook 06's distillation (its results ``d``; the ablation's last row, the students')."""
    return {"teachers": len(d["teachers"]), "paired_students": d["trials"][0]["seeds"], "students_row": students_row,
            "teacher_ends": "the last cycle end" if d["teacher_snapshots"] == 1 else
                            f"the last {d['teacher_snapshots']} cycle ends"}


def facts(ctx: dict) -> dict:
    """Every derived number, lookup and sentence of the report, by section."""
    c, s, f, b, a = ctx["cyclical_lr"], ctx["lambda_search"], ctx["final_model"], ctx["bonus"], ctx["analysis"]
    single, cfg, d = b["single"], b["single"]["config"], b["distillation"]
    widest = max(model["hidden"] for model in f["models"].values())
    return {
        "gradients": gradients(ctx["gradient_check"]),
        "overfit": overfit(ctx["overfit"]),
        "seeds": len(c["seeds"]),
        "cost_methods": cost_methods(c["cost_methods"]),
        "hidden_sizes": hidden_sizes(c["hidden_sizes"]),
        "batch_pairs": batch_pairs(c["batch_sizes"]),
        "search_noise": search_noise(s),
        "confirm_std": (min(r["val_acc_std"] for r in s["confirmed"]), max(r["val_acc_std"] for r in s["confirmed"])),
        "lambda_choice": lambda_choice(s),
        "margin": rule.MARGIN,
        "coarse": sorted(s["tables"]["coarse"], key=lambda r: r["lambda"]),
        "fine": sorted(s["tables"]["fine"], key=lambda r: r["lambda"]),
        "final_seeds": len(f["seeds"]),
        "final_models": list(f["models"].values()),
        "bonus_se": standard_error(single["val_acc_mean"], b["n_val"]),
        "bonus_se_small": standard_error(single["val_acc_mean"], f["n_val"]),
        "epochs": 2 * cfg["n_s"] * cfg["n_cycles"] * cfg["batch_size"] / b["n_train"],
        "kept": [kept_cell(row["kept"]) for row in b["ablation"]],
        "ablation_seeds": b["ablation"][0]["seeds"],
        "single_seeds": len(single["seeds"]),
        **(distillation(d, b["ablation"][-1]) if d else {}),
        "single_summary": _summary(a["models"], a["single_label"]),
        "ensemble_summary": _summary(a["models"], a["ensemble_label"]),
        "final_summary": _summary(a["models"], a["final_label"]),
        "widest_final": widest,
        "class_columns": [("class", "class", "s")] + [(m["label"], escape(m["label"]), pct) for m in a["models"]],
        "total_seconds": sum(secs for secs in ctx["seconds"].values() if secs is not None),
        "best_one_hidden_layer": max(ctx["reference"]["one_hidden_layer"]["results"], key=lambda r: r["test_acc"]),
    }
