"""The runs a store trains, as tasks for a pool: what a task is, how a worker trains it, and the order that
ends them soonest (the longest first, the longest one in two halves when a worker would otherwise idle)."""

import heapq
import os
import platform
import time
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..core.train import Diverged, TrainConfig, train_run
from .continuing import continuable, needed
from .progress import work

#: The numbers of a run's last record that its row keeps.
ROW = ("train_cost", "train_loss", "train_acc", "val_cost", "val_loss", "val_acc")


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


@dataclass(frozen=True)
class Task:
    """One run to train: the position of its run in the store's request (``run``), its config, how many of its
    last cycle ends to keep, the stored Run of its config on fewer cycles that it continues (or None), which
    of the data's inputs it trains on (``inputs``: plain, whitened ...), and its BLAS threads (more than one on
    the cores no other task of its batch needs: the result is the same to the bit)."""

    run: int
    config: TrainConfig
    keep: int
    start: object = None
    inputs: int = 0
    threads: int = 1

    def first_half(self, cycles: int) -> "Task":
        """This task trained to the end of ``cycles`` only, keeping the cycle ends its second half needs."""
        return replace(self, config=replace(self.config, n_cycles=cycles),
                       keep=len(needed(self.config, self.keep, cycles)))

    def with_threads(self, threads: int) -> "Task":
        return replace(self, threads=threads)

    def remaining(self) -> float:
        """The work left (``progress.work``) of its updates still to make."""
        return work(self.config, self.config.total_steps - (self.start.state["steps"] if self.start else 0))


def train_task(task: Task, *data) -> dict:
    """Train one task (see ``train.train_run``): its History (a dict), row, snapshot arrays, end state, and how it
    was trained (``trained``: the machine, the seconds of this task alone, the key of the run it continues).
    data: the (train, val) pairs of each input, the task's the ``inputs``-th, then for a run that distils the
    teacher's probabilities (n, K) of the plain and of the mirror images, a pair."""
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
    row = {**{name: last.get(name, float("nan")) for name in ROW}, "seconds": time.perf_counter() - begin, **diverged}
    trained = {"machine": machine(), "seconds": row["seconds"] - (start.row.seconds if start else 0.0),
               "continues": start.key if start else None}
    return {"history": asdict(history), "row": row, "state": state, "trained": trained,
            "snapshots": {cycle: params.arrays() for cycle, params in snapshots.items()}}


def makespan(chains: list[list[float]], workers: int) -> float:
    """The time ``run_tasks`` takes for ``chains`` (each the lengths of tasks that run one after another)
    on ``workers``: the first task of every chain queued in order, each later one when the one before ends."""
    queue, running, now = [(chain, 0) for chain in range(len(chains))], [], 0.0
    while queue or running:
        while queue and len(running) < workers:
            chain, part = queue.pop(0)
            heapq.heappush(running, (now + chains[chain][part], chain, part))
        now, chain, part = heapq.heappop(running)
        if part + 1 < len(chains[chain]):
            queue.append((chain, part + 1))
    return now


def halfway(tasks: list[Task], workers: int) -> int | None:
    """The cycles to train the first of ``tasks`` (the longest first) to before continuing it, when that shortens
    the time they take on ``workers``: a run much longer than the others then shares its cycles between two
    workers instead of leaving one idle at the end. None: no split."""
    if workers < 2 or not tasks or not continuable(tasks[0].config):
        return None
    first = tasks[0]
    done = first.start.config.n_cycles if first.start else 0
    middle = done + (first.config.n_cycles - done) // 2
    if middle == done:
        return None
    works = [task.remaining() for task in tasks]
    part = replace(first, config=replace(first.config, n_cycles=middle)).remaining()
    split = [[part, works[0] - part]] + [[w] for w in works[1:]]
    return middle if makespan(split, workers) < makespan([[w] for w in works], workers) else None
