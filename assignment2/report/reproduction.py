"""The reproduction table: each headline result of the reference report and of the assignment beside ours; the
points of the headline figure.

``rows(results, reference)``: ``results`` maps each notebook's short name (``cyclical_lr`` ...)
to its ``Result``, ``reference`` is the ``reference.Reference``. Every cell is Typst markup; the verdicts
come from ``wording``.
"""

from .wording import about, mean_pm, pct, sci_text, verdict

METHODS = {"full": "all data", "running_mean": "running mean", "ema": "EMA 0.99"}
NOT_RUN = "not run (not in this profile)"


def _row(result, reference="---", assignment="---", ours="---", verdict_text="---") -> dict:
    return {"result": result, "reference": reference, "assignment": assignment, "ours": ours, "verdict": verdict_text}


def _accuracy(result, summary: dict, n: int, reference=None, expected=None) -> dict:
    """A row for a test accuracy: summary has test_acc_mean and test_acc_std over n seeds (a dataclass or a CSV row)."""
    mean, std = (summary["test_acc_mean"], summary["test_acc_std"]) if isinstance(summary, dict) else \
        (summary.test_acc_mean, summary.test_acc_std)
    if reference is not None:
        return _row(result, pct(reference), ours=mean_pm(mean, std, n), verdict_text=verdict(mean, std, n, reference))
    return _row(result, assignment=f"about {pct(expected, 0)}", ours=mean_pm(mean, std, n),
                verdict_text=about(mean, expected))


def _gradients(grad, ref) -> dict:
    names = list(ref.mean_abs)
    full = [r for r in grad.tables["gradient_check"] if r["d"] == ref.d and not r["dropout"] and not r["augmented"]]
    ours = {p: max(r["mean_abs"] for r in full if r["parameter"] == p) for p in names}
    worst = max(max(ours.values()), max(ref.mean_abs.values()))
    return _row(f"Gradient check, mean abs. error of {' / '.join(names)} ($d={ref.d}$; reference $m={ref.m}$, "
                f"batch {ref.batch}; ours $m={full[0]['m']}$, batch {full[0]['n']})",
                " / ".join(sci_text(ref.mean_abs[p], 1) for p in names),
                ours=" / ".join(sci_text(ours[p], 1) for p in names),
                verdict_text="both at rounding level ($< 10^(-9)$)" if worst < 1e-9 else "not both at rounding level")


def _timing(c, ref) -> dict:
    ours, theirs = c.cost_methods, ref.one_cycle.seconds
    ratio = lambda times: times["full"] / times["running_mean"]
    return _row(f"1 cycle: wall time, cost on {' / '.join(METHODS.values())}",
                " / ".join(f"{theirs[m]:.0f}" for m in METHODS) + " s",
                ours=" / ".join(f"{ours[m].seconds:.2f}" for m in METHODS)
                + f" s (medians of {c.timing_repeats})",
                verdict_text=f"recording on all data takes {ratio({m: r.seconds for m, r in ours.items()}):.2f}× "
                             f"the running mean's time (reference {ratio(theirs):.2f}×)")


def rows(results: dict, reference) -> list[dict]:
    """The table's rows (result, reference, assignment, ours, verdict), in the order of the study."""
    c, s, f = results["cyclical_lr"].summary, results["lambda_search"].summary, results["final_model"].summary
    o, ov = results["overfit"].summary, reference.overfit
    out = [_gradients(results["gradient_check"], reference.gradient_check),
           _row(f"Overfitting {ov.n_images} images: final training cost / accuracy",
                f"{ov.cost:.2f} / {pct(ov.train_acc, 0)}",
                ours=f"{o.train_loss:.4f} / {pct(o.train_acc, 0)} ({o.steps} updates)",
                verdict_text=verdict(o.train_acc, 0.0, 1, ov.train_acc))]
    out += _cycles(c, reference)
    rh = reference.hidden
    hidden = [r for r in c.hidden_sizes if r["hidden"] == rh.m]
    label = f"$m={rh.m}$, {rh.n_cycles} cycles: test accuracy"
    out.append(_accuracy(label, hidden[0], hidden[0]["n_seeds"], reference=rh.test_acc) if hidden
               else _row(label, pct(rh.test_acc), ours=NOT_RUN))
    out += _search(s, reference.search)
    rf = reference.final
    model = f.models.get(rf.m)
    label = (f"Final model, $m={rf.m}$, {rf.n_cycles} cycles: test accuracy "
             f"(reference batch {rf.batch_size}, ours {f.batch_size})")
    out.append(_accuracy(label, model, len(f.seeds), reference=rf.test_acc) if model
               else _row(label, pct(rf.test_acc), ours=NOT_RUN))
    return out + _batches(c, reference.batch_sizes) + _expected(c, f, reference.assignment) + \
        _bonus(results["bonus"].summary, reference.bonus)


def _cycles(c, reference) -> list[dict]:
    """One and three cycles: the test accuracy against the reference's for each cost method, and the time."""
    out = []
    for label, ours, theirs in (("1 cycle", c.one_cycle, reference.one_cycle),
                                ("3 cycles", c.three_cycles, reference.three_cycles)):
        for method, name in METHODS.items():
            out.append(_accuracy(f"{label} ($n_s={theirs.n_s}$), cost on {name}: test accuracy", ours,
                                 len(c.seeds), reference=theirs.test_acc[method]))
        out.append(_timing(c, reference) if theirs is reference.one_cycle else
                   _row(f"{label}: wall time, cost on {' / '.join(METHODS.values())}",
                        " / ".join(f"{theirs.seconds[m]:.0f}" for m in METHODS) + " s",
                        ours="not timed", verdict_text="not compared (only 1 cycle is timed)"))
    return out


