"""Every notebook runs under papermill in the quick profile on synthetic data, and the report builds."""

import json
import shutil
import subprocess
from pathlib import Path

import papermill
import pytest

from assignment2.report import formats, pdf as report
from assignment2.core.files import read_table

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = report.NOTEBOOKS


INPUTS = {"05_final_model": {"search_dir": "04_lambda_search"}, "06_bonus": {"final_dir": "05_final_model"},
          "07_analysis": {"final_dir": "05_final_model", "bonus_dir": "06_bonus"}}
#: Distillation is off by default (no mixes); the quick build runs it, so every part of 06 is run here (the
#: robustness check below runs 06 with its defaults).
DISTILL = {"mixes": [[0.5, 2.0]]}


def execute(name, build, data_root, out=None):
    """Run notebook ``name`` in the quick profile into build/name (or ``out``), its runs in build/runs."""
    out = out or build / name
    out.mkdir(exist_ok=True)
    notebook = ROOT / "notebooks" / f"{name}.ipynb"
    given = dict(data_root=str(data_root), out_dir=str(out), quick=True, store_dir=str(build / "runs"),
                 **{key: str(build / folder) for key, folder in INPUTS.get(name, {}).items()},
                 **(DISTILL if name == "06_bonus" else {}))
    declared = papermill.inspect_notebook(notebook)
    return papermill.execute_notebook(
        notebook, out / f"{name}.ipynb", cwd=ROOT / "notebooks", kernel_name="python3", progress_bar=False,
        parameters={key: value for key, value in given.items() if key in declared})


@pytest.fixture(scope="module")
def built(synthetic_root, tmp_path_factory):
    build = tmp_path_factory.mktemp("build")
    for name in NOTEBOOKS:
        execute(name, build, synthetic_root)
    return build


def test_notebooks_are_committed_without_outputs_and_with_parameters():
    for name in NOTEBOOKS:
        nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert not any(c.get("outputs") or c.get("execution_count") for c in code), name
        assert "parameters" in code[0]["metadata"].get("tags", []), name


@pytest.mark.parametrize("name, artifacts", [
    ("01_gradient_check", ["gradient_check.csv"]),
    ("02_overfit", ["overfit.pdf", "overfit.png", "history.json"]),
    ("03_cyclical_lr", ["one_cycle.pdf", "three_cycles.png", "schedule_one.pdf", "cost_methods.csv",
                        "hidden_sizes.csv", "batch_sizes.csv", "one_cycle_seeds.csv"]),
    ("04_lambda_search", ["coarse.csv", "fine.csv", "best.csv", "confirm.csv", "search.pdf"]),
    ("05_final_model", ["final_runs.csv", "final_m20.pdf", "final_m40.png"]),
    ("06_bonus", ["range_test.pdf", "range_test.png", "ablation.csv", "ensemble_choices.csv", "best_curves.pdf",
                  "final_runs.csv", "best_history.json", "distillation_trials.csv"]),
    ("07_analysis", ["confusion.pdf", "hidden_units.pdf", "mistakes.pdf", "reliability.pdf", "class_accuracies.csv"]),
])
def test_notebook_writes_its_artifacts(built, name, artifacts):
    folder = built / name
    for artifact in artifacts + ["results.json", f"{name}.ipynb"]:
        assert (folder / artifact).stat().st_size > 0, artifact
    assert json.loads((folder / "results.json").read_text())


def test_quick_results_are_sane(built):
    overfit = json.loads((built / "02_overfit" / "results.json").read_text())
    assert overfit["train_acc"] == 1.0 and overfit["val_acc"] < 0.6
    grad = json.loads((built / "01_gradient_check" / "results.json").read_text())
    assert grad["max_rel"] < 1e-6 and grad["official_data"] is False
    checked = read_table(built / "01_gradient_check" / "gradient_check.csv")
    assert {(r["augmented"], r["dropout"]) for r in checked} == {(False, 0.0), (True, grad["dropout"])}
    search = json.loads((built / "04_lambda_search" / "results.json").read_text())
    final = json.loads((built / "05_final_model" / "results.json").read_text())
    assert final["lam"] == search["best_lambda"] == search["best"][0]["lambda"]


