"""The report's figures; every function returns a matplotlib Figure."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import EngFormatter, FuncFormatter, MaxNLocator, NullFormatter

from ..core.history import History
from ..core.config import triangular_lr

PANELS = (("cost", "Cost (loss + L2)"), ("loss", "Cross-entropy loss"), ("acc", "Accuracy"))


def _step_axis(ax) -> None:
    """At most five update-step ticks, written short (28800 -> 28.8k), so that long runs' labels never collide."""
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))


def history_figure(history: History, title: str = "") -> plt.Figure:
    """Cost, loss and accuracy against update step, training and validation (Figures 3 and 4)."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), constrained_layout=True)
    for ax, (key, label) in zip(axes, PANELS):
        ax.plot(history.step, getattr(history, f"train_{key}"), "o-", ms=3, label="training")
        ax.plot(history.step, getattr(history, f"val_{key}"), "s-", ms=3, label="validation")
        ax.set(xlabel="update step", ylabel=label)
        _step_axis(ax)
        ax.grid(alpha=0.3)
    axes[0].legend()
    if title:
        fig.suptitle(title)
    return fig


def schedule_figure(eta_min: float, eta_max: float, n_s: int, n_cycles: int) -> plt.Figure:
    """The cyclical learning rate over ``n_cycles`` cycles."""
    t = np.arange(2 * n_s * n_cycles + 1)
    fig, ax = plt.subplots(figsize=(6, 2.6), constrained_layout=True)
    ax.plot(t, triangular_lr(t, eta_min, eta_max, n_s))
    ax.set(xlabel="update step", ylabel="learning rate", title=f"n_s = {n_s}, {n_cycles} cycle{'s' * (n_cycles > 1)}")
    _step_axis(ax)
    ax.grid(alpha=0.3)
    return fig


def search_figure(stages: dict, peak=None, fit_range=None) -> plt.Figure:
    """Validation accuracy against lambda (log axis); ``stages``: name -> list of result rows; ``peak``:
    a ``search.smoothed_peak``, drawn with its quadratic over ``fit_range`` (log10 lambda, lo and hi)."""
    fig, ax = plt.subplots(figsize=(6, 3.4), constrained_layout=True)
    for (name, rows), marker in zip(stages.items(), "os^v"):
        ax.scatter([r["lambda"] for r in rows], [r["val_acc"] for r in rows], marker=marker, label=name)
    if peak is not None:
        x = np.linspace(*fit_range, 100)
        ax.plot(10.0 ** x, np.polyval(peak.coefficients, x), color="black", lw=1, label="quadratic fit")
        ax.axvline(peak.lam, ls="--", color="grey", label="smoothed peak")
    ax.set(xscale="log", xlabel="lambda", ylabel="validation accuracy")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower left")   # the large lambdas fall off to the lower right
    return fig


def compare_figure(histories: dict, metric: str = "train_cost", ylabel: str = "training cost") -> plt.Figure:
    """One metric of several runs against update step; ``histories``: label -> History."""
    fig, ax = plt.subplots(figsize=(6, 3.4), constrained_layout=True)
    for label, history in histories.items():
        ax.plot(history.step, getattr(history, metric), "o-", ms=3, label=label)
    ax.set(xlabel="update step", ylabel=ylabel)
    _step_axis(ax)
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def range_test_figure(history: History, eta_min: float, eta_max: float) -> plt.Figure:
    """Validation accuracy and training loss against a linearly rising eta, with the proposed bounds."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
    panels = (("val_acc", "Validation accuracy"), ("train_loss", "Training loss (moving average)"))
    for ax, (key, label) in zip(axes, panels):
        ax.plot(history.eta, getattr(history, key), "o-", ms=3)
        for value, name in ((eta_min, "proposed eta_min"), (eta_max, "proposed eta_max")):
            ax.axvline(value, ls="--", color="grey" if name.endswith("min") else "black", label=name)
        ax.set(xlabel="learning rate eta", ylabel=label)
        ax.grid(alpha=0.3)
    axes[0].legend()
    return fig


