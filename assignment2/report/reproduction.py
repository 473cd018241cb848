"""The reproduction table: each headline result of the reference report and of the assignment beside ours.

``rows(results, reference)``: ``results`` maps each notebook's short name (``cyclical_lr`` ...)
to its results.json (with its CSV tables under ``tables``), ``reference`` is
report/reference.json. Every cell is Typst markup; the verdicts come from ``wording``.
"""

from .wording import (about, bonus_options, ensemble_members, escape, mean_pm, pct, rerun_range, sci,
                      sci_text, single_views, test_spread, verdict, versus)

METHODS = {"full": "all data", "running_mean": "running mean", "ema": "EMA 0.99"}
NOT_RUN = "not run (not in this profile)"


def _row(result, reference="---", assignment="---", ours="---", verdict_text="---") -> dict:
    return {"result": result, "reference": reference, "assignment": assignment, "ours": ours, "verdict": verdict_text}


def _accuracy(result, summary: dict, n: int, reference=None, expected=None) -> dict:
    """A row for a test accuracy: summary has test_acc_mean and test_acc_std over n seeds."""
    mean, std = summary["test_acc_mean"], summary["test_acc_std"]
    if reference is not None:
        return _row(result, pct(reference), ours=mean_pm(mean, std, n), verdict_text=verdict(mean, std, n, reference))
    return _row(result, assignment=f"about {pct(expected, 0)}", ours=mean_pm(mean, std, n),
                verdict_text=about(mean, expected))


def _gradients(grad: dict, ref: dict) -> dict:
    names = list(ref["mean_abs"])
    full = [r for r in grad["tables"]["gradient_check"] if r["d"] == ref["d"] and not r["dropout"] and not r["augmented"]]
    ours = {p: max(r["mean_abs"] for r in full if r["parameter"] == p) for p in names}
    worst = max(max(ours.values()), max(ref["mean_abs"].values()))
    return _row(f"Gradient check, mean abs. error of {' / '.join(names)} ($d={ref['d']}$; reference $m={ref['m']}$, "
                f"batch {ref['batch']}; ours $m={full[0]['m']}$, batch {full[0]['n']})",
                " / ".join(sci_text(ref["mean_abs"][p], 1) for p in names),
                ours=" / ".join(sci_text(ours[p], 1) for p in names),
                verdict_text="both at rounding level ($< 10^(-9)$)" if worst < 1e-9 else "not both at rounding level")


def _timing(c: dict, ref: dict) -> dict:
    ours, theirs = c["cost_methods"], ref["one_cycle"]["seconds"]
    ratio = lambda times: times["full"] / times["running_mean"]
    return _row(f"1 cycle: wall time, cost on {' / '.join(METHODS.values())}",
                " / ".join(f"{theirs[m]:.0f}" for m in METHODS) + " s",
                ours=" / ".join(f"{ours[m]['seconds']:.2f}" for m in METHODS)
                + f" s (medians of {c['timing_repeats']})",
                verdict_text=f"recording on all data takes {ratio({m: r['seconds'] for m, r in ours.items()}):.2f}× "
                             f"the running mean's time (reference {ratio(theirs):.2f}×)")


