"""``TrainConfig``: every setting of one training run as plain data, and its learning rates: the triangular cyclical
rate of the assignment (Smith 2015), or the linear rise of a range test."""

from dataclasses import dataclass

import numpy as np

from .batches import MAX_TRANSLATE
from .checks import (COUNT, FLAG, FRACTION, NON_NEGATIVE, POSITIVE, RATE, SEED, among, check_rules, non_negative,
                     positive_int, require)

COST_METHODS = ("full", "running_mean", "ema")
DTYPES = ("float64", "float32")
SCHEDULES = ("cyclical", "range_test")


@dataclass(frozen=True)
class TrainConfig:
    """Every hyper-parameter of one training run (plain data: ``asdict`` / ``TrainConfig(**d)``)."""

    batch_size: int = 100
    eta_min: float = 1e-5
    eta_max: float = 1e-1
    n_s: int = 500
    n_cycles: int = 1
    lam: float = 0.01
    records_per_cycle: int = 10
    record_cycles: int = 0          # record only in the last record_cycles cycles (0: in every cycle)
    cost_method: str = "full"
    seed: int = 0
    dtype: str = "float64"
    hidden: int = 50
    dropout: float = 0.0            # inverted dropout rate on the hidden layer while training
    flip: bool = False              # mirror each training image left-right with probability 1/2
    translate: int = 0              # shift each training image by up to this many pixels in y and x
    schedule: str = "cyclical"      # or "range_test": eta rises linearly from eta_min to eta_max over all steps
    distill: float = 0.0            # weight alpha of a teacher's soft targets in the loss (0: the labels alone)
    temperature: float = 1.0        # temperature T of distillation
    whiten: float = 0.0             # ZCA-whitened inputs, epsilon relative to the mean eigenvalue (0: plain);
                                    # the caller whitens the data (``whiten.zca`` of the training split)

    def __post_init__(self):
        check_rules(self, RULES)
        require(self.eta_min <= self.eta_max, "eta_min", f"<= eta_max ({self.eta_max})", self.eta_min)
        require(self.records_per_cycle <= 2 * self.n_s, "records_per_cycle",
                f"<= 2 * n_s ({2 * self.n_s})", self.records_per_cycle)
        require(SEED[0](self.record_cycles) and self.record_cycles <= self.n_cycles, "record_cycles",
                f"an integer from 0 to n_cycles ({self.n_cycles})", self.record_cycles)
        require(SEED[0](self.translate) and self.translate <= MAX_TRANSLATE, "translate",
                f"an integer number of pixels from 0 to {MAX_TRANSLATE}", self.translate)

    @property
    def augments(self) -> bool:
        return self.flip or self.translate > 0

    @property
    def total_steps(self) -> int:
        return 2 * self.n_s * self.n_cycles

    def record_steps(self) -> np.ndarray:
        """The update steps after which a record is taken: records_per_cycle evenly per recorded cycle."""
        per_cycle = np.round(np.arange(1, self.records_per_cycle + 1) * 2 * self.n_s / self.records_per_cycle)
        cycles = np.arange(self.n_cycles - (self.record_cycles or self.n_cycles), self.n_cycles)
        return (per_cycle[None, :] + 2 * self.n_s * cycles[:, None]).astype(int).ravel()

    def learning_rates(self) -> np.ndarray:
        """The learning rate of every update step, (total_steps,); a range test's rises from one step above eta_min
        at step 0 to eta_max at the last."""
        steps = np.arange(self.total_steps)
        if self.schedule == "range_test":
            return self.eta_min + (self.eta_max - self.eta_min) * (steps + 1) / self.total_steps
        return triangular_lr(steps, self.eta_min, self.eta_max, self.n_s)


#: Each field's rule (``checks``); the rules between fields are in ``TrainConfig.__post_init__``.
RULES = {"batch_size": COUNT, "eta_min": NON_NEGATIVE, "eta_max": NON_NEGATIVE, "n_s": COUNT, "n_cycles": COUNT,
         "lam": NON_NEGATIVE, "records_per_cycle": COUNT, "cost_method": among(*COST_METHODS), "seed": SEED,
         "dtype": among(*DTYPES), "hidden": COUNT, "dropout": RATE, "flip": FLAG, "schedule": among(*SCHEDULES),
         "distill": FRACTION, "temperature": POSITIVE, "whiten": NON_NEGATIVE}


def triangular_lr(t, eta_min: float, eta_max: float, n_s: int):
    """The learning rate at step ``t`` (int or integer array >= 0): eta_min at t = 0, rising linearly to eta_max
    at t = n_s and falling back to eta_min at t = 2 n_s, with period 2 n_s. A float for an int, else an array."""
    eta_min = non_negative("eta_min", eta_min)
    eta_max = non_negative("eta_max", eta_max)
    require(eta_min <= eta_max, "eta_min", f"<= eta_max ({eta_max})", eta_min)
    n_s = positive_int("n_s", n_s)
    steps = np.asarray(t)
    require(np.issubdtype(steps.dtype, np.integer) and (steps >= 0).all(),
            "t", "an integer (or integer array) >= 0", t)
    phase = steps % (2 * n_s)
    rising = np.minimum(phase, 2 * n_s - phase) / n_s
    eta = eta_min + (eta_max - eta_min) * rising
    return float(eta) if eta.ndim == 0 else eta

