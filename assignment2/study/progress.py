"""What a notebook is doing, for a person watching a build: plain lines, one per network trained and one at least
every ``HEARTBEAT`` seconds while networks train, each with the time, the notebook, its step in the report's words,
the networks trained and read so far and the time left in the step. Lines, not a bar redrawn in place: they read
the same in a terminal, a log file and a notebook (where they go to stderr, which ``make report`` shows)."""

import sys
import threading
import time
from contextlib import contextmanager

HEARTBEAT = 60.0   # seconds between two lines while a network trains


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


class Progress:
    """The progress lines of one notebook (``notebook``: its number and name, "06 bonus"), written to ``stream``
    (None: stderr); ``step`` names what it trains next."""

    def __init__(self, notebook: str, stream=None):
        self.notebook, self.stream, self.label = notebook, stream, "training"
        self.trained = self.read = 0
        self.expected = None        # the work the whole notebook trains, if its exercise can tell it ahead
        self.accounted = 0.0        # the work trained or read so far
        self.done = self.spent = 0.0    # the work trained so far, and the seconds it took

    def step(self, label: str) -> None:
        self.label = label

    def expect(self, work: float) -> None:
        """The work (updates times hidden units) the whole notebook is expected to train, networks read from the
        store included: the time left in the notebook is told too."""
        self.expected = work

    def say(self, text: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {self.notebook}, {self.label}: {text}", file=self.stream or sys.stderr,
              flush=True)

    @contextmanager
    def networks(self, works: list[float], read: int, workers: int = 1, read_work: float = 0.0):
        """Around one batch of networks: ``works``, the work of each to train (updates times hidden units), ``read``
        how many of the batch the store had (``read_work``: the work of those new to the notebook, which it need not
        train), ``workers`` how many train at once. Yields ``finished(work, seconds, network)``, to call when a
        task of ``work`` ends after ``seconds`` of its own (``network``: it finished a network, not the first half
        of one)."""
        self.read += read
        self.accounted += read_work
        if not works:
            if read:
                self.say(f"{read} networks read from the store")
            yield lambda work, seconds, network: None
            return
        total, done, count, since = sum(works), [0.0], [0], [time.monotonic()]
        workers = max(1, min(workers, len(works)))
        left = lambda: "this step is done" if count[0] == len(works) else \
            self._left(total - done[0], workers, time.monotonic() - since[0])

        def finished(work: float, seconds: float, network: bool) -> None:
            done[0] += work
            self.done, self.accounted, self.spent = self.done + work, self.accounted + work, self.spent + seconds
            since[0] = time.monotonic()
            if network:
                count[0] += 1
                self.trained += 1
                self.say(f"network {count[0]} of {len(works)} trained ({self.trained} trained, {self.read} read "
                         f"in this notebook); {left()}")

        self.say(f"training {len(works)} networks" + (f", {read} read from the store" if read else ""))
        with self._heartbeat(lambda: f"training network {min(count[0] + 1, len(works))} of {len(works)}; {left()}"):
            yield finished

    def _left(self, step: float, workers: int, since: float) -> str:
        """The time left in the step (``step``: its work left) and, if told ahead, in the notebook: the work left at
        the speed of the notebook's tasks so far, shared by the ``workers``, less the ``since`` seconds since the
        last task ended."""
        if not self.done:
            return "time left: measured after the first network"
        seconds = lambda work: _duration(max(work * self.spent / self.done / workers - since, 0.0))
        text = f"about {seconds(step)} left in this step"
        if self.expected is None:
            return text
        return f"{text}, {seconds(max(self.expected - self.accounted, step))} in {self.notebook}"

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