def rows(results: dict, reference: dict) -> list[dict]:
    """The table's rows (result, reference, assignment, ours, verdict), in the order of the study."""
    c, s, f, o = results["cyclical_lr"], results["lambda_search"], results["final_model"], results["overfit"]
    n = len(c["seeds"])
    out = [_gradients(results["gradient_check"], reference["gradient_check"])]
    ov = reference["overfit"]
    out.append(_row(f"Overfitting {ov['n_images']} images: final training cost / accuracy",
                    f"{ov['cost']:.2f} / {pct(ov['train_acc'], 0)}",
                    ours=f"{o['train_loss']:.4f} / {pct(o['train_acc'], 0)} ({o['steps']} updates)",
                    verdict_text=verdict(o["train_acc"], 0.0, 1, ov["train_acc"])))
    for key, label in (("one_cycle", "1 cycle"), ("three_cycles", "3 cycles")):
        theirs = reference[key]
        for method, name in METHODS.items():
            out.append(_accuracy(f"{label} ($n_s={theirs['n_s']}$), cost on {name}: test accuracy", c[key], n,
                                 reference=theirs["test_acc"][method]))
        if key == "one_cycle":
            out.append(_timing(c, reference))
        else:
            out.append(_row(f"{label}: wall time, cost on {' / '.join(METHODS.values())}",
                            " / ".join(f"{theirs['seconds'][m]:.0f}" for m in METHODS) + " s",
                            ours="not timed", verdict_text="not compared (only 1 cycle is timed)"))
    rh = reference["hidden"]
    hidden = [r for r in c["hidden_sizes"] if r["hidden"] == rh["m"]]
    label = f"$m={rh['m']}$, {rh['n_cycles']} cycles: test accuracy"
    out.append(_accuracy(label, hidden[0], hidden[0]["n_seeds"], reference=rh["test_acc"]) if hidden
               else _row(label, pct(rh["test_acc"]), ours=NOT_RUN))
    rs = reference["search"]
    out.append(_row("$lambda$ search: coarse values and cycles / fine values",
                    f"{rs['n_coarse']}, {rs['coarse_cycles']} cycle / {rs['n_fine']} in "
                    f"[{sci_text(rs['fine_range'][0], 0)}, {sci_text(rs['fine_range'][1], 0)}]",
                    ours=f"{s['n_coarse']}, {s['n_cycles']} cycles / {s['n_fine']} in "
                         f"[{sci_text(10 ** s['fine_range'][0], 1)}, {sci_text(10 ** s['fine_range'][1], 1)}]",
                    verdict_text="other setting"))
    out.append(_row("Best $lambda$", f"{sci_text(rs['best_lambda'])} (on {rs['chosen_on']})",
                    ours=f"{sci_text(s['best_lambda'])} (on validation accuracy)",
                    verdict_text=f"ours {s['best_lambda'] / rs['best_lambda']:.3g}× the reference's"))
    rf = reference["final"]
    model = f["models"].get(str(rf["m"]))
    label = (f"Final model, $m={rf['m']}$, {rf['n_cycles']} cycles: test accuracy "
             f"(reference batch {rf['batch_size']}, ours {f['batch_size']})")
    out.append(_accuracy(label, model, len(f["seeds"]), reference=rf["test_acc"]) if model
               else _row(label, pct(rf["test_acc"]), ours=NOT_RUN))
    rb = reference["batch_sizes"]
    fixed = {r["batch_size"]: r for r in c["batch_sizes"] if r["eta_scaling"] == "fixed"}
    for batch, acc in rb["test_acc"].items():
        if int(batch) in fixed:
            row = fixed[int(batch)]
            finished = row["n_seeds"] - row.get("n_diverged", 0)
            ours = mean_pm(row["test_acc_mean"], row["test_acc_std"], finished) if finished else ""
            if row.get("n_diverged"):
                ours += f"{'; ' if ours else ''}diverged in {row['n_diverged']} of {row['n_seeds']} seeds"
            out.append(_row(f"Batch {batch}: test accuracy (reference $m={rb['m']}$, {rb['n_cycles']} cycles, "
                            f"49,000 images; ours $m={c['hidden']}$, 1 cycle, {c['n_train']:,} images, fixed $eta$)",
                            pct(acc), ours=ours, verdict_text="other setting"))
    expected = reference["assignment"]
    out.append(_accuracy("1 cycle: test accuracy", c["one_cycle"], n, expected=expected["one_cycle"]))
    out.append(_accuracy("3 cycles: test accuracy", c["three_cycles"], n, expected=expected["three_cycles"]))
    small = f["models"].get(str(c["hidden"]))
    label = f"Final model, $m={c['hidden']}$: test accuracy"
    out.append(_accuracy(label, small, len(f["seeds"]), expected=expected["final"]) if small
               else _row(label, assignment=f"about {pct(expected['final'], 0)}", ours=NOT_RUN))
    return out + _bonus(results["bonus"], reference["bonus"])


def _bonus(b: dict, ref: dict) -> list[dict]:
    """The best published single network and ensemble of the bonus exercise beside ours."""
    single, ens = b["single"], b["ensemble"]
    n = len(single["seeds"])
    (how, named), _ = single_views(single)
    return [
        _row(f"Bonus, best single network ($m={single['config']['hidden']}$, chosen on validation; ours {how}): "
             "test accuracy", f"{pct(ref['single']['test_acc'])} (on {ref['single']['chosen_on']})",
             ours=mean_pm(named["test_acc_mean"], named["test_acc_std"], n),
             verdict_text=verdict(named["test_acc_mean"], named["test_acc_std"], n, ref["single"]["test_acc"])),
        _row(f"Bonus, best ensemble (ours: {ens['networks']} networks, chosen on validation): test accuracy",
             f"{pct(ref['ensemble']['test_acc'])} ({ref['ensemble']['kind']}, on {ref['ensemble']['chosen_on']})",
             ours=pct(ens["test_acc"]), verdict_text=verdict(ens["test_acc"], 0.0, 1, ref["ensemble"]["test_acc"])),
    ]


