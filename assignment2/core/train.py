"""Mini-batch gradient descent with a cyclical learning rate, and the History it records."""

import json
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from .augment import MAX_TRANSLATE, BatchMover, random_moves
from .checks import non_negative, one_of, positive_int, require
from .files import write_atomic
from .network import Params, SoftTargets, check_data, dropout_mask, evaluate, init_params, penalty
from .schedule import cyclical_lr, linear_lr
from .step import SGDStep

COST_METHODS = ("full", "running_mean", "ema")
DTYPES = ("float64", "float32")
SCHEDULES = ("cyclical", "range_test")
EMA_DECAY = 0.99
#: A run has diverged when a mini-batch loss exceeds this many times max(1, the first mini-batch loss).
DIVERGENCE_FACTOR = 100


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
    momentum: float = 0.0           # heavy-ball momentum on the loss gradient (0: plain SGD)
    schedule: str = "cyclical"      # or "range_test": eta rises linearly from eta_min to eta_max over all steps
    distill: float = 0.0            # weight alpha of a teacher's soft targets in the loss (0: the labels alone)
    temperature: float = 1.0        # temperature T of distillation

    def __post_init__(self):
        positive_int("batch_size", self.batch_size)
        non_negative("eta_min", self.eta_min)
        non_negative("eta_max", self.eta_max)
        require(self.eta_min <= self.eta_max, "eta_min", f"<= eta_max ({self.eta_max})", self.eta_min)
        positive_int("n_s", self.n_s)
        positive_int("n_cycles", self.n_cycles)
        non_negative("lam", self.lam)
        positive_int("records_per_cycle", self.records_per_cycle)
        require(self.records_per_cycle <= 2 * self.n_s, "records_per_cycle",
                f"<= 2 * n_s ({2 * self.n_s})", self.records_per_cycle)
        require(isinstance(self.record_cycles, int) and 0 <= self.record_cycles <= self.n_cycles, "record_cycles",
                f"an integer from 0 to n_cycles ({self.n_cycles})", self.record_cycles)
        one_of("cost_method", self.cost_method, COST_METHODS)
        require(isinstance(self.seed, int) and self.seed >= 0, "seed", "an integer >= 0", self.seed)
        one_of("dtype", self.dtype, DTYPES)
        positive_int("hidden", self.hidden)
        require(isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1, "dropout",
                "a number in [0, 1)", self.dropout)
        require(isinstance(self.flip, bool), "flip", "True or False", self.flip)
        require(isinstance(self.translate, int) and not isinstance(self.translate, bool)
                and 0 <= self.translate <= MAX_TRANSLATE, "translate",
                f"an integer number of pixels from 0 to {MAX_TRANSLATE}", self.translate)
        require(isinstance(self.momentum, (int, float)) and 0 <= self.momentum < 1, "momentum",
                "a number in [0, 1)", self.momentum)
        one_of("schedule", self.schedule, SCHEDULES)
        require(isinstance(self.distill, (int, float)) and not isinstance(self.distill, bool)
                and 0 <= self.distill <= 1, "distill", "a number in [0, 1]", self.distill)
        require(isinstance(self.temperature, (int, float)) and 0 < self.temperature < math.inf, "temperature",
                "a finite number > 0", self.temperature)

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


class Diverged(FloatingPointError):
    """A run stopped because its mini-batch loss stopped being finite or grew far beyond its start.

    ``history``: what the run recorded before it stopped (set by ``train``).
    """

    def __init__(self, message: str, step: int, eta: float, loss: float):
        super().__init__(message)
        self.step, self.eta, self.loss, self.history = step, eta, loss, None


METRICS = ("train_cost", "train_loss", "train_acc", "val_cost", "val_loss", "val_acc")


