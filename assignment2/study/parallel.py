"""Independent runs in this process, a process pool or on a Dask cluster, the data sent once per worker: a
memory-mapped copy that the workers of this machine share, or ``Client.scatter`` to those of another; and
``train_task``, what a worker does with one of the store's tasks."""

import atexit
import ctypes
import multiprocessing
import os
import platform
import shutil
import signal
import tempfile
import threading
import time
import weakref
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..core.checks import positive_int, require
from ..core.data import data_fingerprint
from ..core.history import METRICS
from ..core.train import Diverged, train_run
from .cluster import dask_executor

OWNER_CHECK_SECONDS = 0.5   # how often a pool's worker checks that the process that owns it is alive
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3   # glibc's mallopt parameters


def executor(workers=None, scheduler=None):
    """Where independent runs go: the executor of the Dask cluster at ``scheduler`` if one is
    given, else a process pool of ``workers`` processes (None: one per core), or None (this
    process) for a single worker."""
    if scheduler:
        return dask_executor(str(scheduler))
    workers = (os.cpu_count() or 1) if workers is None else positive_int("workers", workers)
    if workers == 1:
        return None
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                               initargs=(os.getpid(),))
    with _interrupts_ignored():   # the workers start now, in the background, rather than at the first run
        for _ in range(workers):
            pool.submit(int)
    return pool


@contextmanager
def _interrupts_ignored():
    """SIGINT ignored while workers are started, so that they start with it ignored: an interrupt to the process
    group (Ctrl-C, a kernel shutting down) is the owner's to handle, and never reaches a worker half-started,
    still importing NumPy. (An interrupt in these milliseconds is lost; a second one is not.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _start_worker(owner: int) -> None:
    """In a new worker: end with the process that owns the pool, however that ends (killed, out of memory)."""
    threading.Thread(target=_end_with, args=(owner,), daemon=True, name="owner-watch").start()


def _end_with(owner: int) -> None:
    """Exit this worker at once when its parent is no longer ``owner`` (it died: the worker was handed to init)."""
    while os.getppid() == owner:
        time.sleep(OWNER_CHECK_SECONDS)
    os._exit(1)


class _Mapped:
    """(X, y) pairs saved as .npy files in ``folder``; a worker maps them once and keeps them."""

    def __init__(self, folder: str, n_pairs: int):
        self.folder, self.n_pairs = folder, n_pairs

    def load(self):
        return _load_mapped(self.folder, self.n_pairs)


@lru_cache(maxsize=2)
def _load_mapped(folder: str, n_pairs: int):
    if not Path(folder).is_dir():
        raise FileNotFoundError(f"shared data folder {folder} is not visible to this worker: "
                                "a process pool must run on the machine that wrote it")
    return tuple(tuple(np.load(Path(folder) / f"{i}_{name}.npy", mmap_mode="r") for name in "Xy")
                 for i in range(n_pairs))


_shared = weakref.WeakKeyDictionary()   # executor -> {data fingerprint: handle}
_tmp_root: list = []


def release() -> None:
    """Delete every copy of data shared with workers so far (done anyway when this process exits)."""
    _shared.clear()
    while _tmp_root:
        shutil.rmtree(_tmp_root.pop(), ignore_errors=True)


atexit.register(release)


def _mapped_copy(data, fingerprint: str) -> _Mapped:
    if not _tmp_root:
        _tmp_root.append(tempfile.mkdtemp(prefix="assignment2-shared-"))
    folder = Path(_tmp_root[0]) / fingerprint.replace(":", "-")
    if not folder.is_dir():
        staging = Path(tempfile.mkdtemp(dir=_tmp_root[0]))
        for i, pair in enumerate(data):
            for name, array in zip("Xy", pair):
                np.save(staging / f"{i}_{name}.npy", np.ascontiguousarray(array))
        os.replace(staging, folder)
    return _Mapped(str(folder), len(data))


def _is_dask(pool) -> bool:
    return type(pool).__module__.startswith("distributed")


def share(pool, data, fingerprint=None):
    """A handle that puts the (X, y) pairs ``data`` on the workers of ``pool`` once, however
    many tasks use it (None or a thread pool: the arrays themselves). ``fingerprint``:
    ``data_fingerprint(*data)``, if the caller has it already."""
    if pool is None or isinstance(pool, ThreadPoolExecutor):
        return data
    handles = _shared.setdefault(pool, {})
    fingerprint = fingerprint or data_fingerprint(*data)
    if fingerprint not in handles:
        handle = _mapped_copy(data, fingerprint)
        if _is_dask(pool):   # workers on other machines cannot see the copy: send them the arrays
            seen = pool._client.run(os.path.isdir, handle.folder)
            if not (seen and all(seen.values())):
                handle = pool._client.scatter(tuple(data), broadcast=True, hash=False)
        handles[fingerprint] = handle
    return handles[fingerprint]


@lru_cache(maxsize=None)
def _keep_temporaries_on_the_heap() -> None:
    """Undo a slowdown of Dask's workers: the nanny starts them with MALLOC_TRIM_THRESHOLD_ set,
    which in glibc also fixes the mmap threshold at 128 KiB, so every mini-batch temporary is
    mmap'd, zero-filled and unmapped afresh, and training runs about half as fast."""
    if os.environ.get("MALLOC_TRIM_THRESHOLD_") is None:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:   # not glibc: the variable means nothing there
        return
    libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)   # glibc's largest allowed value
    libc.mallopt(M_TRIM_THRESHOLD, 256 << 20)


