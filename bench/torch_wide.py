"""The wide run of ``python bench/timing.py --wide``, done by PyTorch on the CPU: a reference to time against.

Not part of the project and not one of its dependencies: run it with the Python of a separate
environment that has PyTorch (``pip install torch numpy tqdm threadpoolctl``), from the
repository root, with CIFAR10_DIR set::

    /path/to/torch-venv/bin/python bench/torch_wide.py [--threads 2] [--repeat 3]

The same network (3072 -> 1024 ReLU -> 10), data (the "search" split, standardised by this
project's loader), batch 100, random flips and translations of up to 2 px with zero padding,
inverted dropout 0.3, L2 penalty lam (weight decay 2 lam on the weights), plain SGD with the
cyclical learning rate, one cycle of n_s = 900 and one evaluation of the training and
validation sets at the end.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.timing import WIDE  # noqa: E402  (the run's settings, shared with our side)
from assignment2.study.splits import load_split  # noqa: E402


def augment(X: torch.Tensor, translate: int) -> torch.Tensor:
    """Random flips and shifts of up to ``translate`` px (zero fill) of X (n, 3072), one gather."""
    n = len(X)
    images = torch.nn.functional.pad(X.view(n, 3, 32, 32), [translate] * 4)
    pixels = torch.arange(32)
    flipped = torch.rand(n) < 0.5
    dy, dx = torch.randint(-translate, translate + 1, (2, n))
    rows = translate - dy[:, None] + pixels
    cols = translate - dx[:, None] + torch.where(flipped[:, None], 31 - pixels, pixels)
    out = images[torch.arange(n)[:, None, None, None], torch.arange(3)[:, None, None], rows[:, None, :, None],
                 cols[:, None, None, :]]
    return out.reshape(n, -1)


def run(train, val, seed: int = 0) -> float:
    torch.manual_seed(seed)
    X, y = torch.from_numpy(train[0]), torch.from_numpy(train[1].astype(np.int64))
    Xv, yv = torch.from_numpy(val[0]), torch.from_numpy(val[1].astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(3072, WIDE["hidden"]), torch.nn.ReLU(),
                                torch.nn.Dropout(WIDE["dropout"]), torch.nn.Linear(WIDE["hidden"], 10))
    decay = [p for name, p in model.named_parameters() if name.endswith("weight")]
    rest = [p for name, p in model.named_parameters() if name.endswith("bias")]
    optimiser = torch.optim.SGD([{"params": decay, "weight_decay": 2 * WIDE["lam"]}, {"params": rest}], lr=0.0)
    n_s, steps, batch = WIDE["n_s"], 2 * WIDE["n_s"], WIDE["batch_size"]
    eta_min, eta_max = WIDE["eta_min"], WIDE["eta_max"]
    start = time.perf_counter()
    order, position = torch.randperm(len(y)), 0
    for t in range(steps):
        if position + batch > len(y):
            order, position = torch.randperm(len(y)), 0
        rows = order[position:position + batch]
        position += batch
        phase = t % (2 * n_s)
        for group in optimiser.param_groups:
            group["lr"] = eta_min + (eta_max - eta_min) * min(phase, 2 * n_s - phase) / n_s
        loss = torch.nn.functional.cross_entropy(model(augment(X[rows], WIDE["translate"])), y[rows])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        accs = [(model(A).argmax(1) == b).float().mean().item() for A, b in ((X, y), (Xv, yv))]
    seconds = time.perf_counter() - start
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads: {seconds:.1f} s "
          f"(train acc {accs[0]:.4f}, val acc {accs[1]:.4f})", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train, val, _ = load_split("search", dtype=np.float32)
    for seed in range(args.repeat):
        run(train, val, seed)


if __name__ == "__main__":
    main()