def _search(s, rs) -> list[dict]:
    """The search's settings and its chosen lambda beside the reference's."""
    return [_row("$lambda$ search: coarse values and cycles / fine values",
                 f"{rs.n_coarse}, {rs.coarse_cycles} cycle / {rs.n_fine} in "
                 f"[{sci_text(rs.fine_range[0], 0)}, {sci_text(rs.fine_range[1], 0)}]",
                 ours=f"{s.n_coarse}, {s.n_cycles} cycles / {s.n_fine} in "
                      f"[{sci_text(10 ** s.fine_range[0], 1)}, {sci_text(10 ** s.fine_range[1], 1)}]",
                 verdict_text="other setting"),
            _row("Best $lambda$", f"{sci_text(rs.best_lambda)} (on {rs.chosen_on})",
                 ours=f"{sci_text(s.best_lambda)} (on validation accuracy)",
                 verdict_text=f"ours {s.best_lambda / rs.best_lambda:.3g}× the reference's")]


def _batches(c, rb) -> list[dict]:
    """Each batch size the reference ran, with fixed learning rates, beside ours (another setting)."""
    fixed = {r["batch_size"]: r for r in c.batch_sizes if r["eta_scaling"] == "fixed"}
    out = []
    for batch, acc in rb.test_acc.items():
        if batch in fixed:
            row = fixed[batch]
            finished = row["n_seeds"] - row.get("n_diverged", 0)
            ours = mean_pm(row["test_acc_mean"], row["test_acc_std"], finished) if finished else ""
            if row.get("n_diverged"):
                ours += f"{'; ' if ours else ''}diverged in {row['n_diverged']} of {row['n_seeds']} seeds"
            out.append(_row(f"Batch {batch}: test accuracy (reference $m={rb.m}$, {rb.n_cycles} cycles, "
                            f"49,000 images; ours $m={c.hidden}$, 1 cycle, {c.n_train:,} images, fixed $eta$)",
                            pct(acc), ours=ours, verdict_text="other setting"))
    return out


def _expected(c, f, expected) -> list[dict]:
    """The assignment's expected test accuracies beside ours."""
    small = f.models.get(c.hidden)
    label = f"Final model, $m={c.hidden}$: test accuracy"
    return [_accuracy("1 cycle: test accuracy", c.one_cycle, len(c.seeds), expected=expected.one_cycle),
            _accuracy("3 cycles: test accuracy", c.three_cycles, len(c.seeds), expected=expected.three_cycles),
            _accuracy(label, small, len(f.seeds), expected=expected.final) if small
            else _row(label, assignment=f"about {pct(expected.final, 0)}", ours=NOT_RUN)]


def _bonus(b, ref) -> list[dict]:
    """The best published single network and ensemble of the bonus exercise beside ours."""
    single, ens = b.single, b.ensemble
    n = len(single.seeds)
    (how, named), _ = single.views()
    return [
        _row(f"Bonus, best single network ($m={single.config.hidden}$, chosen on validation; ours {how}): "
             "test accuracy", f"{pct(ref.single.test_acc)} (on {ref.single.chosen_on})",
             ours=mean_pm(named.test_acc_mean, named.test_acc_std, n),
             verdict_text=verdict(named.test_acc_mean, named.test_acc_std, n, ref.single.test_acc)),
        _row(f"Bonus, best ensemble (ours: {ens.networks} networks, chosen on validation): test accuracy",
             f"{pct(ref.ensemble.test_acc)} ({ref.ensemble.kind}, on {ref.ensemble.chosen_on})",
             ours=pct(ens.test_acc), verdict_text=verdict(ens.test_acc, 0.0, 1, ref.ensemble.test_acc)),
    ]


def headline(results: dict, reference) -> list[dict]:
    """The test accuracy of every configuration of the study, for the headline figure: label, our mean and
    std over n seeds, and the reference report's value (None where it has none)."""
    c, f, b = results["cyclical_lr"].summary, results["final_model"].summary, results["bonus"].summary
    n = len(c.seeds)
    point = lambda label, mean, std, seeds, ref: {"label": label, "mean": mean, "std": std, "n": seeds,
                                                  "reference": ref}
    out = [point(f"1 cycle (n_s = {c.one_cycle.n_s}), m = {c.hidden}", c.one_cycle.test_acc_mean,
                 c.one_cycle.test_acc_std, n, reference.one_cycle.test_acc["full"]),
           point(f"3 cycles (n_s = {c.three_cycles.n_s}), m = {c.hidden}", c.three_cycles.test_acc_mean,
                 c.three_cycles.test_acc_std, n, reference.three_cycles.test_acc["full"])]
    out += [point(f"m = {r['hidden']}, 3 cycles", r["test_acc_mean"], r["test_acc_std"], r["n_seeds"],
                  reference.hidden.test_acc if r["hidden"] == reference.hidden.m else None)
            for r in c.hidden_sizes if r["hidden"] != c.hidden]
    out += [point(f"final model, m = {m.hidden}", m.test_acc_mean, m.test_acc_std, len(f.seeds),
                  reference.final.test_acc if m.hidden == reference.final.m else None)
            for m in f.models.values()]
    single, ens = b.single, b.ensemble
    out += [point(f"bonus: one network, m = {single.config.hidden}, {how}", numbers.test_acc_mean,
                  numbers.test_acc_std, len(single.seeds), reference.bonus.single.test_acc)
            for how, numbers in reversed(single.views())]      # the rule's choice last, beside the ensemble
    out.append(point(f"bonus: ensemble of {ens.networks}", ens.test_acc, 0.0, 1,
                     reference.bonus.ensemble.test_acc))
    return out