def test_bonus_results_say_what_was_chosen_and_how_it_tested(built):
    bonus = json.loads((built / "06_bonus" / "results.json").read_text())
    single, ens, ablation = bonus["single"], bonus["ensemble"], bonus["ablation"]
    assert {"config", "seeds", "val_acc_mean", "test_acc_mean", "test_acc_std"} <= set(single)
    assert {"members", "val_acc", "test_acc"} <= set(ens)
    assert len(single["seeds"]) >= 2 and len(single["test_accs"]) == len(single["seeds"])
    assert single["test_acc_mean"] == pytest.approx(sum(single["test_accs"]) / len(single["test_accs"]))
    assert [row["step"] for row in ablation] == list(range(len(ablation))) and ablation[0]["kept"] is None
    changes = " ".join(row["change"] for row in ablation)
    for change in ("wider", "flips", "translations", "ZCA whitening, epsilon = 0.1", "epsilon = 0.3 x the mean "
                   "eigenvalue instead", "range test", "longer schedule", "distillation"):
        assert change in changes
    mirror = single["mirror"]            # one network averaged with its mirror image: judged, and tested either way
    assert mirror["kept"] == (mirror["gain"] > mirror["threshold"]) and len(mirror["test_accs"]) == len(single["seeds"])
    judged = [row for row in ablation if row["kept"] is not None]
    assert all(row["threshold"] == pytest.approx(bonus["margin"] * row["gain_se"]) for row in judged)
    assert all(row["kept"] == (row["gain"] > row["threshold"]) for row in judged)      # the rule, row by row
    assert 0 < bonus["range_test"]["eta_min"] < bonus["range_test"]["eta_max"] <= bonus["range_test"]["eta_top"]
    steps = read_table(built / "06_bonus" / "ensemble_choices.csv")
    last_kept = [row for row in ens["steps"] if row["kept"] in (None, True)][-1]
    assert len(steps) == len(ens["steps"]) and ens["val_acc"] == last_kept["val_acc"]
    assert (ens["of"], ens["snapshots"], ens["mirror"]) == (last_kept["members"], last_kept["snapshots"], last_kept["mirror"])
    distillation = bonus["distillation"]
    students, teachers = distillation["students"], distillation["teachers"]
    assert {"alpha", "temperature", "teacher_snapshots", "teacher_val_acc", "teacher_test_acc", "trials"} <= set(distillation)
    assert len(ens["members"]) == sum({"students": len(students), "teachers": len(teachers)}[label]
                                      for label in ens["of"].split(" and "))
    assert "distillation" in ablation[-1]["change"] and ablation[-1]["kept"] == single["distilled"] == distillation["kept"]
    chosen = students if single["distilled"] else teachers
    assert single["seeds"] == [r["seed"] for r in chosen] and single["test_accs"] == [r["test_acc"] for r in chosen]
    assert single["config"]["distill"] == (distillation["alpha"] if single["distilled"] else 0.0)
    first = distillation["trials"][0]      # one mix: the candidate, trained with every student seed
    assert (first["alpha"], first["temperature"], first["kept"]) == (distillation["alpha"], distillation["temperature"], None)
    assert {r["seed"] for r in students} <= {r["seed"] for r in teachers}                  # paired seeds
    assert all((Path(built) / "runs" / f"{key}.npz").is_file() for key in single["runs"])


def test_the_robustness_check_makes_the_choices_again_with_disjoint_seeds(built, synthetic_root, tmp_path):
    from bench import robustness
    result = robustness.run(built, tmp_path / "robust", str(synthetic_root), extra={"quick": True})
    assert json.loads((tmp_path / "robust" / "robustness.json").read_text())["lambdas"] == list(result.lambdas)
    runs = read_table(tmp_path / "robust" / "04_lambda_search" / "confirm.csv")
    assert {r["seed"] for r in runs} <= set(robustness.DISJOINT["04_lambda_search"]["confirm_seeds"])
    bonus = json.loads((tmp_path / "robust" / "06_bonus" / "results.json").read_text())
    assert set(bonus["single"]["seeds"]) <= set(robustness.DISJOINT["06_bonus"]["final_seeds"])
    assert bonus["distillation"] is None and not bonus["single"]["distilled"]      # no mixes by default: no students
    assert "distillation" not in " ".join(row["change"] for row in bonus["ablation"])
    assert bonus["ensemble"]["of"] == "teachers" and not any(m["student"] for m in bonus["ensemble"]["members"])
    built_bonus = json.loads((built / "06_bonus" / "results.json").read_text())
    judged = [row for row in built_bonus["ablation"] if row["kept"] is not None]
    assert result.default.steps == {row["change"]: row["kept"] for row in judged}
    assert result.default.config.hidden == built_bonus["single"]["config"]["hidden"]
    assert set(result.disjoint.steps) <= set(result.default.steps)      # the build distilled; the disjoint run did not
    same = robustness.side_by_side(built, built)      # a build against itself agrees in everything
    assert same.default == same.disjoint and same.default.network == same.disjoint.network
    assert same.single_mirror.difference == 0 and same.single.difference == 0 and same.single.agree
    table = same.table()
    assert "| notebook 06, one network, test |" in table and "NO |" not in table and table.count("| yes |") >= 4


