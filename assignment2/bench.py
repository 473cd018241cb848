"""Time the default run: 1 cycle, n_s = 500, batch 100, m = 50, 10 full-data records.

``python -m assignment2.bench [--dtype float32 float64] [--repeat 3]``. Uses the real
"ex3" split when CIFAR10_DIR is set, else random data of the same shape (10,000 x 3072).
"""

import argparse
import os
import time

import numpy as np

from .data import load_cifar10
from .network import accuracy
from .train import TrainConfig, fresh_params, train


def run_flops(config: TrainConfig, n_train: int, n_val: int, d: int = 3072, k: int = 10) -> float:
    """Floating-point operations of one run (matrix products only)."""
    m, b = config.hidden, config.batch_size
    per_step = 4 * b * d * m + 6 * b * m * k       # forward + backward of one mini-batch
    per_record = 2 * (n_train + n_val) * (d * m + m * k)
    records = config.records_per_cycle * config.n_cycles
    return config.total_steps * per_step + records * per_record


def _data(dtype):
    if os.environ.get("CIFAR10_DIR"):
        train_data, val_data, test_data = load_cifar10("ex3", dtype=dtype)
        return "CIFAR-10 ex3 split", train_data, val_data, test_data
    rng = np.random.default_rng(0)
    make = lambda: (rng.standard_normal((10_000, 3072)).astype(dtype), rng.integers(0, 10, 10_000))
    return "random data (set CIFAR10_DIR for the real data)", make(), make(), make()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--repeat", type=int, default=3, help="runs per dtype; the best is reported")
    args = parser.parse_args(argv)
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
