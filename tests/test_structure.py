"""The package's layers: core <- study <- report, each importing only the layers before it."""

import ast
import json
import re
from pathlib import Path

import pytest

from assignment2.study import sources, store

PACKAGE = Path(__file__).resolve().parents[1] / "assignment2"
#: Which layers each layer may import (the commands at the top level may import any).
ALLOWED = {"core": {"core"}, "study": {"core", "study"}, "report": {"core", "study", "report"}}


def _modules() -> dict:
    """Dotted name -> source path of every module of the package."""
    return {path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", "."): path
            for path in PACKAGE.rglob("*.py")}


def _imported(name: str, path: Path) -> set:
    """The modules of the package that a module imports, as dotted names (an independent reading of the AST)."""
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")[:-1]
    modules, found = _modules(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
            elif (node.module or "").split(".")[0] == "assignment2":
                base = []
            else:
                continue
            module = [] if node.module is None else node.module.split(".")[0 if node.level else 1:]
            for alias in node.names:
                candidate = ".".join(base + module + [alias.name])
                found.add(candidate if candidate in modules else ".".join(base + module))
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".", 1)[1] for alias in node.names if alias.name.startswith("assignment2.")}
    return {m for m in found if m}


def test_every_layer_imports_only_the_layers_before_it_and_no_command():
    wrong = []
    for name, path in _modules().items():
        layer = name.split(".")[0]
        if layer not in ALLOWED:
            continue
        for imported in _imported(name, path):
            if imported.split(".")[0] not in ALLOWED[layer]:      # another layer, or a command at the top
                wrong.append(f"{name} imports {imported}")
    assert not wrong


def test_the_import_walk_sees_a_wrong_import(tmp_path):
    """The test above can fail: a report import in a core module is seen."""
    module = tmp_path / "bad.py"
    module.write_text("from ..report import plots\nfrom .network import Params\n")
    assert _imported("core.bad", module) == {"report.plots", "core.network"}


@pytest.mark.parametrize("roots", [("core.train", "core.ensemble"), ("study.store",), ("report.pdf",)])
def test_the_source_closure_matches_an_independent_walk(roots):
    modules, seen, todo = _modules(), set(), list(roots)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += sorted(m for m in _imported(name, modules[name]) if m in modules)
    assert set(sources.closure(*roots)) == seen


def test_a_training_run_depends_on_the_core_modules_of_training_alone():
    assert set(store.TRAINING_MODULES) == {"core.batches", "core.checks", "core.config", "core.ensemble", "core.files",
                                           "core.history", "core.network", "core.step", "core.train", "core.whiten"}


def test_no_notebook_and_no_module_it_can_use_imports_a_module_only_the_pdf_uses():
    """So the Makefile may rebuild the PDF alone when one of them changes: no notebook output depends on them
    (nor on the commands, which no notebook imports)."""
    makefile = (PACKAGE.parent / "Makefile").read_text()
    listed = re.search(r"^REPORT_ONLY := ((?:.*\\\n)*.*)$", makefile, re.M).group(1).replace("\\\n", " ").split()
    report_only = {Path(path).relative_to("assignment2").with_suffix("").as_posix().replace("/", ".") for path in listed}
    assert report_only == {"report.pdf", "report.reproduction", "report.formats", "report.facts"}
    modules = _modules()
    for name, path in modules.items():
        if name not in report_only and name != "report.__init__":
            assert not _imported(name, path) & report_only, name
    for notebook in (PACKAGE.parent / "notebooks").glob("*.ipynb"):
        cells = json.loads(notebook.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        used = {f"{layer}.{name.strip()}" for layer, names in re.findall(r"from assignment2\.(\w+) import ([\w, ]+)", code)
                for name in names.split(",")}
        used |= set(re.findall(r"assignment2\.(\w+\.\w+)", code))
        assert used and not used & report_only, notebook.name
        assert not re.search(r"assignment2(\.__main__|\.robustness|\.cluster_certs| import .*"
                             r"\b(robustness|cluster_certs)\b)", code)


def _parameters(function: ast.FunctionDef) -> int:
    """The parameters a call must or may give by position, and keyword-only ones without a default."""
    args = function.args
    required_keywords = sum(default is None for default in args.kw_defaults)
    return len(args.posonlyargs) + len(args.args) + required_keywords + bool(args.vararg)


def test_no_function_takes_more_than_eight_parameters_but_keyword_only_ones_with_defaults():
    wide = [f"{name}.{node.name}" for name, path in _modules().items()
            for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and _parameters(node) - any(a.arg in ("self", "cls") for a in node.args.args[:1]) > 8]
    assert not wide


def test_the_parameter_count_sees_a_wide_function():
    [function] = ast.parse("def f(a, b, c, d, e, f, g, h, i, *, j=1): pass").body
    [narrow] = ast.parse("def f(a, b, c, d, e, f, g, h, *, i=0, j=1): pass").body
    assert _parameters(function) == 9 and _parameters(narrow) == 8


def test_notebooks_only_show_no_code_cell_but_the_parameters_is_longer_than_twelve_lines():
    for notebook in sorted((PACKAGE.parent / "notebooks").glob("*.ipynb")):
        cells = [c for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"
                 and "parameters" not in c["metadata"].get("tags", [])]
        assert max(len("".join(c["source"]).splitlines()) for c in cells) <= 12, notebook.name
