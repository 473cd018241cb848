"""Exercise 7: what the final networks learned and where they fail, on the test set, the networks read from
the run store by the keys exercises 5 and 6 recorded."""

from dataclasses import dataclass

import numpy as np

from ...core.checks import COUNT
from ...core.data import CLASSES, ensure_data, read_batch
from ...core.ensemble import fold_runs
from ...core.network import probabilities
from ...core.whiten import whitened
from .. import diagnostics
from ..splits import load_split
from ..store import RunStore
from .base import InputError, Result, Settings
from .bonus import Bonus
from .final_model import FinalModel


@dataclass(frozen=True)
class AnalysisSettings(Settings):
    """``units`` hidden units shown per network, the ``mistakes`` most confident ones, ``bins`` confidence bins."""

    NOTEBOOK = "07_analysis"

    data_root: str | None = None
    dtype: str = "float32"
    units: int = 16
    mistakes: int = 16
    bins: int = 15

    RULES = {"units": COUNT, "mistakes": COUNT, "bins": COUNT}


@dataclass(frozen=True)
class AnalysisSummary:
    """The settings, the labels of the networks the figures show, every network's ``diagnostics.summary`` and
    the most confident mistakes."""

    bins: int
    units: int
    mistakes: int
    single_label: str
    ensemble_label: str
    final_label: str
    models: list[dict]
    worst_mistakes: list[dict]

    def model(self, label: str) -> dict:
        """The diagnostics of the network shown as ``label``."""
        return next(m for m in self.models if m["label"] == label)


@dataclass(frozen=True)
class Shown:
    """What the figures draw (not saved): ``units`` (label -> images (units, 32, 32, 3)), ``mistakes`` (images, true,
    predicted, probability), ``curves`` (label -> reliability curve) and, for a chosen network of whitened images,
    ``whitening`` (label -> images: test images, the same whitened, and rows of its ZCA matrix Z; else None)."""

    units: dict
    mistakes: tuple
    curves: dict
    whitening: dict | None = None


@dataclass
class Analysis(Result):
    """``summary``: an AnalysisSummary; ``tables["class_accuracies"]``; ``shown``: what the figures draw, not saved
    (units, mistakes, reliability curves and, for whitened inputs, the whitening)."""

    shown: Shown | None = None

    NOTEBOOK = "07_analysis"
    SUMMARY = AnalysisSummary

    @property
    def figure_labels(self) -> list[str]:
        """The networks the confusion and calibration figures show: exercise 5's widest, 6's network and ensemble."""
        return [self.summary.final_label, self.summary.single_label, self.summary.ensemble_label]

    def confusions(self) -> dict:
        """Label -> confusion matrix (K, K) of the networks of ``figure_labels``."""
        return {label: np.array(self.summary.model(label)["confusion"]) for label in self.figure_labels}

    def headline(self) -> str:
        return "; ".join(f"{row['label']}: test accuracy {row['test_acc']:.2%}, ECE {row['ece']:.3f}"
                         for row in self.summary.models)


def _check_recorded(summaries: dict, recorded: dict) -> None:
    """Every network's test accuracy as its exercise recorded it: the networks are the ones reported."""
    for label, row in summaries.items():
        if row["test_acc"] != recorded[label]:
            raise InputError(f"{label}: test accuracy {row['test_acc']} here, {recorded[label]} recorded by its "
                             "exercise: the run store holds other networks than the build's results")


#: The pixels whose rows of Z the whitening figure shows: (channel, row, column).
WHITENING_PIXELS = ((0, 16, 16), (1, 16, 16), (2, 16, 16), (1, 4, 4), (1, 4, 27), (1, 27, 4), (1, 27, 27), (1, 10, 21))


