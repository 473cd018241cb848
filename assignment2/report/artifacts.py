"""A notebook's figures (saved as PDF and PNG, shown with alternative text) and Markdown tables."""

import io
from pathlib import Path

import matplotlib.pyplot as plt

from ..core.files import write_atomic


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


def markdown_table(rows: list[dict], columns: dict) -> str:
    """A Markdown table of ``rows``; ``columns``: key -> (header, format spec such as ".4f"); None is "–"."""
    lines = ["| " + " | ".join(header for header, _ in columns.values()) + " |",
             "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join("–" if row[key] is None else format(row[key], spec) for key, (_, spec) in columns.items()) + " |")
    return "\n".join(lines)
