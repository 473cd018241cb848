"""Mini-batch gradient descent: ``train`` (the loop) and ``train_run`` (a ``TrainConfig``'s run, from its
initialisation or continued from its run on fewer cycles)."""

import math

import numpy as np
from threadpoolctl import threadpool_limits

from .batches import mini_batches
from .checks import continued_cycles, positive_int, require, run_inputs, teacher_targets
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
    """(History, {cycle: Params} at the last ``keep`` cycle ends, the end state) of a run from ``fresh_params``, or
    continued from ``start``, this return of its config on fewer cycles: the same result, to the bit."""
    keep = positive_int("keep", keep)
    before, snapshots, state = start or (None, {}, {})
    state = dict(state)
    if start:
        params = snapshots[continued_cycles(config, keep, before.config, snapshots)]
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


def _check_loss(step: int, eta: float, loss: float, limit: float) -> None:
    """Raise Diverged if the mini-batch ``loss`` is not finite or above ``limit``."""
    if not (math.isfinite(loss) and loss <= limit):
        raise Diverged(f"training diverged at step {step} (learning rate {eta:.3g}): the mini-batch loss is "
                       f"{loss:.4g}, above {limit:.4g} ({DIVERGENCE_FACTOR} times its start); "
                       "lower eta_max or check the scaling of the data", step, eta, loss)


def train(params: Params, train_data, val_data, config: TrainConfig, *, on_cycle_end=None, blas_threads: int = 1,
          soft_targets=None, state: dict | None = None) -> tuple[Params, History]:
    """(Params, History) of a copy of ``params`` trained by ``config`` on train_data (X (n, d), y (n,)); soft_targets:
    a teacher's probabilities (n, K), or (2, n, K) with the mirror images'. state: filled with where the run
    stopped; passed back with more cycles and the params, the run goes on as from step 0. Raises ``Diverged``."""
    state = {} if state is None else state
    require(isinstance(config, TrainConfig), "config", "a TrainConfig", type(config).__name__)
    require(isinstance(params, Params), "params", "a network's Params", type(params).__name__)
    params, (X, y), val_data, done = run_inputs(params.astype(np.dtype(config.dtype)), train_data, val_data, config,
                                                state)
    blas_threads = positive_int("blas_threads", blas_threads)
    soft_targets = teacher_targets(soft_targets, len(y), params.W2.shape[0], config)
    etas = config.learning_rates()
    batches = mini_batches(X, y, config, params.W1.dtype, soft_targets, start=done)
    limit = state.get("limit")
    recorder = Recorder(config, (X, y), val_data, etas, state)
    cycle = 2 * config.n_s
    try:
        with threadpool_limits(blas_threads), recorder, np.errstate(over="ignore", invalid="ignore"):
            for t, eta in enumerate(etas[done:].tolist(), start=done):
                batch_X, batch_y, keep, soft = next(batches)       # the next mini-batch, augmented
                recorder.before_update(params)
                loss, accuracy = sgd_step(params, batch_X, batch_y, eta, config.lam, keep, soft)   # one step of SGD
                limit = DIVERGENCE_FACTOR * max(1.0, loss) if t == 0 else limit
                _check_loss(t, eta, loss, limit)                    # stops a run whose loss blows up
                if on_cycle_end is not None and (t + 1) % cycle == 0:
                    on_cycle_end((t + 1) // cycle, params)
                recorder.after_update(t + 1, params, loss, accuracy)   # records evaluated in a thread
    except Diverged as err:
        err.history = recorder.history()
        raise
    state.update(steps=config.total_steps, limit=limit, **recorder.state())
    return params, recorder.history()
