"""The report's template only formats: rendered from a small fixed set of results, it prints the numbers
that ``facts`` computes from them."""

import json
import re
import shutil
from pathlib import Path

import pytest

from assignment2.report import facts, pdf as report
from assignment2.report import formats as say

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "results"


def patch_json(path, change) -> None:
    """Apply ``change`` to the JSON in ``path``."""
    results = json.loads(path.read_text())
    change(results)
    path.write_text(json.dumps(results))


@pytest.fixture
def build(tmp_path):
    """The fixed results of a quick run, with a few numbers set by hand."""
    build = tmp_path / "build"
    shutil.copytree(FIXTURE, build)

    def patch(name, change):
        patch_json(build / name / "results.json", change)

    def search(s):
        s["n_val"] = 5000
        s["best"][0]["val_acc"], s["best"][-1]["val_acc"] = 0.5232, 0.5100
        for row, std in zip(s["confirmed"], (0.0034, 0.0012, 0.002, 0.0025)):
            row["val_acc_std"] = std

    def bonus(b):
        b["n_val"], b["single"]["val_acc_mean"] = 5000, 0.629

    patch("04_lambda_search", search)
    patch("06_bonus", bonus)
    patch("05_final_model", lambda f: f.update(n_val=1000))
    return build


def rendered(build) -> tuple[str, dict]:
    """The rendered Typst source with its white space folded (line breaks of the prose do not matter), and the context."""
    ctx = report.context(build, data_dir="../data")
    return " ".join(report.render(ROOT / "report" / "report.typ.j2", ctx).split()), ctx


def test_the_template_prints_the_numbers_computed_in_python(build):
    text, ctx = rendered(build)
    # the noise of the search: sqrt(0.5232 * 0.4768 / 5000) = 0.71%, against a spread of 1.32 points
    assert "an accuracy near 52.32% has a standard error of about 0.71% from the choice of validation images alone, " \
           "less than the spread of the 3 best runs, 1.32 points." in text
    assert "range from 0.12% to 0.34% (@tab-confirm)" in text
    # one standard error of the bonus network's validation accuracy on 5,000 and on 1,000 images
    assert "measured to within 0.68 points (one standard error); on the 1,000 validation images of @sec-final it would be 1.53 points" in text
    b = ctx["bonus"].summary
    kept = [say.kept_cell(row.kept) for row in b.ablation]
    assert kept[0] == "start" and set(kept[1:]) <= {"start", "yes", "*no*"}   # stage 2 starts anew
    for row, cell in zip(b.ablation, kept):
        assert f"[{cell}]," in text
    # the rule, stated once, and every judged step's gain against its threshold, in points
    assert "a change is kept only when its gain over the step before, paired by seed" in text
    for row in b.ablation:
        if row.kept is not None:
            assert f"[{say.gain(row.gain, row.gain_se)}], [{say.threshold(row.threshold)}], [{say.kept_cell(row.kept)}]," in text
    cfg = b.single.config
    epochs = 2 * cfg.n_s * cfg.n_cycles * cfg.batch_size / b.n_train
    assert f"{epochs:.0f} epochs; a run took" in text
    assert f"$m = {max(ctx['final_model'].summary.models)}$ of @sec-final" in text


@pytest.mark.parametrize("template", ["report.typ.j2", "words.typ.j2"])
def test_the_templates_compute_nothing(template):
    """No arithmetic, filter of statistics or lookup by position in the templates: those are in facts.py (the
    white-space control of a tag, ``((*-`` and ``-*))``, is not a minus)."""
    source = (ROOT / "report" / template).read_text()
    code = " ".join("".join(groups).strip("-") for groups in
                    re.findall(r"\(\(\((.*?)\)\)\)|\(\(\*(.*?)\*\)\)", source, re.S))
    assert "pct" in code
    for computation in ("**", "|sum", "|min", "|max", "|length", "selectattr", "|map", "namespace", " - ", " / ",
                        " * ", "sort"):
        assert computation not in code, computation


def test_facts_choose_by_label_and_pair_batch_sizes(build):
    _, ctx = rendered(build)
    f, a = ctx["facts"], ctx["analysis"].summary
    assert f["single_summary"]["label"] == a.single_label and f["final_summary"]["label"] == a.final_label
    assert all(fixed.row.batch_size == scaled.row.batch_size and
               (fixed.row.eta_scaling, scaled.row.eta_scaling) == ("fixed", "linear")
               for fixed, scaled, _ in f["batch_pairs"])
    assert [r["lambda"] for r in f["coarse"]] == sorted(r["lambda"] for r in ctx["lambda_search"].tables["coarse"])


@pytest.mark.parametrize("max_rel, correct", [(4e-9, True), (3e-4, False)])
def test_the_gradient_verdict_follows_the_largest_error(build, max_rel, correct):
    patch_json(build / "01_gradient_check" / "results.json", lambda g: g.update(max_rel=max_rel))
    text, ctx = rendered(build)
    assert ctx["facts"]["gradients_correct"] is correct
    assert ("taken as correct" in text) is correct and ("should be investigated" in text) is not correct


