"""Mini-batch gradient descent with a cyclical learning rate: ``train`` (the loop) and ``train_run`` (a run of a
``TrainConfig`` from its initialisation, or continued from a shorter run of it)."""

import math
from dataclasses import replace

import numpy as np
from threadpoolctl import threadpool_limits

from .batches import mini_batches
from .checks import data_pair, positive_int, require, teacher_targets
from .config import TrainConfig
from .history import History, Recorder
from .network import Params, init_params
from .step import sgd_step

#: A run has diverged when a mini-batch loss exceeds this many times max(1, the first mini-batch loss).
DIVERGENCE_FACTOR = 100


class Diverged(FloatingPointError):
    """A run stopped: its mini-batch loss is not finite or grew far beyond its start. ``history``: its records."""

    def __init__(self, message: str, step: int, eta: float, loss: float):
        super().__init__(message)
        self.step, self.eta, self.loss, self.history = step, eta, loss, None


def fresh_params(config: TrainConfig, d: int, k: int = 10) -> Params:
    """Initial parameters of ``config``'s hidden size, dtype and seed."""
    return init_params(d, config.hidden, k, rng=np.random.default_rng(config.seed), dtype=config.dtype)


def train_run(config: TrainConfig, train_data, val_data, keep: int = 1, soft_targets=None, start=None,
              blas_threads: int = 1):
    """(History, {cycle: Params} at the last ``keep`` cycle ends, the end state) of a run from ``fresh_params``.
    start: (History, snapshots, state) of this config on fewer cycles, as returned here, to continue: the same
    result, to the bit (its snapshots hold its last ``keep`` cycle ends). train_data, val_data: (X (n, d), y (n,))."""
    keep = positive_int("keep", keep)
    before, snapshots, state = start or (None, {}, {})
    state = dict(state)
    if start:
        done = before.config.n_cycles
        require(before.config == replace(config, n_cycles=done) and done < config.n_cycles, "start",
                f"a run of this config on fewer than {config.n_cycles} cycles", before.config)
        require(all(c in snapshots for c in range(min(done, config.n_cycles - keep + 1), done + 1)), "start",
                f"the parameters at its cycle ends from {config.n_cycles - keep + 1} to {done}", sorted(snapshots))
        params = snapshots[done]
    else:
        params = fresh_params(config, np.shape(train_data[0])[1])
    snapshots = {cycle: p for cycle, p in snapshots.items() if cycle > config.n_cycles - keep}

    def snapshot(cycle: int, params: Params) -> None:
        if cycle > config.n_cycles - keep:
            snapshots[cycle] = params.copy()

    try:
        _, history = train(params, train_data, val_data, config, on_cycle_end=snapshot,
                           soft_targets=soft_targets, state=state, blas_threads=blas_threads)
    except Diverged as err:
        err.history = before.joined(err.history) if before else err.history
        raise
    return (before.joined(history) if before else history), snapshots, state


class _DivergenceCheck:
    """Raises Diverged when a mini-batch loss is not finite or exceeds DIVERGENCE_FACTOR * max(1, the first)."""

    def __init__(self, limit: float | None):
        self.limit = limit

    def __call__(self, step: int, eta: float, loss: float) -> None:
        if step == 0:
            self.limit = DIVERGENCE_FACTOR * max(1.0, loss)
        if not (math.isfinite(loss) and loss <= self.limit):
            raise Diverged(f"training diverged at step {step} (learning rate {eta:.3g}): the mini-batch loss is "
                           f"{loss:.4g}, above {self.limit:.4g} ({DIVERGENCE_FACTOR} times its start); "
                           "lower eta_max or check the scaling of the data", step, eta, loss)


def _checked(params: Params, train_data, val_data, config: TrainConfig, state: dict) -> tuple:
    """(a copy of params in the config's dtype, (X, y), (X_val, y_val), the update to start from), checked."""
    require(isinstance(config, TrainConfig), "config", "a TrainConfig", type(config).__name__)
    require(isinstance(params, Params), "params", "a network's Params", type(params).__name__)
    require(params.W1.shape[0] == config.hidden, "params", f"a network of config.hidden = {config.hidden} hidden "
            "units (the config is the one source of truth of the network's shape)",
            f"W1 of shape {params.W1.shape}: {params.W1.shape[0]} hidden units")
    params = params.astype(np.dtype(config.dtype))
    train_data = data_pair(params, train_data, "train_data", params.W1.dtype)
    val_data = data_pair(params, val_data, "val_data", params.W1.dtype)
    require(config.batch_size <= len(train_data[1]), "batch_size",
            f"<= the number of training samples ({len(train_data[1])})", config.batch_size)
    done = state.get("steps", 0)
    require(done == 0 or (config.schedule == "cyclical" and done < config.total_steps),
            "state", f"the end of a cyclical run before step {config.total_steps}", done)
    return params, train_data, val_data, done


def train(params: Params, train_data, val_data, config: TrainConfig, *, on_cycle_end=None, blas_threads: int = 1,
          soft_targets=None, state: dict | None = None) -> tuple[Params, History]:
    """(Params, History) of a copy of ``params`` after ``config.total_steps`` updates on train_data (X (n, d),
    y (n,)), recorded on it and val_data. soft_targets: a teacher's probabilities (n, K), or (2, n, K) with the
    mirror images', when ``config.distill`` > 0. ``on_cycle_end(cycle, params)`` follows each cycle's last update.
    state: filled with where the run stopped; passed back with more cycles and the final params, the run goes on
    exactly as from step 0, its History the new records. Raises ``Diverged``."""
    state = {} if state is None else state
    params, (X, y), val_data, done = _checked(params, train_data, val_data, config, state)
    blas_threads = positive_int("blas_threads", blas_threads)
    soft_targets = teacher_targets(soft_targets, len(y), params.W2.shape[0], config)
    etas = config.learning_rates()
    batches = mini_batches(X, y, config, params.W1.dtype, soft_targets, start=done)
    diverged = _DivergenceCheck(state.get("limit"))
    recorder = Recorder(config, (X, y), val_data, etas, state)
    cycle = 2 * config.n_s
    try:
        with threadpool_limits(blas_threads), recorder, np.errstate(over="ignore", invalid="ignore"):
            for t, eta in enumerate(etas[done:].tolist(), start=done):
                batch_X, batch_y, keep, soft = next(batches)       # the next mini-batch, augmented
                recorder.before_update(params)
                loss, accuracy = sgd_step(params, batch_X, batch_y, eta, config.lam, keep, soft)   # one step of SGD
                diverged(t, eta, loss)                              # stops a run whose loss blows up
                if on_cycle_end is not None and (t + 1) % cycle == 0:
                    on_cycle_end((t + 1) // cycle, params)
                recorder.after_update(t + 1, params, loss, accuracy)   # records evaluated in a thread
    except Diverged as err:
        err.history = recorder.history()
        raise
    state.update(steps=config.total_steps, limit=diverged.limit, **recorder.state())
    return params, recorder.history()