def test_agreement_is_within_two_standard_errors_of_the_difference_of_the_means():
    from bench.robustness import agreement
    a = agreement([0.60, 0.62, 0.61], [0.63, 0.64, 0.65])
    assert a.difference == pytest.approx(0.03) and a.se == pytest.approx((0.0001 / 3 + 0.0001 / 3) ** 0.5)
    assert a.agree is False and agreement([0.60, 0.62, 0.61], [0.61, 0.62, 0.63]).agree is True


def _printed(notebook) -> str:
    return "".join(out.get("text", "") for cell in notebook.cells for out in cell.get("outputs", []))


@pytest.mark.parametrize("name", ["03_cyclical_lr", "06_bonus"])
def test_a_notebook_run_again_against_one_store_trains_nothing(built, synthetic_root, tmp_path, name):
    """A second run of a notebook into another folder reads every network from the build's store."""
    build = tmp_path / "build"
    shutil.copytree(built, build)
    runs = sorted((build / "runs").glob("*.npz"))
    stamps = [p.stat().st_mtime_ns for p in runs]
    executed = execute(name, build, synthetic_root, out=tmp_path / "again")
    assert sorted((build / "runs").glob("*.npz")) == runs
    assert [p.stat().st_mtime_ns for p in runs] == stamps
    assert "; 0 runs trained, " in _printed(executed)
    again = json.loads((tmp_path / "again" / "results.json").read_text())
    first = json.loads((built / name / "results.json").read_text())
    if name == "06_bonus":
        assert again == first
    else:   # the same runs, read back: every number but the seconds of the cost methods' timing
        assert again["one_cycle"] == first["one_cycle"] and again["hidden_sizes"] == first["hidden_sizes"]
        assert again["cost_methods"] == first["cost_methods"]


def test_report_builds_into_a_pdf(built, tmp_path):
    pdf = report.build(built, tmp_path / "report.pdf", ROOT / "report" / "report.typ.j2", data_dir="../my/cifar")
    assert pdf.read_bytes().startswith(b"%PDF") and len(pdf.read_bytes()) > 50_000
    assert (tmp_path / "headline.png").read_bytes().startswith(b"\x89PNG")
    source = (built / "report.typ").read_text()
    assert "did *not* match" in source and "`../my/cifar`" in source
    for part in ("The reproduction at a glance", "Reproducing this report", "module source", "wall time (s)",
                 "linear scaling rule", "BLAS", "*Abstract.*", "headline.pdf"):
        assert part in source, part
    best = json.loads((built / "05_final_model" / "results.json").read_text())["lam"]
    assert formats.sci(best) in source
    headings = " ".join(compiled_headings(built / "report.typ"))
    for heading in ("analytic gradients", "overfit", "cyclical learning rates", "Searching", "final model",
                    "Improving the network", "range test", "One change at a time", "What the networks learned",
                    "Reproducing this report"):
        assert heading in headings, heading


def test_a_report_without_students_compiles_without_their_section(built, tmp_path):
    """Distillation is off by default: the report of a build whose notebook 06 trained no student."""
    build = tmp_path / "build"
    shutil.copytree(built, build, ignore=shutil.ignore_patterns("runs"))
    path = build / "06_bonus" / "results.json"
    bonus = json.loads(path.read_text())
    bonus["distillation"], bonus["ablation"] = None, bonus["ablation"][:-1]
    bonus["single"]["distilled"] = False
    path.write_text(json.dumps(bonus))
    pdf = report.build(build, tmp_path / "report.pdf", ROOT / "report" / "report.typ.j2")
    assert pdf.read_bytes().startswith(b"%PDF")
    headings = " ".join(compiled_headings(build / "report.typ"))
    assert "One change at a time" in headings and "Distillation" not in headings
    assert "No student is distilled from the kept networks in this build" in (build / "report.typ").read_text()


def compiled_headings(source) -> list[str]:
    """The text of every heading of the compiled Typst document ``source``, as Typst's own query finds them."""
    import typst
    found = json.loads(typst.query(str(source), "heading", field="body", root="/"))
    return [json.dumps(body) for body in found]