def test_the_standard_error_of_an_accuracy():
    assert facts.standard_error(0.5, 10000) == pytest.approx(0.005)


def test_the_lambda_choice_says_whether_the_candidate_stayed(build):
    path = build / "04_lambda_search" / "results.json"
    text, ctx = rendered(build)
    stayed = ctx["lambda_search"].summary.confirmed[0]
    assert stayed["candidate"] and f"so the candidate $lambda = {say.sci(stayed['lambda'])}$ is chosen" in text

    def beaten(s):
        s["confirmed"][0].update(candidate=False, gain=0.004, threshold=0.003, kept=True)
    patch_json(path, beaten)
    text, _ = rendered(build)
    assert "beat the candidate by 0.40 points against a threshold of 0.30 points, so it is chosen" in text


def test_a_rerun_should_land_within_two_standard_errors_of_a_difference_of_means():
    assert say.rerun_band(0.003, 3) == pytest.approx(2 * 0.003 * (2 / 3) ** 0.5)
    assert say.rerun_range(0.6173, 0.001, 3) == "61.57–61.89%"


def test_a_bonus_without_students_has_no_distillation_section(build):
    path = build / "06_bonus" / "results.json"
    bonus = json.loads(path.read_text())
    assert "@sec-distillation" in rendered(build)[0]           # the fixture's quick run trained students
    bonus["distillation"], bonus["ablation"] = None, bonus["ablation"][:-1]
    bonus["single"]["distilled"] = False
    path.write_text(json.dumps(bonus))
    text, ctx = rendered(build)
    assert "distillation" not in " ".join(row.change for row in ctx["bonus"].summary.ablation)
    assert "sec-distillation" not in text and "the teacher ensemble reaches" not in text
    assert "the loss of distillation from random teacher probabilities" in text      # still gradient-checked


@pytest.mark.parametrize("kept", [True, False])
def test_the_report_and_readme_say_which_one_network_is_plain_and_which_folded_with_its_mirror(build, kept):
    path = build / "06_bonus" / "results.json"
    bonus = json.loads(path.read_text())
    single, mirror = bonus["single"], bonus["single"]["mirror"]
    mirror["kept"], single["config"]["whiten"] = kept, 0.1 if kept else 0.0
    path.write_text(json.dumps(bonus))
    text, _ = rendered(build)
    n, m = len(single["seeds"]), single["size"]["hidden"]
    plain = say.mean_pm(single["test_acc_mean"], single["test_acc_std"], n)
    folded = say.mean_pm(mirror["test_acc_mean"], mirror["test_acc_std"], n)
    assert mirror["size"]["hidden"] == 2 * m
    if kept:
        assert f"*{folded}* folded with its mirror image (the rule's choice; $m = {2 * m}$) and {plain} plain" in text
        assert "ZCA-whitened inputs ($epsilon = 0.1 macron(S)$)" in text and "@fig-whitening" in text
    else:
        assert f"*{plain}* plain (the rule's choice) and {folded} folded with its mirror image ($m = {2 * m}$)" in text
        assert "The rule kept no whitening" in text and "fig-whitening" not in text
    versus = lambda ours: f"{say.points(ours - 0.643)} {'above' if ours > 0.643 else 'below'}"
    assert (f"ours, trained on the labels alone, is {versus(single['test_acc_mean'])} the best of the first kind "
            f"plain and {versus(mirror['test_acc_mean'])} folded with its mirror image") in text
    rows = [line for line in report.results_markdown(build).splitlines() if line.startswith("| bonus, one network")]
    chosen, other = (rows[0], rows[1])
    assert "(the rule's choice)" in chosen and "(the rule's choice)" not in other
    folded_row, plain_row = (chosen, other) if kept else (other, chosen)
    assert f"the m = {m} network folded with its mirror image" in folded_row
    assert f"| {2 * m} | {say.parameters(2 * m):,} | 1 (the mean of 2) |" in folded_row
    assert f"| {m} | {say.parameters(m):,} | 1 |" in plain_row and "folded" not in plain_row
    assert ("ZCA-whitened inputs (epsilon = 0.1 x the mean eigenvalue)" in chosen) == kept


def test_the_report_names_no_absolute_path_and_gives_the_cost_of_every_notebook(build):
    tally = {"trained": 3, "read": 1, "seconds": {"AMD EPYC 7B13, 2 cores": 120.5}}
    (build / "03_cyclical_lr" / "runs.json").write_text(json.dumps(tally))
    text, ctx = rendered(build)
    assert report.data_label("/home/me/cifar") == "CIFAR10_DIR" and report.data_label("../data") == "../data"
    assert report.data_label(None) is None
    row = [r for r in ctx["facts"]["cost"].rows if r.notebook == "03_cyclical_lr"][0]
    assert (row.trained, row.read, row.training) == (3, 1, 120.5)
    assert "[`03_cyclical_lr`], [3], [1], [not recorded], [120]," in text
    assert "trained on AMD EPYC 7B13, 2 cores" in text
    assert "03_cyclical_lr" in report.summary_table(build) and "all notebooks" in report.summary_table(build)
