"""The PDF report: ``python -m assignment2.report.pdf BUILD_DIR OUTPUT_PDF``, a Jinja2 template of Typst markup
filled from the notebooks' results, compiled by the ``typst`` package (fonts included)."""

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import cattrs
import jinja2
import matplotlib.pyplot as plt
import typst

from ..core.files import load_json, write_atomic
from ..core.train import DIVERGENCE_FACTOR
from ..study.exercises.analysis import Analysis
from ..study.exercises.base import JSON, InputError
from ..study.store import Tally
from ..study.exercises.bonus import Bonus
from ..study.exercises.cyclical_lr import CyclicalLR
from ..study.exercises.final_model import FinalModel
from ..study.exercises.gradient_check import GradientCheck
from ..study.exercises.lambda_search import LambdaSearch
from ..study.exercises.overfit import Overfit
from . import plots, reference, reproduction
from .facts import CLEAR, VERDICTS, facts
from .facts import cost as facts_cost
from .formats import FILTERS, bonus_options, ensemble_members, escape, parameters
from .notebook import save_figure
from .provenance import environment

ROOT = Path(__file__).resolve().parents[2]
#: Each notebook's result, read by the name of its notebook without the number (``cyclical_lr``).
NOTEBOOKS = {"01_gradient_check": GradientCheck, "02_overfit": Overfit, "03_cyclical_lr": CyclicalLR,
             "04_lambda_search": LambdaSearch, "05_final_model": FinalModel, "06_bonus": Bonus, "07_analysis": Analysis}


def table(rows: list, columns: list[tuple]) -> str:
    """A Typst call of the template's ``booktabs`` table of ``rows`` (CSV rows or dataclasses); ``columns``: (key,
    header, format) with format a spec or a function. Headers are Typst markup; cells are escaped unless their
    format is a function."""
    def cell(value, fmt):
        if isinstance(value, float) and math.isnan(value):
            return "---"
        return fmt(value) if callable(fmt) else escape(format(value, fmt))
    header = ", ".join(f"[{header}]" for _, header, _ in columns)
    rows = [row if isinstance(row, dict) else vars(row) for row in rows]
    cells = ",\n  ".join(", ".join(f"[{cell(row[key], fmt)}]" for key, _, fmt in columns) for row in rows)
    return f"booktabs({len(columns)}, ({header},),\n  {cells})"


def _tally(path: Path) -> Tally | None:
    """The ``store.Tally`` a notebook saved, or None (a build of an older version, or cut short)."""
    try:
        return JSON.structure(load_json(path), Tally)
    except (OSError, ValueError, TypeError, cattrs.BaseValidationError):
        return None


def notebook_seconds(executed) -> float | None:
    """The wall time papermill recorded for an executed notebook, or None."""
    try:
        return json.loads(Path(executed).read_text())["metadata"]["papermill"]["duration"]
    except (OSError, KeyError, ValueError):
        return None


@dataclass(frozen=True)
class Build:
    """What a build holds for the report: each notebook's result, the wall time papermill recorded for each
    notebook (None: not recorded), and the published results to set them beside."""

    gradient_check: GradientCheck
    overfit: Overfit
    cyclical_lr: CyclicalLR
    lambda_search: LambdaSearch
    final_model: FinalModel
    bonus: Bonus
    analysis: Analysis
    seconds: dict[str, float | None]
    runs: dict[str, Tally | None]
    reference: reference.Reference

    @classmethod
    def load(cls, build_dir, reference_file=reference.PATH) -> "Build":
        build = Path(build_dir).resolve()
        results = {name.split("_", 1)[1]: kind.load(build / name) for name, kind in NOTEBOOKS.items()}
        seconds = {name: notebook_seconds(build / name / f"{name}.ipynb") for name in NOTEBOOKS}
        runs = {name: _tally(build / name / "runs.json") for name in NOTEBOOKS}
        return cls(**results, seconds=seconds, runs=runs, reference=reference.load(reference_file))


def data_label(data_dir) -> str | None:
    """The data folder as the report names it: as the user gave it (relative to the checkout); a path that is
    absolute, of the machine that built the report, as `CIFAR10_DIR`; None for the default folder."""
    return "CIFAR10_DIR" if data_dir and Path(data_dir).is_absolute() else data_dir or None


