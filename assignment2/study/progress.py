"""What a notebook is doing, for a person watching a build: a line per network and one at least every
``HEARTBEAT`` seconds, with its step in the report's words and the time left (lines, not a bar, on stderr)."""

import os
import sys
import threading
import time
from contextlib import contextmanager

HEARTBEAT = 60.0   # seconds between two lines while a network trains
#: A training image's cost beyond the hidden layer (the batch's gather, the softmax, the records), in hidden units:
#: with it a run's ``work`` is about proportional to its seconds at every width (measured: m = 50 to 1024).
OVERHEAD_UNITS = 20


def work(config, updates: int | None = None) -> float:
    """The work of ``updates`` updates (None: all) of a run of ``config``: images seen times (hidden units + 20)."""
    updates = config.total_steps if updates is None else updates
    return updates * config.batch_size * (config.hidden + OVERHEAD_UNITS)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


class _Step:
    """The networks of one step as the pool trains them: handed out in order, ``workers`` at a time, the network of a
    first half handed out again at the end (``parallel.run_tasks``); the work left of each, and since when each of
    those running runs."""

    def __init__(self, works: dict, workers: int):
        self.left, self.workers, self.waiting, self.started = dict(works), workers, list(works), {}
        self._hand_out()

    def _hand_out(self) -> None:
        while self.waiting and len(self.started) < self.workers:
            self.started[self.waiting.pop(0)] = time.monotonic()

    def finished(self, network, work: float, whole: bool) -> None:
        """A task of ``network`` ended after ``work``; ``whole``: the network is done, not its first half."""
        self.left[network] -= work
        self.started.pop(network, None)
        if network in self.waiting:
            self.waiting.remove(network)
        if not whole:
            self.waiting.append(network)
        self._hand_out()

    def seconds_left(self, rate: float) -> float:
        """At ``rate`` seconds per unit of work: each network's work left, less what it has run if it runs, shared
        by the workers, but no network done sooner than alone."""
        now = time.monotonic()
        each = [max(work * rate - (now - self.started[n] if n in self.started else 0.0), 0.0)
                for n, work in self.left.items() if work > 0]
        return max(sum(each) / self.workers, max(each, default=0.0))


class Progress:
    """The progress lines of one notebook (``notebook``: its number and name, "06 bonus"), written to ``stream``
    (None: stderr); ``step`` names what it trains next, ``expect`` the work ahead."""

    def __init__(self, notebook: str, stream=None):
        self.notebook, self.stream, self.label = notebook, stream, "training"
        self.trained = self.read = 0
        self.expected = self.later = None   # the work of the whole notebook and of the build's later notebooks
        self.accounted = 0.0        # the work trained or read so far
        self.done = self.spent = 0.0    # the work trained so far, and the seconds it took
        self.read_speed = [0.0, 0.0]    # the seconds and work of the networks read that this machine trained

    def step(self, label: str) -> None:
        self.label = label

    def expect(self, work: float, later: float | None = None) -> None:
        """The ``work`` the whole notebook trains, networks read from the store included, and the work of the
        build's later notebooks: the time left in the notebook and in the build is told too."""
        self.expected, self.later = work, later

    def say(self, text: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {self.notebook}, {self.label}: {text}", file=self.stream or sys.stderr,
              flush=True)

    @contextmanager
    def networks(self, works: dict, read: int, workers: int = 1, read_work: float = 0.0, read_speed=(0.0, 0.0)):
        """Around one batch of networks: ``works``, network -> the work to train it; ``read``, how many of the batch
        the store had (``read_work``: the work of those new to the notebook; ``read_speed``: the seconds and work of
        those this machine trained, the speed told before a network is trained); ``workers``, how many train at once.
        Yields ``finished(network, work, seconds, whole)``, to call when a task of ``work`` ends after ``seconds``
        of its own (``whole``: the network is done, not its first half)."""
        self.read += read
        self.accounted += read_work
        self.read_speed = [total + new for total, new in zip(self.read_speed, read_speed)]
        if not works:
            if read:
                self.say(f"{read} networks read from the store")
            yield lambda network, work, seconds, whole: None
            return
        step, count = _Step(works, max(1, min(workers, len(works)))), [0]
        status = lambda: "this step is done" if count[0] == len(works) else self._left(step)

        def finished(network, work: float, seconds: float, whole: bool) -> None:
            step.finished(network, work, whole)
            self.done, self.accounted, self.spent = self.done + work, self.accounted + work, self.spent + seconds
            if whole:
                count[0] += 1
                self.trained += 1
                self.say(f"network {count[0]} of {len(works)} trained ({self.trained} trained, {self.read} read "
                         f"in this notebook); {status()}")

        self.say(f"training {len(works)} networks" + (f", {read} read from the store" if read else ""))
        with self._heartbeat(lambda: f"training network {min(count[0] + 1, len(works))} of {len(works)}; {status()}"):
            yield finished

    def _left(self, step: "_Step") -> str:
        """The time left in the step, and in the notebook and the build if told ahead: at the speed of the notebook's
        tasks so far, the step's, then the notebook's later steps and the later notebooks' by a worker per core (or
        per worker of the step, if it has more)."""
        seconds, done = (self.spent, self.done) if self.done else self.read_speed
        if not done:
            return "time left: measured after the first network"
        rate = seconds / done
        left = step.seconds_left(rate)
        text = f"about {_duration(left)} left in this step"
        if self.expected is None:
            return text
        workers = max(step.workers, os.cpu_count() or 1)
        notebook = left + max(self.expected - self.accounted - sum(step.left.values()), 0.0) * rate / workers
        text += f", {_duration(notebook)} in {self.notebook}"
        if self.later is None:
            return text
        return f"{text}, {_duration(notebook + self.later * rate / workers)} in the build"

    @contextmanager
    def _heartbeat(self, text):
        """A line ``text()`` every HEARTBEAT seconds, from a thread, while the block runs."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(HEARTBEAT):
                self.say(text())

        threading.Thread(target=beat, daemon=True, name="progress").start()
        try:
            yield
        finally:
            stop.set()
