"""The runs a store trains, as tasks for a pool, in the order that ends them soonest: the longest first, and the
longest one in two halves when a worker would otherwise idle (``parallel.train_task`` trains each)."""

import heapq
from dataclasses import dataclass, replace

from ..core.train import TrainConfig
from .continuing import continuable, needed
from .progress import work


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
