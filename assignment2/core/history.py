"""What a run records: the History of its costs and accuracies, evaluated beside the training in a thread."""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from .config import TrainConfig
from .files import load_json, save_json
from .network import Params, evaluate, penalty

METRICS = ("train_cost", "train_loss", "train_acc", "val_cost", "val_loss", "val_acc")
EMA_DECAY = 0.99


@dataclass
class History:
    """A run's records, one entry per record, and its config."""

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
        return {f.name: getattr(self, f.name)[-1] for f in fields(self) if f.name != "config"}

    def save(self, path) -> None:
        save_json(asdict(self), path)

    @classmethod
    def from_dict(cls, saved: dict) -> "History":
        return cls(**{**saved, "config": TrainConfig(**saved["config"])})

    @classmethod
    def load(cls, path) -> "History":
        return cls.from_dict(load_json(path))

    def joined(self, later: "History") -> "History":
        """These records (a run's first cycles) then ``later``'s, under ``later``'s config."""
        return History(later.config, **{f.name: getattr(self, f.name) + getattr(later, f.name)
                                        for f in fields(History) if f.name != "config"})


class Recorder:
    """A run's records at ``config.record_steps()`` (the training cost the whole data's or the batches' average),
    evaluated on a copy of the parameters in a thread while training goes on; ``state``: where it continues."""

    def __init__(self, config, train_data, val_data, etas: np.ndarray, state: dict):
        self.config, self.train_data, self.val_data, self.etas = config, train_data, val_data, etas
        self.due = set(config.record_steps().tolist())
        self.averaged = config.cost_method != "full"     # the batches' running mean or moving average
        count, *average = state["averages"] if state.get("steps") and self.averaged else (0, 0.0, 0.0, 0.0)
        self.count, self.average = int(count), np.array(average, dtype=float)
        self.start = time.perf_counter() - state.get("seconds", 0.0)
        self.records, self.penalty = [], None

    def __enter__(self) -> "Recorder":
        self.evaluator = ThreadPoolExecutor(1)
        return self

    def __exit__(self, *exc) -> None:
        self.evaluator.shutdown(wait=True)

    def before_update(self, params: Params) -> None:
        if self.averaged:
            self.penalty = float(penalty(params, self.config.lam))

    def after_update(self, step: int, params: Params, loss: float, accuracy: float) -> None:
        if self.averaged:
            self.count, batch = self.count + 1, np.array((loss + self.penalty, loss, accuracy))
            if self.config.cost_method == "running_mean":
                self.average += (batch - self.average) / self.count
            else:
                self.average = batch if self.count == 1 else EMA_DECAY * self.average + (1 - EMA_DECAY) * batch
        if step in self.due:
            averaged = tuple(self.average.tolist()) if self.averaged else None
            self.records.append(self.evaluator.submit(self._record, step, params.copy(), averaged))

    def _record(self, step: int, snapshot: Params, averaged) -> dict:
        lam = self.config.lam
        metrics = averaged if averaged is not None else evaluate(snapshot, *self.train_data, lam)
        metrics = dict(zip(METRICS, metrics + evaluate(snapshot, *self.val_data, lam)))
        return dict(step=step, eta=float(self.etas[step - 1]), **metrics, time=time.perf_counter() - self.start)

    def history(self) -> History:
        history = History(config=self.config)
        for future in self.records:
            history.append(**future.result())
        return history

    def state(self) -> dict:
        return {"averages": [self.count, *self.average.tolist()] if self.averaged else None,
                "seconds": time.perf_counter() - self.start}
