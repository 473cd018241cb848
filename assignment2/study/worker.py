"""What a worker does with one of the store's tasks: it trains the run (``train.train_run``) and reports its
result, with how it was trained (the machine, its own seconds, the run it continues)."""

import os
import platform
import time
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..core.history import METRICS
from ..core.train import Diverged, train_run


def cpu_model() -> str:
    """This machine's CPU, as /proc/cpuinfo names it (else what ``platform`` knows)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


@lru_cache(maxsize=None)
def machine() -> str:
    """This machine, as the report names the one that trained a run: "AMD EPYC 7B13, 2 cores"."""
    return f"{cpu_model()}, {os.cpu_count()} cores"


def train_task(task, *data) -> dict:
    """Train one ``tasks.Task`` (``train.train_run``): its History (a dict), row, snapshot arrays, end state and how it
    was trained (the machine, its own seconds, the run it continues). data: the (train, val) pairs of each input,
    the task's the ``inputs``-th, then for a run that distils the teacher's probabilities of both views."""
    config, start = task.config, task.start
    train_data, val_data = data[2 * task.inputs:2 * task.inputs + 2]
    soft = np.stack(data[-1]) if config.distill else None
    begin = time.perf_counter() - (start.row.seconds if start else 0.0)
    try:
        history, snapshots, state = train_run(config, train_data, val_data, task.keep, soft,
                                              start=None if start is None else (start.history, start.snapshots,
                                                                                start.state),
                                              blas_threads=task.threads)
        diverged = {"diverged_at": None, "diverged_eta": None}
    except Diverged as err:
        history, snapshots, state = err.history, {}, None
        diverged = {"diverged_at": err.step, "diverged_eta": err.eta}
    last = history.final() if history.step else {}
    row = {**{name: last.get(name, float("nan")) for name in METRICS}, "seconds": time.perf_counter() - begin,
           **diverged}
    trained = {"machine": machine(), "seconds": row["seconds"] - (start.row.seconds if start else 0.0),
               "continues": start.key if start else None}
    return {"history": asdict(history), "row": row, "state": state, "trained": trained,
            "snapshots": {cycle: params.arrays() for cycle, params in snapshots.items()}}