def _call(task, item, handle):
    """Run ``task(item, *data)`` on a worker, ``data`` resolved from ``handle``."""
    _keep_temporaries_on_the_heap()
    data = handle.load() if isinstance(handle, _Mapped) else handle
    return task(item, *data)


def slots(pool) -> int:
    """How many tasks ``pool`` runs at once: its processes, or its Dask workers' threads."""
    if _is_dask(pool):
        return max(1, sum(pool._client.nthreads().values()))
    return getattr(pool, "_max_workers", 1 << 20)


def run_tasks(task, items, data, pool=None, fingerprint=None):
    """Yield (i, task(items[i], *data)) as each finishes: ``task`` a module-level function, ``data`` (X, y) pairs sent
    once per worker. A pool gets the next item each time one ends; ``items`` may grow meanwhile, and an item with
    ``with_threads(n)`` gets the workers no other unfinished one needs. pool None: here, in order."""
    require(pool is None or isinstance(pool, Executor), "executor",
            "None or a concurrent.futures.Executor", type(pool).__name__)
    todo = items if isinstance(items, list) else list(items)
    if not todo:     # nothing to run: no data shared (an empty copy under the data's fingerprint would shadow it)
        return
    if pool is None:
        for i, item in enumerate(todo):
            yield i, task(item, *data)
        return
    handle, workers, running, next_task = share(pool, data, fingerprint), slots(pool), {}, 0
    try:
        while next_task < len(todo) or running:
            while next_task < len(todo) and len(running) < workers:
                item, unfinished = todo[next_task], len(running) + len(todo) - next_task
                if unfinished < workers and hasattr(item, "with_threads"):     # spare cores: BLAS threads
                    item = item.with_threads(workers // unfinished)
                running[pool.submit(_call, task, item, handle)] = next_task
                next_task += 1
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                yield running.pop(future), future.result()
    finally:
        for future in running:
            future.cancel()


def map_tasks(task, items, data, pool=None) -> list:
    """[task(item, *data) for item in items], run on ``pool`` (see ``run_tasks``)."""
    items = list(items)
    results = [None] * len(items)
    for i, result in run_tasks(task, items, data, pool):
        results[i] = result
    return results


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
    """Train one ``tasks.Task`` on a worker (``train.train_run``): its History (a dict), row, snapshot arrays, end
    state and how it was trained (the machine, its own seconds, the run it continues). data: the (train, val) pairs
    of each input, the task's the ``inputs``-th, then for a run that distils the teacher's probabilities of both
    views."""
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
