"""Writing a notebook's artifacts: figures (PDF and PNG), tables (CSV) and results.json."""

import csv
import io
import json
from pathlib import Path

import matplotlib.pyplot as plt

from .files import write_atomic


def save_figure(fig, folder, name: str) -> Path:
    """Save the matplotlib Figure ``fig`` as ``folder/name.pdf`` and ``.png``; return the PDF path."""
    folder = Path(folder)
    for suffix in ("png", "pdf"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=suffix, dpi=150)
        write_atomic(folder / f"{name}.{suffix}", buffer.getvalue())
    return folder / f"{name}.pdf"


def show_figure(fig, folder, name: str, alt: str) -> None:
    """Save ``fig`` as ``save_figure`` does and show it in the notebook, with ``alt`` (a sentence saying
    what the figure shows) as its alternative text in the notebook's HTML rendering."""
    from IPython.display import Image, display

    path = save_figure(fig, folder, name)
    display(Image(data=path.with_suffix(".png").read_bytes(), width=round(100 * fig.get_figwidth()),
                  metadata={"alt": alt}))
    plt.close(fig)


def save_table(rows: list[dict], path) -> Path:
    """Write a list of dicts (same keys) as CSV."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return write_atomic(path, buffer.getvalue())


def read_table(path) -> list[dict]:
    """The rows of a CSV file written by ``save_table``, numbers (and True/False) parsed."""
    with open(path, newline="") as f:
        return [{key: _parse(value) for key, value in row.items()} for row in csv.DictReader(f)]


def _parse(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"True": True, "False": False}.get(text, text)


def save_results(results: dict, path) -> Path:
    """Write the numbers the report quotes as JSON."""
    return write_atomic(path, json.dumps(results, indent=1, default=float))


def load_results(path) -> dict:
    with open(path) as f:
        return json.load(f)


class InputError(Exception):
    """A notebook's input, the results of an earlier notebook, is missing, cut short or of another kind."""


def read_input(folder, notebook: str, keys=()) -> dict:
    """The ``results.json`` that notebook ``notebook`` (e.g. "05_final_model") wrote in ``folder``,
    with every key of ``keys``; otherwise an InputError whose one line names the file, the notebook
    that writes it and how to make it."""
    path = Path(folder) / "results.json"
    how = (f"notebook {notebook} writes it: run `make report`, or `papermill notebooks/{notebook}.ipynb "
           f"out.ipynb --cwd notebooks -p out_dir {Path(folder).resolve()}`")
    try:
        results = load_results(path)
    except FileNotFoundError:
        raise InputError(f"{path} is missing; {how}") from None
    except (ValueError, OSError) as err:
        raise InputError(f"{path} cannot be read ({type(err).__name__}: it is cut short or not JSON); {how}") from None
    missing = [key for key in keys if key not in results] if isinstance(results, dict) else list(keys)
    if missing:
        raise InputError(f"{path} has no {', '.join(missing)}: another notebook or version wrote it; {how}")
    return results


def markdown_table(rows: list[dict], columns: dict) -> str:
    """A Markdown table of ``rows``; ``columns``: key -> (header, format spec such as ".4f"); None is "–"."""
    lines = ["| " + " | ".join(header for header, _ in columns.values()) + " |",
             "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join("–" if row[key] is None else format(row[key], spec) for key, (_, spec) in columns.items()) + " |")
    return "\n".join(lines)
