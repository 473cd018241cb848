"""Independent runs in this process, a process pool or on a Dask cluster, the data sent once per worker: a
memory-mapped copy that the workers of this machine share, or ``Client.scatter`` to those of another."""

import atexit
import ctypes
import importlib
import ipaddress
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
import weakref
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, ThreadPoolExecutor, wait
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..core.checks import positive_int, require
from ..core.data import data_fingerprint

SCHEDULER_TIMEOUT = 10   # seconds to wait for a Dask scheduler to answer
OWNER_CHECK_SECONDS = 0.5   # how often a pool's worker checks that the process that owns it is alive
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3   # glibc's mallopt parameters


def executor(workers=None, scheduler=None):
    """Where independent runs go: the executor of the Dask cluster at ``scheduler`` if one is
    given, else a process pool of ``workers`` processes (None: one per core), or None (this
    process) for a single worker."""
    if scheduler:
        return _dask_executor(str(scheduler))
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
    """In a new worker: end with the process that owns the pool, however that ends (killed, out of memory), and
    import what a run needs."""
    threading.Thread(target=_end_with, args=(owner,), daemon=True, name="owner-watch").start()
    importlib.import_module(f"{__package__}.worker")


def _end_with(owner: int) -> None:
    """Exit this worker at once when its parent is no longer ``owner`` (it died: the worker was handed to init)."""
    while os.getppid() == owner:
        time.sleep(OWNER_CHECK_SECONDS)
    os._exit(1)


#: How a client finds its TLS files: Dask's own configuration, here as environment variables.
TLS_SETTINGS = ("DASK_DISTRIBUTED__COMM__TLS__CA_FILE", "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT",
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY")
TLS_HELP = ("make the cluster's files with `python -m assignment2 cluster-certs DIR`, which prints the scheduler, "
            "worker and client lines (docs/cluster.md)")


def _host(address: str) -> str:
    """The host of a scheduler address such as tcp://HOST:8786 or tls://[::1]:8786."""
    rest = address.split("://", 1)[-1]
    return rest[1:].split("]", 1)[0] if rest.startswith("[") else rest.rsplit(":", 1)[0] if ":" in rest else rest


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_scheduler(address: str) -> str:
    """``address`` if a client may connect to it: tls://, or tcp:// (or no scheme) on this machine's loopback;
    a plain address of another host only when Dask's distributed.comm.require-encryption is set to False
    (DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION=False). Otherwise a ConnectionError, before any connection."""
    import dask

    scheme = address.split("://", 1)[0] if "://" in address else "tcp"
    allowed = dask.config.get("distributed.comm.require-encryption", None) is False
    if scheme == "tls" or _loopback(_host(address)) or allowed:
        return address
    raise ConnectionError(f"scheduler {address}: a plain {scheme}:// address of another machine lets anyone who "
                          "reaches its port run code on every worker; use TLS (tls://, with the certificates of "
                          f"`python -m assignment2 cluster-certs DIR`), or on a network you trust allow it with "
                          "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION=False")


def _dask_executor(address: str):
    try:
        from distributed import Client
        from distributed.security import Security
    except ImportError:
        raise ImportError("scheduler needs Dask: pip install -e '.[cluster]'") from None
    check_scheduler(address)
    security = None
    if address.startswith("tls://"):
        security = Security(require_encryption=True)     # its files from Dask's configuration
        if not (security.tls_ca_file and security.tls_client_cert):
            raise ConnectionError(f"scheduler {address}: this client has no TLS certificate; set "
                                  f"{', '.join(TLS_SETTINGS)} ({TLS_HELP})")
    try:
        client = Client(address, timeout=SCHEDULER_TIMEOUT, security=security)
    except (OSError, TimeoutError, ValueError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        raise ConnectionError(f"scheduler {address}: no Dask scheduler accepted this client within "
                              f"{SCHEDULER_TIMEOUT} s ({type(err).__name__}: {reason[:300]}); check the address, "
                              "that the scheduler runs, and that client and scheduler use the same protocol "
                              f"and certificate authority ({TLS_HELP})") from None
    return client.get_executor()


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
