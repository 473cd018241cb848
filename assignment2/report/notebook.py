"""What a notebook shows: its figures (saved as PDF and PNG, shown with alternative text), its tables (Markdown,
with the columns ``COLUMNS`` declares for each kind of table) and its sentences."""

import base64
import io
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import display

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
    what the figure shows) as its alternative text in the notebook's HTML rendering and as its text where
    only text is shown (``papermill --log-output``)."""
    path = save_figure(fig, folder, name)
    png = base64.b64encode(path.with_suffix(".png").read_bytes()).decode()
    display({"image/png": png, "text/plain": f"[figure {path.with_suffix('.png')}: {alt}]"}, raw=True,
            metadata={"image/png": {"alt": alt, "width": round(100 * fig.get_figwidth())}})
    plt.close(fig)


def markdown_table(rows: list[dict], columns: dict) -> str:
    """A Markdown table of ``rows``; ``columns``: key -> (header, format spec such as ".4f"); None is "–"."""
    lines = ["| " + " | ".join(header for header, _ in columns.values()) + " |",
             "|" + "---|" * len(columns)]
    for row in rows:
        cells = ("–" if row[key] is None else format(row[key], spec) for key, (_, spec) in columns.items())
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


_ACCURACIES = {"train_acc": ("train acc", ".4f"), "val_acc": ("val acc", ".4f"), "test_acc": ("test acc", ".4f")}
_SUMMARY = {"train_acc_mean": ("train acc", ".4f"), "val_acc_mean": ("val acc", ".4f"),
            "test_acc_mean": ("test acc", ".4f"), "test_acc_std": ("std", ".4f"),
            "dead_units_mean": ("dead units", ".1f"), "seconds_mean": ("seconds", ".1f")}
_CHOICE = {"val_acc_mean": ("val acc", ".4f"), "val_acc_std": ("sd", ".4f"), "gain": ("gain", "+.4f"),
           "threshold": ("threshold", ".4f"), "kept": ("kept", "")}
_SEARCH = {"lambda": ("lambda", ".3e"), "val_acc": ("val acc", ".4f"), "val_cost": ("val cost", ".4f"),
           "train_acc": ("train acc", ".4f"), "seconds": ("seconds", ".1f")}
#: Kind of table -> its columns: key -> (header, format spec); a table shows these and no others.
COLUMNS = {
    "gradient_check": {"d": ("d", "d"), "m": ("m", "d"), "lam": ("lambda", "g"), "dropout": ("dropout", "g"),
                       "augmented": ("flipped/shifted", ""), "alpha": ("distillation alpha", "g"),
                       "temperature": ("T", "g"), "parameter": ("parameter", "s"), "max_abs": ("max abs error", ".2e"),
                       "mean_abs": ("mean abs error", ".2e"), "max_rel": ("max relative error", ".2e")},
    "seeds": {"seed": ("seed", "d"), **_ACCURACIES, "seconds": ("seconds", ".1f")},
    "cost_methods": {"method": ("method", "s"), "final_train_cost": ("final training cost", ".4f"),
                     "final_val_cost": ("final validation cost", ".4f"), "seconds": ("median seconds", ".2f"),
                     "seconds_min": ("min", ".2f"), "seconds_max": ("max", ".2f")},
    "hidden_sizes": {"hidden": ("m", "d"), **_SUMMARY},
    "batch_sizes": {"eta_scaling": ("eta", "s"), "batch_size": ("batch", "d"), "n_s": ("n_s", "d"),
                    "eta_max": ("eta_max", "g"), **_SUMMARY},
    "search": _SEARCH,
    "confirmed": {"lambda": ("lambda", ".3e"), "val_acc_mean": ("mean val acc", ".4f"), "val_acc_std": ("std", ".4f"),
                  "n_seeds": ("seeds", "d"), "train_acc_mean": ("mean train acc", ".4f"),
                  "gain": ("gain over the candidate", "+.4f"), "threshold": ("threshold", ".4f"),
                  "chosen": ("chosen", "")},
    "final_models": {"hidden": ("m", "d"), "seed": ("seed", "d"), **_ACCURACIES, "seconds": ("seconds", ".1f")},
    "ablation": {"step": ("step", "d"), "change": ("change", "s"), "seeds": ("seeds", "d"), **_CHOICE},
    "distillation_trials": {"alpha": ("alpha", "g"), "temperature": ("T", "g"), "seeds": ("seeds", "d"), **_CHOICE},
    "ensemble_choices": {"change": ("change", "s"), "networks": ("networks", "d"), "seeds": ("seeds", "d"),
                         "val_acc": ("val acc", ".4f"), "gain": ("gain", "+.4f"), "threshold": ("threshold", ".4f"),
                         "kept": ("kept", "")},
    "members": {"seed": ("seed", "d"), "train_acc": ("train acc (batches)", ".4f"), "val_acc": ("val acc", ".4f"),
                "test_acc": ("test acc", ".4f"), "seconds": ("seconds", ".0f")},
    "diagnostics": {"label": ("network", "s"), "test_acc": ("test acc", ".4f"), "ece": ("ECE", ".4f"),
                    "mean_confidence": ("mean confidence", ".4f")},
    "class_accuracies": None,
}


def show_table(rows: list, kind: str, title: str = "") -> None:
    """Show ``rows`` (dicts or dataclasses) as a Markdown table with the columns of ``COLUMNS[kind]`` (for
    "class_accuracies": the class, then a column per network), under a bold ``title`` if given."""
    rows = [row if isinstance(row, dict) else vars(row) for row in rows]
    columns = COLUMNS.get(kind) or {"class": ("class", "s"), **{key: (key, ".3f") for key in rows[0] if key != "class"}}
    show_text((f"**{title}**\n\n" if title else "") + markdown_table(rows, columns))


def show_text(markdown: str) -> None:
    """Show a sentence or a table written in Markdown (the same text where only text is shown)."""
    display({"text/markdown": markdown, "text/plain": markdown}, raw=True)