def test_readme_results_are_written_between_the_markers(built, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.README_START}\nSTALE\n{report.README_END}\nrest\n")
    report.update_readme(readme, built)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("rest\n") and "STALE" not in text
    final = json.loads((built / "05_final_model" / "results.json").read_text())
    assert f"{100 * final['models']['20']['test_acc_mean']:.2f} ±" in text
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="readme must contain the markers"):
        report.update_readme(readme, built)


def typst_cells(source: str) -> list[str]:
    """The outermost [...] blocks of Typst source, in order, their white space folded."""
    cells, depth = [], 0
    for char in source:
        depth -= char == "]"
        if depth:
            cells[-1] += char
        elif char == "[":
            cells.append("")
        depth += char == "["
    return [" ".join(cell.split()) for cell in cells]


def test_reproduction_rows_have_a_verdict_for_every_result(built):
    ctx = report.context(built)
    text = report.render(ROOT / "report" / "report.typ.j2", ctx)
    table = text[text.index("table.header([*Result*]"):text.index("<tab-repro>")]
    body = table.split("table.hline(stroke: 0.5pt)")[1].split("table.hline(stroke: 0.8pt)")[0]
    cells = typst_cells(body)
    assert ctx["repro"]["gradients"]["rounding"] and len(cells) % 5 == 0
    rows = [dict(zip(("result", "reference", "assignment", "ours", "verdict"), cells[i:i + 5]))
            for i in range(0, len(cells), 5)]
    assert rows[0]["result"].startswith("Gradient check") and "rounding level" in rows[0]["verdict"]
    assert all(row["verdict"] for row in rows)
    expectations = [row for row in rows if row["assignment"] != "---"]
    assert len(expectations) == 3 and all("about" in row["assignment"] for row in expectations)
    assert any("on test accuracy" in row["reference"] for row in rows)
    assert all(isinstance(seconds, float) for seconds in ctx["seconds"].values())