def headline_figure(rows: list) -> plt.Figure:
    """Test accuracy of every configuration (``reproduction.Point``s): ours as mean with an
    error bar of one standard deviation over the seeds, the reference report's value beside it."""
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(rows) + 1.3), constrained_layout=True)
    y = np.arange(len(rows))[::-1]
    ours = np.array([r.mean for r in rows]) * 100
    ax.errorbar(ours, y, xerr=[100 * r.std for r in rows], fmt="o", capsize=3, label="ours (mean ± sd over seeds)")
    refs = [(100 * r.reference, yi) for r, yi in zip(rows, y) if r.reference is not None]
    if refs:
        ax.scatter(*zip(*refs), marker="x", color="black", zorder=3, label="reference report")
    for value, yi, r in zip(ours, y, rows):
        ax.annotate(f"{value:.1f}%", (value, yi), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_yticks(y, [r.label for r in rows])
    ax.set_xlabel("test accuracy (%)")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8, frameon=False)
    return fig


def _fold_sketch(ax) -> None:
    """Three networks' weights, and the one network they fold into: W1 stacked, W2 side by side over 3."""
    colours = ("C0", "C1", "C2")
    for j, colour in enumerate(colours):
        ax.add_patch(plt.Rectangle((0, 5.4 - 1.8 * j), 3, 1.2, color=colour, alpha=0.6))            # W1 (m, d) each
        ax.text(1.5, 6 - 1.8 * j, f"$W_1^{{({j + 1})}}$", ha="center", va="center", fontsize=9)
        ax.add_patch(plt.Rectangle((3.3, 5.4 - 1.8 * j), 1.2, 0.5, color=colour, alpha=0.6))        # W2 (K, m)
        ax.add_patch(plt.Rectangle((6, 4.8 - 1.2 * j), 3, 1.2, color=colour, alpha=0.6))            # stacked
        ax.add_patch(plt.Rectangle((9.3 + 1.2 * j, 5.4), 1.2, 0.5, color=colour, alpha=0.6))        # side by side
    ax.text(7.5, 6.2, "$W_1$: $3m$ hidden units", ha="center", fontsize=8)
    ax.text(11.1, 6.2, "$W_2$ / 3", ha="center", fontsize=8)
    ax.annotate("", (5.8, 4.2), (4.7, 4.2), arrowprops=dict(arrowstyle="->"))
    ax.text(1.5, 0.6, "3 networks: 3 passes,\nscores averaged", ha="center", fontsize=8)
    ax.text(9, 0.6, "one network: one pass,\nthe same scores", ha="center", fontsize=8)
    ax.set_xlim(-0.2, 13.2)
    ax.set_ylim(0, 7)
    ax.axis("off")


def size_figure(rows: list) -> plt.Figure:
    """Left, why networks averaged by their scores are one network (``_fold_sketch``); right, test accuracy against
    parameters (log scale) of networks with one hidden layer (``reproduction.Sized``): ours with an error bar of one
    standard deviation over the seeds, the published ones as crosses, or as a dotted line where their size is not
    given."""
    fig, (sketch, ax) = plt.subplots(1, 2, figsize=(9, 3.4), width_ratios=(1, 1.4), constrained_layout=True)
    _fold_sketch(sketch)
    for r in rows:
        if r.parameters is None:
            ax.axhline(100 * r.mean, color="grey", linestyle=":", linewidth=1)
            ax.annotate(r.label, (0.01, 100 * r.mean), xycoords=("axes fraction", "data"), xytext=(0, 2),
                        textcoords="offset points", fontsize=7, color="grey")
        elif r.ours:
            ax.errorbar(r.parameters, 100 * r.mean, yerr=100 * r.std, fmt="o", capsize=3, color="C0")
            ax.annotate(f"m = {r.hidden:,}", (r.parameters, 100 * r.mean), xytext=(-6, -10),
                        textcoords="offset points", fontsize=7, ha="right")
        else:
            ax.scatter(r.parameters, 100 * r.mean, marker="x", color="black", zorder=3)
            ax.annotate(r.label.split(",")[0], (r.parameters, 100 * r.mean), xytext=(6, 2), textcoords="offset points",
                        fontsize=7)
    ax.set_xscale("log")
    sized = [r.parameters for r in rows if r.parameters is not None]
    ax.set_xlim(10 ** np.floor(np.log10(min(sized))), 10 ** np.ceil(np.log10(max(sized))))   # a decade a tick
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1e6:g} M"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("parameters of the one network (about its multiply-adds per image)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3)
    return fig


