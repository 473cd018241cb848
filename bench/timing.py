"""python bench/timing.py: time the default training run, a parallel lambda search, or the wide run.

By default: the default run (1 cycle, n_s = 500, batch 100, m = 50, 10 full-data records) in each
--dtype, on the real "ex3" split when CIFAR10_DIR is set, else on random data of the same shape
(10,000 x 3072). With --search N: N lambda runs with the search's settings (the "search" split,
2 cycles, n_s = 900) in this process, in a process pool of 2 and, with Dask installed, on a
2-worker LocalCluster. With --wide: one run of the wide network of notebook 06 (m = 1024, flips,
translations, dropout, one cycle on the "search" split) and its matrix products alone (its floor),
the run that bench/torch_wide.py does with PyTorch.
"""

import argparse
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from assignment2.core.network import EVAL_ROWS, accuracy
from assignment2.core.train import TrainConfig, fresh_params, train
from assignment2.study.experiments import search_n_s
from assignment2.study.parallel import release
from assignment2.study.search import search_lambdas
from assignment2.study.splits import load_split
from assignment2.study.store import RunStore


#: The wide run timed against PyTorch (bench/torch_wide.py reads these settings too).
WIDE = dict(hidden=1024, batch_size=100, flip=True, translate=2, dropout=0.3, lam=1e-4, eta_min=1e-5, eta_max=0.1,
            n_s=900, n_cycles=1)


def _seconds_per_call(function, calls: int, rounds: int = 5) -> float:
    """The fastest of ``rounds`` means over ``calls`` calls of ``function()``."""
    function()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def product_floor(config: TrainConfig, n_eval: int, d: int = 3072, k: int = 10) -> float:
    """Seconds that the matrix products of one run of ``config`` take alone, with NumPy's BLAS in this process:
    every update's two products (forward X W1^T, (b, d) by (d, m), and weight gradient X^T GH, into a
    preallocated array) and the forward products of one evaluation of ``n_eval`` rows, in blocks of EVAL_ROWS."""
    rng = np.random.default_rng(0)
    dtype, m, b = np.dtype(config.dtype), config.hidden, config.batch_size
    W1 = np.asfortranarray(rng.standard_normal((m, d)), dtype=dtype)
    W2 = rng.standard_normal((k, m)).astype(dtype)
    X, GH = rng.standard_normal((b, d)).astype(dtype), rng.standard_normal((b, m)).astype(dtype)
    gradient = np.empty((d, m), dtype=dtype)
    block = rng.standard_normal((EVAL_ROWS, d)).astype(dtype)
    step = _seconds_per_call(lambda: (X @ W1.T, np.matmul(X.T, GH, out=gradient)), 100)
    evaluation = _seconds_per_call(lambda: (block @ W1.T) @ W2.T, 10)
    return config.total_steps * step + n_eval / EVAL_ROWS * evaluation


def bench_wide(repeat: int, threads: int) -> None:
    """Time ``repeat`` wide runs (WIDE, float32, one record at the end, BLAS on ``threads`` threads)
    on the "search" split, against the time of their matrix products alone."""
    train_data, val_data, _ = load_split("search", dtype="float32")
    for seed in range(repeat):
        config = TrainConfig(**WIDE, seed=seed, dtype="float32", records_per_cycle=1, record_cycles=1)
        start = time.perf_counter()
        _, history = train(fresh_params(config, train_data[0].shape[1]), train_data, val_data, config,
                           blas_threads=threads)
        seconds = time.perf_counter() - start
        with threadpool_limits(threads):
            floor = product_floor(config, len(train_data[1]) + len(val_data[1]))
        print(f"assignment2 (NumPy, {threads} BLAS threads): {seconds:.1f} s (train acc {history.train_acc[-1]:.4f}, "
              f"val acc {history.val_acc[-1]:.4f}); its matrix products alone: {floor:.1f} s; "
              f"ratio {seconds / floor:.2f}", flush=True)


