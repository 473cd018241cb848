"""The learning-rate range test (Smith 2017): train once with eta rising linearly, read the bounds off."""

from dataclasses import replace

import numpy as np

from ..core.checks import positive_int, require
from ..core.history import History
from ..core.train import TrainConfig
from .store import Run, RunStore

SMOOTHING = 5          # records in the moving average the bounds are read from
MIN_FRACTION = 10      # eta_min = eta_max / MIN_FRACTION


def range_test(train_data, val_data, config: TrainConfig, steps: int, store: RunStore, records: int = 40) -> Run:
    """The Run of one network trained ``steps`` updates with eta rising linearly from eta_min to eta_max (or read from
    ``store``), with ``records`` records; a run that diverges ends there, its row naming ``diverged_eta``."""
    steps, records = positive_int("steps", steps), positive_int("records", records)
    require(steps % 2 == 0 and records <= steps, "steps", f"an even number >= records ({records})", steps)
    config = replace(config, schedule="range_test", n_s=steps // 2, n_cycles=1, records_per_cycle=records,
                     record_cycles=0)
    return store.runs([config], train_data, val_data)[0]


def smoothed(values, width: int = SMOOTHING) -> np.ndarray:
    """Centred moving average (n,) of ``values`` (n,), the window shrinking at the ends."""
    values = np.asarray(values, dtype=float)
    half = width // 2
    return np.array([values[max(0, i - half):i + half + 1].mean() for i in range(len(values))])


def propose_bounds(history: History) -> tuple[float, float]:
    """(eta_min, eta_max) from a range test: eta_max where the smoothed validation accuracy
    peaks (past it, larger steps stop helping), eta_min a decade below it."""
    require(len(history.eta) >= SMOOTHING, "history", f"a range test with at least {SMOOTHING} records",
            len(history.eta))
    eta_max = float(history.eta[int(np.argmax(smoothed(history.val_acc)))])
    return eta_max / MIN_FRACTION, eta_max