def confusion_figure(counts: dict, classes: list[str]) -> plt.Figure:
    """Row-normalised confusion matrices (true class by predicted class), one panel per model;
    counts: label -> (K, K)."""
    fig, axes = plt.subplots(1, len(counts), figsize=(4.6 * len(counts), 4.4), constrained_layout=True, squeeze=False)
    for ax, (label, matrix) in zip(axes[0], counts.items()):
        rates = matrix / matrix.sum(axis=1, keepdims=True)
        ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        for (i, j), rate in np.ndenumerate(rates):
            ax.text(j, i, f"{100 * rate:.0f}", ha="center", va="center", fontsize=7,
                    color="white" if rate > 0.5 else "black")
        ax.set_xticks(range(len(classes)), classes, rotation=90, fontsize=8)
        ax.set_yticks(range(len(classes)), classes if ax is axes[0][0] else [], fontsize=8)
        ax.set(xlabel="predicted class", title=f"{label}: accuracy {100 * np.trace(matrix) / matrix.sum():.1f}%")
    axes[0][0].set_ylabel("true class")
    return fig


def _image_grid(images, titles, columns: int, size: float = 1.05, fontsize: int = 7) -> plt.Figure:
    """Images in a grid of ``columns``, each under its title; the layout makes room for every title line."""
    rows = -(-len(images) // columns)
    lines = max((title.count("\n") + 1 for title in titles), default=1)
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, (size + 0.15 * lines) * rows), squeeze=False,
                             layout="constrained")
    fig.get_layout_engine().set(w_pad=0.01, h_pad=0.01, wspace=0.02, hspace=0.02)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, title in zip(axes.ravel(), images, titles):
        ax.imshow(image, interpolation="nearest")
        ax.set_title(title, fontsize=fontsize)
    return fig


def units_figure(images: dict, per_model: int) -> plt.Figure:
    """Hidden units as images: the first ``per_model`` rows of W1 of every model; images: label -> (u, 32, 32, 3)."""
    grids = [(label, unit) for label, units in images.items() for unit in units[:per_model]]
    titles = [label if i % per_model == 0 else "" for i, (label, _) in enumerate(grids)]
    return _image_grid([unit for _, unit in grids], titles, per_model, size=0.8, fontsize=9)


def mistakes_figure(images, true, predicted, probability, classes: list[str], columns: int = 8) -> plt.Figure:
    """Test images (n, 32, 32, 3) with their true and predicted class and the predicted probability."""
    titles = [f"{classes[t]}\n→ {classes[p]} {100 * q:.0f}%" for t, p, q in zip(true, predicted, probability)]
    return _image_grid(images, titles, columns, size=1.15)


def reliability_figure(curves: dict) -> plt.Figure:
    """Reliability diagrams: accuracy against confidence per bin, one line per model; curves: label -> the dict of
    ``analysis.reliability``."""
    fig, ax = plt.subplots(figsize=(5, 4), constrained_layout=True)
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    for (label, curve), marker in zip(curves.items(), "os^v"):
        full = curve["counts"] > 0
        ax.plot(curve["confidence"][full], curve["accuracy"][full], f"{marker}-", ms=4,
                label=f"{label} (ECE {100 * curve['ece']:.1f}%)")
    ax.set(xlabel="confidence (top probability)", ylabel="accuracy", xlim=(0, 1), ylim=(0, 1))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return fig