def summary_table(build_dir) -> str:
    """What each notebook of a build cost, as a plain-text table: its wall time, the networks it trained and
    read, and the seconds of training behind its numbers (``facts.cost``)."""
    cost = facts_cost(Build.load(build_dir))
    line = "{:<20} {:>9} {:>8} {:>6} {:>14}".format
    rows = [line(r.notebook, "-" if r.wall is None else f"{r.wall:.0f}", r.trained, r.read,
                 "-" if r.training is None else f"{r.training:.0f}") for r in cost.rows]
    return "\n".join([line("notebook", "wall (s)", "trained", "read", "training (s)"), *rows,
                      line("all notebooks", f"{cost.wall:.0f}", cost.trained, cost.read, f"{cost.training:.0f}")])


def context(build_dir, data_dir=None, reference_file=reference.PATH) -> dict:
    """Everything the template may use: the ``Build``'s fields, the facts computed from them, the machine and
    software. ``data_dir``: the data folder as the user gave it (None: not recorded)."""
    build = Build.load(build_dir, reference_file)
    return {**vars(build), "build": Path(build_dir).resolve().as_posix(), "data_dir": data_label(data_dir),
            "env": environment(),
            "divergence_factor": DIVERGENCE_FACTOR, "facts": facts(build), "repro": reproduction.facts(build),
            "headline": reproduction.headline(build), "sizes": reproduction.sizes(build)}


#: Jinja's delimiters in the report's templates: Typst uses braces.
DELIMITERS = dict(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                  variable_end_string=")))", comment_start_string="((#", comment_end_string="#))",
                  trim_blocks=True, lstrip_blocks=True)


def add_helpers(env: jinja2.Environment) -> None:
    """What the templates may call: the filters of ``formats`` (as filters too) and the verdicts of ``facts``."""
    env.filters.update(FILTERS)
    env.globals.update(FILTERS, **VERDICTS, fmt=format, table=table, CLEAR=CLEAR, ensemble_members=ensemble_members,
                       bonus_options=bonus_options, parameters=parameters)


def render(template: Path, ctx: dict) -> str:
    """The template filled with ``ctx`` (the dict of ``context``)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(template.parent), undefined=jinja2.StrictUndefined,
                             **DELIMITERS)
    add_helpers(env)
    return env.get_template(template.name).render(**ctx)


def build(build_dir, output, template="report/report.typ.j2", data_dir=None) -> Path:
    """Render the template with the results in ``build_dir`` and compile it to ``output`` (PDF), drawing the report's
    own figures into ``build_dir`` (the headline, also written beside ``output`` for the README)."""
    ctx = context(build_dir, data_dir)
    for name, draw in (("sizes", plots.size_figure), ("headline", plots.headline_figure)):
        fig = draw(ctx[name])
        figure = save_figure(fig, build_dir, name)
        plt.close(fig)
    source = Path(build_dir) / "report.typ"
    write_atomic(source, render(Path(template), ctx))
    try:
        pdf = typst.compile(str(source), root="/")
    except typst.TypstError as err:
        raise RuntimeError(f"Typst failed on the rendered report {source}:\n{err}") from None
    write_atomic(output, pdf)
    write_atomic(Path(output).with_name("headline.png"), figure.with_suffix(".png").read_bytes())
    return Path(output)


README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"


def results_markdown(build_dir, template="report/readme.md.j2") -> str:
    """The headline numbers as Markdown, the README's results: ``template`` filled from the notebooks' results."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(template).parent), undefined=jinja2.StrictUndefined,
                             **DELIMITERS)
    add_helpers(env)
    return env.get_template(Path(template).name).render(**vars(Build.load(build_dir))).strip()


def update_readme(readme, build_dir) -> None:
    """Replace the text between the results markers of ``readme`` with ``results_markdown``."""
    text = Path(readme).read_text()
    if README_START not in text or README_END not in text:
        raise ValueError(f"readme must contain the markers {README_START} and {README_END}: {readme}")
    head, rest = text.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    body = results_markdown(build_dir)
    write_atomic(readme, f"{head}{README_START}\n{body}\n{README_END}{tail}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", help="folder with the notebooks' artifacts (build/)")
    parser.add_argument("output", help="PDF to write")
    parser.add_argument("--template", default="report/report.typ.j2")
    parser.add_argument("--readme", help="also write the headline results into this README")
    parser.add_argument("--data-dir", help="the data folder as the user gave it, shown in the report")
    args = parser.parse_args(argv)
    try:
        print(f"report written to {build(args.build_dir, args.output, args.template, args.data_dir)}")
        if args.readme:
            update_readme(args.readme, args.build_dir)
            print(f"results table of {args.readme} updated")
        print(summary_table(args.build_dir))
    except (FileNotFoundError, RuntimeError, ValueError, InputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