def test_make_renders_every_executed_notebook_to_html(synthetic_root, tmp_path):
    """The Makefile's notebook rule: papermill, then an HTML copy beside the executed notebook."""
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("make needs the project's .venv (made by make test)")
    build = tmp_path / "build"
    result = subprocess.run(["make", "-C", str(ROOT), f"{build}/02_overfit/results.json", f"BUILD={build}",
                             "QUICK=1", f"NB_PARAMS=-p data_root {synthetic_root}"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    html = (build / "02_overfit" / "02_overfit.html").read_text()
    assert "<html" in html and "overfitting 100 training images" in html


@pytest.mark.parametrize("name, damage, path, writer", [
    ("05_final_model", lambda build: (build / "04_lambda_search" / "results.json").unlink(), "04_lambda_search",
     "04_lambda_search"),
    ("06_bonus", lambda build: (build / "05_final_model" / "results.json").write_text('{"lam": 0.0'),
     "05_final_model", "05_final_model"),
    ("07_analysis", lambda build: shutil.rmtree(build / "06_bonus"), "06_bonus", "06_bonus"),
])
def test_a_missing_or_broken_input_stops_the_notebook_early_with_one_line(built, synthetic_root, tmp_path, name, damage,
                                                                         path, writer):
    build = tmp_path / "build"
    shutil.copytree(built, build, ignore=shutil.ignore_patterns("runs", "*.csv", "*.p*", "*.html", "*.ipynb"))
    damage(build)       # 05: an empty search_dir; 06: a cut-short results.json; 07: no bonus_dir at all
    with pytest.raises(papermill.PapermillExecutionError) as err:
        execute(name, build, synthetic_root, out=tmp_path / "out")
    assert err.value.ename == "InputError" and err.value.exec_count <= 3     # the parameters, injected ones, setup
    assert "\n" not in err.value.evalue
    assert str(build / path / "results.json") in err.value.evalue and f"notebook {writer} writes it" in err.value.evalue


def test_every_cell_of_the_bonus_notebook_can_run_twice_in_a_row(built, synthetic_root, tmp_path):
    """As a person re-running cells in JupyterLab: the same tables and results as one run of each cell."""
    import nbformat
    from nbclient import NotebookClient

    out = tmp_path / "twice"
    out.mkdir()
    prepared = tmp_path / "prepared.ipynb"
    papermill.execute_notebook(ROOT / "notebooks" / "06_bonus.ipynb", prepared, prepare_only=True,
                               parameters=dict(data_root=str(synthetic_root), out_dir=str(out), quick=True,
                                               store_dir=str(built / "runs"), final_dir=str(built / "05_final_model"),
                                               **DISTILL))
    nb = nbformat.read(prepared, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
                client.execute_cell(cell, index)
    once = built / "06_bonus"
    tables = sorted(p.name for p in once.glob("*.csv"))
    assert tables == sorted(p.name for p in out.glob("*.csv")) and "ablation.csv" in tables
    for table in tables:
        assert read_table(out / table) == read_table(once / table), table
    assert json.loads((out / "results.json").read_text()) == json.loads((once / "results.json").read_text())


def _run_as_a_person(name, tmp_path, parameters):
    """papermill as the README runs it: the project's engine, the kernel in notebooks/, $PWD the user's folder."""
    return papermill.execute_notebook(ROOT / "notebooks" / f"{name}.ipynb", tmp_path / f"{name}.ipynb",
                                      cwd=ROOT / "notebooks", kernel_name="python3", progress_bar=False,
                                      engine_name="assignment2", parameters=parameters)


def test_relative_paths_are_read_from_where_the_user_ran_papermill(synthetic_root, tmp_path, monkeypatch):
    """A relative CIFAR10_DIR and out_dir, typed in the user's folder, with the kernel running in notebooks/."""
    monkeypatch.setenv("PWD", str(synthetic_root.parent))
    monkeypatch.setenv("CIFAR10_DIR", synthetic_root.name)
    _run_as_a_person("02_overfit", tmp_path, {"out_dir": "build/overfit", "store_dir": str(tmp_path / "runs"),
                                              "n_images": 20, "n_cycles": 1})
    assert json.loads((synthetic_root.parent / "build" / "overfit" / "results.json").read_text())["n_images"] == 20
    assert not (ROOT / "notebooks" / "build").exists()


def test_a_missing_data_folder_stops_the_notebook_and_leaves_no_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.setenv("CIFAR10_DIR", "shared/data/cifar-10-batches-py")   # no such folder
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):   # the kernel's download: refused here
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    with pytest.raises(papermill.PapermillExecutionError) as err:
        _run_as_a_person("02_overfit", tmp_path, {"out_dir": str(tmp_path / "out"), "store_dir": str(tmp_path / "r")})
    assert err.value.ename == "DataError" and "shared/data/cifar-10-batches-py" in err.value.evalue
    assert "Put the python-version files" in err.value.evalue and len(err.value.traceback) == 1
    assert not (tmp_path / "shared").exists() and not (ROOT / "shared").exists()


@pytest.mark.parametrize("given, named", [({"n_s_one": -5}, "n_s_one must be an integer >= 1, got -5"),
                                          ({"lam": "abc"}, "lam must be a finite number >= 0, got 'abc'")])
def test_a_bad_parameter_is_one_line_naming_it_and_its_notebook(synthetic_root, tmp_path, given, named):
    with pytest.raises(papermill.PapermillExecutionError) as err:
        _run_as_a_person("03_cyclical_lr", tmp_path, {"data_root": str(synthetic_root), "quick": True,
                                                      "out_dir": str(tmp_path / "out"), **given})
    assert err.value.ename == "ParameterError" and named in err.value.evalue and "03_cyclical_lr" in err.value.evalue
    assert len(err.value.traceback) == 1 and not (tmp_path / "out").exists()       # nothing trained or written


def test_an_unknown_parameter_stops_the_run_before_it_starts(synthetic_root, tmp_path):
    from assignment2.report.execution import UnknownParameterError
    with pytest.raises(UnknownParameterError, match=r"^n_s_oen: not a parameter of .*03_cyclical_lr.ipynb, which "
                                                     r"takes .*n_s_one"):
        _run_as_a_person("03_cyclical_lr", tmp_path, {"data_root": str(synthetic_root), "n_s_oen": 300})


def test_a_papermill_run_prints_its_headline_and_where_its_files_went(built, synthetic_root, tmp_path):
    nb = _run_as_a_person("05_final_model", tmp_path, {"data_root": str(synthetic_root), "quick": True,
                                                       "out_dir": str(tmp_path / "out"), "store_dir": str(built / "runs"),
                                                       "search_dir": str(built / "04_lambda_search")})
    last = "".join(out.get("text", "") for out in nb.cells[-1].outputs)
    assert "test accuracy" in last and f"figures, tables and results.json in {tmp_path / 'out'}" in last
    assert "0 runs trained" in last        # every network read from the build's store