@dataclass
class History:
    """What a run recorded: one entry per record, plus the config that made it."""

    config: dict
    step: list = field(default_factory=list)
    eta: list = field(default_factory=list)
    train_cost: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_cost: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    time: list = field(default_factory=list)   # seconds since the start of the run

    def append(self, **record) -> None:
        for name, value in record.items():
            getattr(self, name).append(value if name == "step" else float(value))

    def final(self) -> dict:
        """The last record as a dict."""
        return {f.name: getattr(self, f.name)[-1] for f in fields(self) if f.name != "config"}

    def save(self, path) -> None:
        write_atomic(path, json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path) -> "History":
        with open(path) as f:
            return cls(**json.load(f))


def fresh_params(config: TrainConfig, d: int, k: int = 10) -> Params:
    """Initial parameters for ``config``: hidden size, dtype and seed taken from it."""
    return init_params(d, config.hidden, k, rng=np.random.default_rng(config.seed), dtype=config.dtype)


def train_run(config: TrainConfig, train_data, val_data, keep: int = 1, soft_targets=None, progress: bool = False,
              start=None):
    """Train a network from ``fresh_params(config, d)``: (History, {cycle: Params at the end of that
    cycle} for the last ``keep`` cycles (the last one holds the final parameters), the end state
    (see ``train``)).

    start: (History, snapshots, state) of a finished run of this config on fewer cycles, as this
    function returned them, to continue from: the result is the same, to the bit, as a run from
    step 0. Its snapshots must hold its last cycle end and those of the last ``keep`` cycles that it covers.
    train_data, val_data: (X (n, d), y (n,)); soft_targets: see ``train``. Raises ``Diverged``."""
    keep = positive_int("keep", keep)
    before, snapshots, state = start or (None, {}, {})
    state = dict(state)
    if start:
        done = before.config["n_cycles"]
        require(before.config == {**asdict(config), "n_cycles": done} and done < config.n_cycles, "start",
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
        _, history = train(params, train_data, val_data, config, progress=progress, on_cycle_end=snapshot,
                           soft_targets=soft_targets, state=state)
    except Diverged as err:
        err.history = _joined(before, err.history)
        raise
    return _joined(before, history), snapshots, state


def _joined(before: History | None, after: History) -> History:
    """The records of ``before`` (a run's first cycles) then ``after``'s, under ``after``'s config."""
    if before is None:
        return after
    return History(after.config, **{f.name: getattr(before, f.name) + getattr(after, f.name)
                                    for f in fields(History) if f.name != "config"})


def _dataset(params: Params, data, name: str, dtype):
    """Checked (X (n, d), y (n,)) from a pair, X converted to ``dtype``."""
    require(isinstance(data, (tuple, list)) and len(data) == 2, name, "an (X, y) pair", type(data).__name__)
    X, y = check_data(params, *data, prefix=f"{name} ")
    return np.ascontiguousarray(X, dtype=dtype), y


class _BatchAverage:
    """Running mean or exponential moving average of per-batch (cost, loss, accuracy)."""

    def __init__(self, method: str):
        self.method, self.count, self.value = method, 0, np.zeros(3)

    def state(self) -> list:
        """[count, cost, loss, accuracy]: what ``restore`` continues from, exactly (JSON floats)."""
        return [self.count, *self.value.tolist()]

    def restore(self, state: list) -> None:
        self.count, self.value = int(state[0]), np.array(state[1:], dtype=float)

    def add(self, values) -> None:
        self.count += 1
        if self.method == "running_mean":
            self.value += (np.asarray(values) - self.value) / self.count
        else:
            self.value = np.asarray(values, float) if self.count == 1 else \
                EMA_DECAY * self.value + (1 - EMA_DECAY) * np.asarray(values)


def learning_rates(config: TrainConfig) -> np.ndarray:
    """The learning rate of every update step, (total_steps,)."""
    steps = np.arange(config.total_steps)
    if config.schedule == "range_test":
        return linear_lr(steps, config.eta_min, config.eta_max, config.total_steps)
    return cyclical_lr(steps, config.eta_min, config.eta_max, config.n_s)


def _batches(X: np.ndarray, y: np.ndarray, config: TrainConfig, dtype, soft_targets=None, start: int = 0):
    """The mini-batches of a run, in order, from update ``start`` on: (X (b, d), y (b,), dropout
    multipliers (b, m) or None, SoftTargets or None). The random draws of the updates before
    ``start`` are made and dropped, so that a continued run gets the batches of a run from step 0.

    Rows are drawn without replacement from a permutation renewed every epoch (``config.seed``);
    flips, translations and dropout masks come from a second generator seeded by ``config.seed``.
    soft_targets (views, n, K): a mirrored image takes the teacher's probabilities of view 1
    (the mirror images) if there is one; a translated image keeps those of its unshifted view.
    """
    n, batch = len(y), config.batch_size
    rng = np.random.default_rng(config.seed)
    noise = np.random.default_rng([config.seed, 1])   # augmentation and dropout
    order, position = rng.permutation(n), 0
    mover = BatchMover(batch, config.translate, dtype) if config.augments else None
    for t in range(config.total_steps):
        if position + batch > n:
            order, position = rng.permutation(n), 0
        rows = order[position:position + batch]
        position += batch
        moves = random_moves(batch, noise, config.flip, config.translate) if config.augments else None
        keep = dropout_mask(noise, (batch, config.hidden), config.dropout, dtype) if config.dropout else None
        if t < start:
            continue
        rows = np.sort(rows)
        batch_X, view = X[rows], 0
        if moves is not None:
            dy, dx, flipped = moves
            batch_X = mover(batch_X, dy, dx, flipped)
            view = np.minimum(flipped, len(soft_targets) - 1) if soft_targets is not None else 0
        soft = None if soft_targets is None else SoftTargets(soft_targets[view, rows], config.distill,
                                                             config.temperature)
        yield batch_X, y[rows], keep, soft


def _soft_targets(soft_targets, n: int, k: int, config: TrainConfig):
    """The teacher's probabilities as (views, n, K) float64, or None when the run does not distil."""
    if not config.distill:
        return None
    require(soft_targets is not None, "soft_targets", f"a teacher's probabilities when distill > 0 "
            f"(distill = {config.distill})", None)
    P = np.asarray(soft_targets, dtype=np.float64)
    P = P[None] if P.ndim == 2 else P
    require(P.ndim == 3 and P.shape[1:] == (n, k) and len(P) in (1, 2), "soft_targets",
            f"teacher probabilities of shape ({n}, {k}), or (2, {n}, {k}) for the plain and the mirror images",
            f"shape {np.shape(soft_targets)}")
    require(np.isfinite(P).all() and (P >= 0).all() and np.allclose(P.sum(axis=2), 1, atol=1e-4),
            "soft_targets", "probabilities: >= 0, each row summing to 1", "other numbers")
    return P


def train(params: Params, train_data, val_data, config: TrainConfig, progress: bool = False, on_cycle_end=None,
          blas_threads: int = 1, soft_targets=None, state: dict | None = None):
    """Train a copy of ``params`` for exactly ``config.total_steps`` updates; return (Params, History).

    train_data, val_data: (X (n, d), y (n,)) pairs. soft_targets: a teacher's class probabilities
    for the training images, (n, K), or (2, n, K) for them and their mirror images; used (and
    needed) when ``config.distill`` > 0, with the loss of ``network.SoftTargets``. The training
    set is reshuffled every epoch (seeded by ``config.seed``); records follow ``config.record_steps()``. Flips,
    translations and dropout masks are drawn afresh for every mini-batch from a second
    generator seeded by ``config.seed``. BLAS runs with ``blas_threads`` threads (one: the
    default, for runs side by side, one per core) while the records are evaluated on a snapshot
    of the parameters in a second thread, so the updates and the full-data evaluations share
    the cores. ``on_cycle_end(cycle, params)``, if given, is called after the last update of
    every cycle (cycle = 1, 2, ...); copy params to keep them.

    state: a dict that ``train`` fills with where the run stopped ({"steps", "limit": the
    divergence limit, "averages": the batch averages' state or None, "seconds"}). Passed back with a
    config that differs only by more cycles, and the run's final ``params``, it makes ``train``
    continue the run: exactly as a run from step 0 would go on, its History holding the new records.
    Only a cyclical schedule without momentum (whose velocity is not kept) can be continued.
    """
    require(isinstance(config, TrainConfig), "config", "a TrainConfig", type(config).__name__)
    require(isinstance(params, Params), "params", "a network's Params", type(params).__name__)
    require(params.W1.shape[0] == config.hidden, "params", f"a network of config.hidden = {config.hidden} hidden "
            "units (the config is the one source of truth of the network's shape)",
            f"W1 of shape {params.W1.shape}: {params.W1.shape[0]} hidden units")
    blas_threads = positive_int("blas_threads", blas_threads)
    dtype = np.dtype(config.dtype)
    params = params.astype(dtype)
    X, y = _dataset(params, train_data, "train_data", dtype)
    Xv, yv = _dataset(params, val_data, "val_data", dtype)
    lam = config.lam
    require(config.batch_size <= len(y), "batch_size", f"<= the number of training samples ({len(y)})",
            config.batch_size)
    soft_targets = _soft_targets(soft_targets, len(y), params.W2.shape[0], config)
    state = {} if state is None else state
    done = state.get("steps", 0)
    require(done == 0 or (config.schedule == "cyclical" and not config.momentum and done < config.total_steps),
            "state", f"the end of a cyclical run without momentum before step {config.total_steps}", done)
    etas = learning_rates(config)
    record_at = set(config.record_steps().tolist())
    averages = None if config.cost_method == "full" else _BatchAverage(config.cost_method)
    if done and averages is not None:
        averages.restore(state["averages"])
    limit = state.get("limit")
    update = SGDStep(params, config.momentum)
    batches = _batches(X, y, config, dtype, soft_targets, start=done)
    start = time.perf_counter() - state.get("seconds", 0.0)

    def record(step: int, snapshot: Params, train_metrics) -> dict:
        if train_metrics is None:
            train_metrics = evaluate(snapshot, X, y, lam)
        metrics = dict(zip(METRICS, train_metrics + evaluate(snapshot, Xv, yv, lam)))
        return dict(step=step, eta=float(etas[step - 1]), **metrics, time=time.perf_counter() - start)

    records = []
    with threadpool_limits(blas_threads), ThreadPoolExecutor(1) as evaluator, \
            np.errstate(over="ignore", invalid="ignore"), \
            tqdm(total=config.total_steps, initial=done, disable=not progress, desc="training", leave=False) as bar:
        for t, eta in enumerate(etas[done:].tolist(), start=done):
            batch_X, batch_y, keep, soft = next(batches)
            batch_penalty = float(penalty(params, lam)) if averages is not None else None   # before the update
            loss, acc = update(params, batch_X, batch_y, eta, lam, keep, soft)
            if t == 0:
                limit = DIVERGENCE_FACTOR * max(1.0, loss)
            if not (math.isfinite(loss) and loss <= limit):
                err = Diverged(
                    f"training diverged at step {t} (learning rate {eta:.3g}): the mini-batch loss is {loss:.4g}, "
                    f"above {limit:.4g} ({DIVERGENCE_FACTOR} times its start); "
                    "lower eta_max or check the scaling of the data", t, eta, loss)
                err.history = _history(config, records)
                raise err
            if averages is not None:
                averages.add((loss + batch_penalty, loss, acc))
            bar.update()
            if on_cycle_end is not None and (t + 1) % (2 * config.n_s) == 0:
                on_cycle_end((t + 1) // (2 * config.n_s), params)
            if t + 1 in record_at:
                train_metrics = None if averages is None else tuple(averages.value.tolist())
                records.append(evaluator.submit(record, t + 1, params.copy(), train_metrics))
    history = _history(config, records)
    state.update(steps=config.total_steps, limit=limit, averages=None if averages is None else averages.state(),
                 seconds=time.perf_counter() - start)
    return params, history


def _history(config: TrainConfig, records) -> History:
    """The History of the evaluated records (futures of ``train``'s record dicts)."""
    history = History(config=asdict(config))
    for future in records:
        history.append(**future.result())
    return history
