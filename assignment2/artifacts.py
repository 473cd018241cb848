"""Writing a notebook's artifacts: figures (PDF and PNG), tables (CSV) and results.json."""

import csv
import io
import json
from pathlib import Path

import matplotlib.pyplot as plt

from .files import write_atomic


def save_figure(fig: plt.Figure, folder, name: str) -> Path:
    """Save ``fig`` as ``folder/name.pdf`` and ``folder/name.png``; return the PDF path."""
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


def save_results(results: dict, path) -> Path:
    """Write the numbers the report quotes as JSON."""
    return write_atomic(path, json.dumps(results, indent=1, default=float))


def load_results(path) -> dict:
    with open(path) as f:
        return json.load(f)