def run_flops(config: TrainConfig, n_train: int, n_val: int, d: int = 3072, k: int = 10) -> float:
    """Floating-point operations of one run (matrix products only)."""
    m, b = config.hidden, config.batch_size
    per_step = 4 * b * d * m + 6 * b * m * k       # forward + backward of one mini-batch
    per_record = 2 * (n_train + n_val) * (d * m + m * k)
    records = config.records_per_cycle * config.n_cycles
    return config.total_steps * per_step + records * per_record


def _data(dtype):
    if os.environ.get("CIFAR10_DIR"):
        train_data, val_data, test_data = load_split("ex3", dtype=dtype)
        return "CIFAR-10 ex3 split", train_data, val_data, test_data
    rng = np.random.default_rng(0)
    make = lambda: (rng.standard_normal((10_000, 3072)).astype(dtype), rng.integers(0, 10, 10_000))
    return "random data (set CIFAR10_DIR for the real data)", make(), make(), make()


def _timed_search(label: str, lambdas, split, config, pool) -> float:
    release()   # every search shares its data afresh
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        rows = search_lambdas(lambdas, *split, config, RunStore(tmp), executor=pool)   # a new store: all trained
        seconds = time.perf_counter() - start
    runs = ", ".join(f"{row['seconds']:.1f}" for row in rows)
    print(f"{label}: {seconds:.1f} s (each run: {runs} s)", flush=True)
    return seconds


def bench_search(n_runs: int, workers: int = 2) -> None:
    """Time ``n_runs`` lambda runs with the search's settings: in this process, in a process pool, on Dask."""
    train_data, val_data, _ = load_split("search", dtype="float32")
    config = TrainConfig(n_s=search_n_s(len(train_data[1]), 100), n_cycles=2, records_per_cycle=1,
                         record_cycles=1, dtype="float32")
    lambdas = 10.0 ** np.linspace(-5, -1, n_runs)
    split = (train_data, val_data)
    local = _timed_search(f"{n_runs} runs in this process", lambdas, split, config, None)
    with ProcessPoolExecutor(workers) as pool:
        pooled = _timed_search(f"{n_runs} runs, ProcessPoolExecutor({workers})", lambdas, split, config, pool)
    print(f"  process pool / in-process: {pooled / local:.2f}")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("Dask is not installed (pip install -e '.[cluster]'): LocalCluster not timed")
        return
    start = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        print(f"LocalCluster of {workers} workers started in {time.perf_counter() - start:.1f} s")
        on_dask = _timed_search(f"{n_runs} runs on the LocalCluster", lambdas, split, config, client.get_executor())
    print(f"  Dask LocalCluster / in-process: {on_dask / local:.2f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python bench/timing.py", description=__doc__.split("\n\n")[0]
                                     .split(": ", 1)[1].capitalize(), epilog=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--dtype", nargs="+", default=["float32", "float64"], choices=["float32", "float64"],
                        help="the floating-point types of the default run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per dtype; the best is reported")
    parser.add_argument("--search", type=int, metavar="N", help="time N lambda runs in parallel instead")
    parser.add_argument("--wide", action="store_true", help="time the wide run of notebook 06 instead (--repeat runs)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="BLAS threads of the wide run")
    args = parser.parse_args(argv)
    if args.search:
        return bench_search(args.search)
    if args.wide:
        return bench_wide(args.repeat, args.threads)
    for dtype in args.dtype:
        source, train_data, val_data, test_data = _data(dtype)
        config = TrainConfig(dtype=dtype)
        flops = run_flops(config, len(train_data[1]), len(val_data[1]))
        times = []
        for _ in range(args.repeat):
            params = fresh_params(config, train_data[0].shape[1])
            start = time.perf_counter()
            params, _ = train(params, train_data, val_data, config)
            times.append(time.perf_counter() - start)
        best = min(times)
        print(f"{dtype}: {best:.2f} s (best of {args.repeat}: {', '.join(f'{t:.2f}' for t in times)}), "
              f"{config.total_steps / best:.0f} steps/s, {flops / best / 1e9:.1f} GFLOP/s, "
              f"test accuracy {accuracy(params, *test_data):.4f} on {source}")


if __name__ == "__main__":
    main()