def headline(results: dict, reference: dict) -> list[dict]:
    """The test accuracy of every configuration of the study, for the headline figure: label, our mean and
    std over n seeds, and the reference report's value (None where it has none)."""
    c, f, b = results["cyclical_lr"], results["final_model"], results["bonus"]
    n = len(c["seeds"])
    point = lambda label, summary, seeds, ref: {"label": label, "mean": summary["test_acc_mean"],
                                                "std": summary["test_acc_std"], "n": seeds, "reference": ref}
    out = [point(f"1 cycle (n_s = {c['one_cycle']['n_s']}), m = {c['hidden']}", c["one_cycle"], n,
                 reference["one_cycle"]["test_acc"]["full"]),
           point(f"3 cycles (n_s = {c['three_cycles']['n_s']}), m = {c['hidden']}", c["three_cycles"], n,
                 reference["three_cycles"]["test_acc"]["full"])]
    out += [point(f"m = {r['hidden']}, 3 cycles", r, r["n_seeds"],
                  reference["hidden"]["test_acc"] if r["hidden"] == reference["hidden"]["m"] else None)
            for r in c["hidden_sizes"] if r["hidden"] != c["hidden"]]
    out += [point(f"final model, m = {m['hidden']}", m, len(f["seeds"]),
                  reference["final"]["test_acc"] if m["hidden"] == reference["final"]["m"] else None)
            for m in f["models"].values()]
    single, ens = b["single"], b["ensemble"]
    out += [point(f"bonus: one network, m = {single['config']['hidden']}, {how}", numbers, len(single["seeds"]),
                  reference["bonus"]["single"]["test_acc"])
            for how, numbers in reversed(single_views(single))]      # the rule's choice last, beside the ensemble
    out.append({"label": f"bonus: ensemble of {ens['networks']}", "mean": ens["test_acc"], "std": 0.0, "n": 1,
                "reference": reference["bonus"]["ensemble"]["test_acc"]})
    return out


def _students(d: dict | None) -> str:
    """The abstract's clause on distilled students that were not chosen ("" if there are none or they were)."""
    if not d or d["kept"]:
        return ""
    return (f"students of the same shape, distilled from the ensemble of those networks ($alpha = {d['alpha']:g}$, "
            f"$T = {d['temperature']:g}$) and trained for {d['cycles']} cycles instead of {d['teacher_cycles']}, "
            f"reach {test_spread(d['students'])}; ")


def abstract(results: dict, reference: dict) -> str:
    """The report's abstract: what was done and the headline numbers, each with its spread over seeds."""
    g, f, b = results["gradient_check"], results["final_model"], results["bonus"]
    ns = len(f["seeds"])
    models = sorted(f["models"].values(), key=lambda m: m["hidden"])
    finals = " and ".join(f"{mean_pm(m['test_acc_mean'], m['test_acc_std'], ns)} for $m={m['hidden']}$" for m in models)
    single, ens, cfg = b["single"], b["ensemble"], b["single"]["config"]
    (how, named), (other_how, other) = single_views(single)
    n = len(single["seeds"])
    options = [escape(option) for option in bonus_options(cfg)] + [f"$lambda={sci(cfg['lam'])}$"]
    ref_single, ref_ens = reference["bonus"]["single"]["test_acc"], reference["bonus"]["ensemble"]["test_acc"]
    ref_final = next((m for m in models if m["hidden"] == reference["final"]["m"]), None)
    final_ref = (f"; the reference report reached {pct(reference['final']['test_acc'])} for $m={reference['final']['m']}$ "
                 f"with $lambda$ chosen on test data, {versus(reference['final']['test_acc'], ref_final['test_acc_mean'])} "
                 "our mean" if ref_final else "")
    return (f"A two-layer network ($3072 -> m$ ReLU $-> 10$ softmax, cross-entropy and L2 penalty) is trained on CIFAR-10 "
            f"by mini-batch gradient descent with cyclical learning rates. Its analytic gradients agree with finite "
            f"differences to a relative error of ${sci(g['max_rel'], 1)}$. With $lambda = {sci(f['lam'])}$ chosen by "
            f"a random search on validation data, the assignment's final network ({f['n_cycles']} cycles on "
            f"{f['n_train']:,} images) reaches a test accuracy of {finals}, against the assignment's expected "
            f"{pct(reference['assignment']['final'], 0)}{final_ref}. Beyond the assignment, a wider network "
            f"($m={cfg['hidden']}$) with {', '.join(options)} and "
            f"{cfg['n_cycles']} cycles, every choice made on validation data by one rule fixed in advance (a change is "
            f"kept only when its gain clears {b['margin']:g} standard errors of the paired difference), reaches "
            f"*{mean_pm(named['test_acc_mean'], named['test_acc_std'], n)}* {how}, as the rule chose (a rerun with other "
            f"seeds should land within {rerun_range(named['test_acc_mean'], named['test_acc_std'], n)}), and "
            f"{mean_pm(other['test_acc_mean'], other['test_acc_std'], n)} {other_how}; "
            f"{_students(b.get('distillation'))}"
            f"an ensemble of {ens['networks']} networks ({escape(ensemble_members(ens))}) reaches "
            f"*{pct(ens['test_acc'])}*. The best published "
            f"results for this exercise, picked on test accuracy, are {pct(ref_single)} for one network and "
            f"{pct(ref_ens)} for an ensemble: ours are {versus(named['test_acc_mean'], ref_single)} and "
            f"{versus(ens['test_acc'], ref_ens)}. Every number, table and figure here is regenerated from the raw "
            "data by one command.")
