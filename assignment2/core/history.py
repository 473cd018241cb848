"""What a run records: the History of its costs and accuracies, evaluated beside the training in a thread."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from .config import TrainConfig
from .files import write_atomic
from .network import Params, evaluate, penalty

METRICS = ("train_cost", "train_loss", "train_acc", "val_cost", "val_loss", "val_acc")
EMA_DECAY = 0.99


@dataclass
class History:
    """What a run recorded: one entry per record, plus the config that made it."""

    config: TrainConfig
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
    def from_dict(cls, saved: dict) -> "History":
        """The History of ``asdict(history)`` (its config a dict there)."""
        return cls(**{**saved, "config": TrainConfig(**saved["config"])})

    @classmethod
    def load(cls, path) -> "History":
        with open(path) as f:
            return cls.from_dict(json.load(f))

    def joined(self, later: "History") -> "History":
        """These records (a run's first cycles) then ``later``'s, under ``later``'s config."""
        return History(later.config, **{f.name: getattr(self, f.name) + getattr(later, f.name)
                                        for f in fields(History) if f.name != "config"})


class BatchAverage:
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


class Recorder:
    """A run's records at ``config.record_steps()``: cost, loss and accuracy of the training data (all of it, or
    ``config.cost_method``'s average over the mini-batches) and of the validation data, evaluated on a copy of the
    parameters in a thread while training goes on. A context manager; ``state``: where a continued run stopped."""

    def __init__(self, config, train_data, val_data, etas: np.ndarray, state: dict):
        self.config, self.train_data, self.val_data, self.etas = config, train_data, val_data, etas
        self.due = set(config.record_steps().tolist())
        self.averages = None if config.cost_method == "full" else BatchAverage(config.cost_method)
        if state.get("steps") and self.averages is not None:
            self.averages.restore(state["averages"])
        self.start = time.perf_counter() - state.get("seconds", 0.0)
        self.records, self.penalty = [], None

    def __enter__(self) -> "Recorder":
        self.evaluator = ThreadPoolExecutor(1)
        return self

    def __exit__(self, *exc) -> None:
        self.evaluator.shutdown(wait=True)

    def before_update(self, params: Params) -> None:
        """Note the L2 penalty of the parameters a mini-batch is evaluated with (its cost is loss + penalty)."""
        if self.averages is not None:
            self.penalty = float(penalty(params, self.config.lam))

    def after_update(self, step: int, params: Params, loss: float, accuracy: float) -> None:
        """Add the mini-batch to the averages, and record after ``step`` updates if a record is due."""
        if self.averages is not None:
            self.averages.add((loss + self.penalty, loss, accuracy))
        if step in self.due:
            averaged = None if self.averages is None else tuple(self.averages.value.tolist())
            self.records.append(self.evaluator.submit(self._record, step, params.copy(), averaged))

    def _record(self, step: int, snapshot: Params, averaged) -> dict:
        lam = self.config.lam
        metrics = averaged if averaged is not None else evaluate(snapshot, *self.train_data, lam)
        metrics = dict(zip(METRICS, metrics + evaluate(snapshot, *self.val_data, lam)))
        return dict(step=step, eta=float(self.etas[step - 1]), **metrics, time=time.perf_counter() - self.start)

    def history(self) -> History:
        """The History of the records made so far (waiting for those still being evaluated)."""
        history = History(config=self.config)
        for future in self.records:
            history.append(**future.result())
        return history

    def state(self) -> dict:
        """The averages' state and the seconds so far: what a continued run starts from."""
        return {"averages": None if self.averages is None else self.averages.state(),
                "seconds": time.perf_counter() - self.start}
