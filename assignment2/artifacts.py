"""Writing a notebook's artifacts: figures (PDF and PNG), tables (CSV) and results.json."""

import csv
import io
import json
from pathlib import Path

from .files import write_atomic


def save_figure(fig, folder, name: str) -> Path:
    """Save the matplotlib Figure ``fig`` as ``folder/name.pdf`` and ``.png``; return the PDF path."""
    folder = Path(folder)
    for suffix in ("png", "pdf"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=suffix, dpi=150)
        write_atomic(folder / f"{name}.{suffix}", buffer.getvalue())
    return folder / f"{name}.pdf"


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


def markdown_table(rows: list[dict], columns: dict) -> str:
    """A Markdown table of ``rows``; ``columns``: key -> (header, format spec such as ".4f")."""
    lines = ["| " + " | ".join(header for header, _ in columns.values()) + " |",
             "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(format(row[key], spec) for key, (_, spec) in columns.items()) + " |")
    return "\n".join(lines)
