"""The report's figures; every function returns a matplotlib Figure."""

import matplotlib.pyplot as plt
import numpy as np

from .schedule import cyclical_lr
from .train import History

PANELS = (("cost", "Cost (loss + L2)"), ("loss", "Cross-entropy loss"), ("acc", "Accuracy"))


def history_figure(history: History, title: str = "") -> plt.Figure:
    """Cost, loss and accuracy against update step, training and validation (Figures 3 and 4)."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), constrained_layout=True)
    for ax, (key, label) in zip(axes, PANELS):
        ax.plot(history.step, getattr(history, f"train_{key}"), "o-", ms=3, label="training")
        ax.plot(history.step, getattr(history, f"val_{key}"), "s-", ms=3, label="validation")
        ax.set(xlabel="update step", ylabel=label)
        ax.grid(alpha=0.3)
    axes[0].legend()
    if title:
        fig.suptitle(title)
    return fig


def schedule_figure(eta_min: float, eta_max: float, n_s: int, n_cycles: int) -> plt.Figure:
    """The cyclical learning rate over ``n_cycles`` cycles."""
    t = np.arange(2 * n_s * n_cycles + 1)
    fig, ax = plt.subplots(figsize=(6, 2.6), constrained_layout=True)
    ax.plot(t, cyclical_lr(t, eta_min, eta_max, n_s))
    ax.set(xlabel="update step", ylabel="learning rate", title=f"n_s = {n_s}, {n_cycles} cycle{'s' * (n_cycles > 1)}")
    ax.grid(alpha=0.3)
    return fig


def search_figure(stages: dict) -> plt.Figure:
    """Validation accuracy against lambda (log axis); ``stages``: name -> list of result rows."""
    fig, ax = plt.subplots(figsize=(6, 3.4), constrained_layout=True)
    for (name, rows), marker in zip(stages.items(), "os^v"):
        ax.scatter([r["lambda"] for r in rows], [r["val_acc"] for r in rows], marker=marker, label=name)
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
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def range_test_figure(history: History, eta_min: float, eta_max: float) -> plt.Figure:
    """Validation accuracy and training loss against a linearly rising eta, with the proposed bounds."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), constrained_layout=True)
    for ax, (key, label) in zip(axes, (("val_acc", "Validation accuracy"), ("train_loss", "Training loss (moving average)"))):
        ax.plot(history.eta, getattr(history, key), "o-", ms=3)
        for value, name in ((eta_min, "proposed eta_min"), (eta_max, "proposed eta_max")):
            ax.axvline(value, ls="--", color="grey" if name.endswith("min") else "black", label=name)
        ax.set(xlabel="learning rate eta", ylabel=label)
        ax.grid(alpha=0.3)
    axes[0].legend()
    return fig


def headline_figure(rows: list[dict]) -> plt.Figure:
    """Test accuracy of every configuration (rows of ``reproduction.headline``): ours as mean with an
    error bar of one standard deviation over the seeds, the reference report's value beside it."""
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(rows) + 1.0), constrained_layout=True)
    y = np.arange(len(rows))[::-1]
    ours = np.array([r["mean"] for r in rows]) * 100
    ax.errorbar(ours, y, xerr=[100 * r["std"] for r in rows], fmt="o", capsize=3, label="ours (mean ± sd over seeds)")
    refs = [(100 * r["reference"], yi) for r, yi in zip(rows, y) if r["reference"] is not None]
    if refs:
        ax.scatter(*zip(*refs), marker="x", color="black", zorder=3, label="reference report")
    for value, yi, r in zip(ours, y, rows):
        ax.annotate(f"{value:.1f}%", (value, yi), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_yticks(y, [r["label"] for r in rows])
    ax.set_xlabel("test accuracy (%)")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(alpha=0.3, axis="x")
    ax.legend(loc="lower right", fontsize=8)
    return fig
