"""Command line: ``python -m assignment2 train ...`` and ``python -m assignment2 search ...``.

Every TrainConfig field is an option (``--n-s 800 --n-cycles 3 --dtype float32 --flip
--translate 2 --dropout 0.1``); the search runs in parallel (``--workers N``, or ``--scheduler ADDRESS`` for a Dask cluster).
"""

import argparse
import sys
from dataclasses import fields

import numpy as np

from .core.data import load_cifar10, write_synthetic
from .core.files import save_table
from .study.experiments import run_all
from .study.parallel import executor
from .study.search import best_runs, sample_lambdas, search_lambdas
from .study.store import RunStore
from .core.train import TrainConfig


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assignment2", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("train", help="train one network and save its History")
    run.add_argument("--out", default="history.json", help="where to save the History (JSON)")
    search = commands.add_parser("search", help="random search of lambda on a log scale (resumes from the store)")
    search.add_argument("--n", type=int, default=20, help="number of lambdas")
    search.add_argument("--l-min", type=float, default=-5, help="log10 of the smallest lambda")
    search.add_argument("--l-max", type=float, default=-1, help="log10 of the largest lambda")
    search.add_argument("--results", default="search.csv", help="results file (CSV)")
    search.add_argument("--workers", type=int, default=None, help="runs at once in a process pool (default: one per core)")
    search.add_argument("--scheduler", default=None, help="address of a Dask scheduler to run the search on instead")
    synthetic = commands.add_parser("synthetic", help="write a small synthetic data set in the CIFAR-10 format")
    synthetic.add_argument("root", help="folder to write the batch files to")
    synthetic.add_argument("--n-per-batch", type=int, default=200, help="images per batch file")
    synthetic.add_argument("--seed", type=int, default=0)
    for sub, split in ((run, "ex3"), (search, "search")):
        sub.add_argument("--split", default=split, help="data split: ex3, search or final")
        sub.add_argument("--root", default=None, help="CIFAR-10 folder (default: $CIFAR10_DIR or the cache)")
        sub.add_argument("--store", default=None, help="the run store: a run kept there is read, not trained again "
                         "(default: $ASSIGNMENT2_STORE or build/runs)")
        for f in fields(TrainConfig):
            option = "--" + f.name.replace("_", "-")
            if isinstance(f.default, bool):      # --flip / --no-flip
                sub.add_argument(option, action=argparse.BooleanOptionalAction, default=f.default)
            else:
                sub.add_argument(option, type=type(f.default), default=f.default, help=f"(default {f.default})")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "synthetic":
        print(f"synthetic data set written to {write_synthetic(args.root, args.n_per_batch, args.seed)}")
        return 0
    try:
        config = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})
        train_data, val_data, test_data = load_cifar10(args.split, args.root, dtype=config.dtype)
        if args.command == "train":
            [(history, row)] = run_all([config], (train_data, val_data, test_data), RunStore(args.store), progress=True)
            history.save(args.out)
            print(f"training accuracy {row['train_acc']:.4f}, validation accuracy {row['val_acc']:.4f}, "
                  f"test accuracy {row['test_acc']:.4f}; history saved to {args.out}")
        else:
            lambdas = sample_lambdas(args.n, args.l_min, args.l_max, np.random.default_rng(config.seed))
            pool = executor(args.workers, args.scheduler)
            rows = search_lambdas(lambdas, train_data, val_data, config, RunStore(args.store), executor=pool,
                                  progress=True)
            save_table(rows, args.results)
            for row in best_runs(rows):
                print(f"lambda {row['lambda']:.3e}: validation accuracy {row['val_acc']:.4f}")
            print(f"{len(rows)} runs in {args.results}")
    except (ValueError, FileNotFoundError, FloatingPointError, ConnectionError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