def whitening_images(raw, X, Z) -> dict:
    """What whitening does, as images: label -> (n, 32, 32, 3); raw: pixels (n, 3072), X: the same standardised,
    Z: the ZCA matrix (3072, 3072), whose rows at ``WHITENING_PIXELS`` are the filters it applies there, shown
    with zero as grey and each scaled to its largest weight off its own pixel (that pixel, far larger, is clipped)."""
    rows = [c * 1024 + 32 * r + col for c, r, col in WHITENING_PIXELS]
    filters = Z[rows].astype(np.float64)
    off = filters.copy()
    off[np.arange(len(rows)), rows] = 0.0
    surround = np.abs(off).max(axis=1, keepdims=True)
    shown = np.clip(filters / (2 * np.where(surround > 0, surround, 1.0)), -0.5, 0.5) + 0.5
    return {"test images": diagnostics.as_images(raw), "whitened": diagnostics.as_images(whitened(X, Z)),
            "rows of Z": shown.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)}


def run(settings: AnalysisSettings, final: FinalModel, bonus: Bonus, store: RunStore) -> Analysis:
    """The figures' data and the summaries of exercise 5's first seed at every hidden size, and exercise 6's
    chosen network (its first seed) and ensemble, read from ``store``."""
    s = settings
    _, _, (X_final_test, y_test) = load_split("final", s.data_root, dtype=s.dtype)
    _, _, (X_search_test, _) = load_split("search", s.data_root, dtype=s.dtype)
    models, single, ens = final.summary.models, bonus.summary.single, bonus.summary.ensemble
    finals = {m: store.load(model.runs[0]) for m, model in models.items()}
    final_label = {m: f"m = {m} (notebook 05)" for m in models}
    wide = f"m = {single.config.hidden}, one network"
    ensemble_label = f"ensemble of {ens.networks}, one network of m = {ens.size.hidden}"
    single_run = store.load(single.runs[0])
    P = {final_label[m]: probabilities(run.final, X_final_test) for m, run in finals.items()}
    P[wide] = probabilities(single_run.final, X_search_test)
    folded = fold_runs([store.load(m.run) for m in ens.members], ens.snapshots, ens.mirror)   # the ensemble's network
    P[ensemble_label] = probabilities(folded, X_search_test)
    summaries = {label: diagnostics.summary(label, p, y_test, CLASSES, s.bins) for label, p in P.items()}
    _check_recorded(summaries, {**{final_label[m]: model.test_accs[0] for m, model in models.items()},
                                wide: single.test_accs[0], ensemble_label: ens.test_acc})
    largest = final_label[max(models)]
    worst = diagnostics.confident_mistakes(P[wide], y_test, s.mistakes)
    raw_test = read_batch(ensure_data(s.data_root) / "test_batch")[0]   # pixels, for showing images
    networks = {f"m = {m}": run.final for m, run in finals.items()}
    networks[f"m = {single.config.hidden}"] = single_run.final
    n = len(WHITENING_PIXELS)
    shown = Shown({label: diagnostics.as_images(params.W1[diagnostics.strongest_units(params.W2, s.units)])
                   for label, params in networks.items()},
                  (diagnostics.as_images(raw_test[worst]), y_test[worst], P[wide][worst].argmax(axis=1),
                   P[wide][worst].max(axis=1)),
                  {label: diagnostics.reliability(P[label], y_test, s.bins)
                   for label in (largest, wide, ensemble_label)},
                  None if single_run.whitening is None else
                  whitening_images(raw_test[:n], X_search_test[:n], single_run.whitening))
    mistakes = [{"index": int(i), "true": CLASSES[y_test[i]], "predicted": CLASSES[int(P[wide][i].argmax())],
                 "probability": float(P[wide][i].max())} for i in worst]
    summary = AnalysisSummary(s.bins, s.units, s.mistakes, wide, ensemble_label, largest, list(summaries.values()),
                              mistakes)
    class_rows = [{"class": c, **{label: row["class_accuracies"][c] for label, row in summaries.items()}}
                  for c in CLASSES]
    return Analysis(summary, {"class_accuracies": class_rows}, shown=shown)
