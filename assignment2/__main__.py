"""python -m assignment2: train one network or search lambda with the study's trainer, make a cluster's TLS files,
or write synthetic data.

Every option of a training run is an option here (--n-s 800 --flip --translate 2 ...). Runs are kept in the run
store (build/runs, or --store): a run asked for again is read, not trained again. The search runs in parallel
(--workers N), or on a Dask cluster (--scheduler ADDRESS).
"""

import argparse
import sys
from dataclasses import fields

import numpy as np

from .cluster_certs import DAYS, make_certificates, recipe
from .core.data import write_synthetic
from .study.splits import SPLITS, load_split
from .core.files import save_table
from .core.config import COST_METHODS, DTYPES, SCHEDULES, TrainConfig
from .study.experiments import run_all
from .study.parallel import executor
from .study.search import best_runs, sample_lambdas, search_lambdas
from .study.progress import Progress
from .study.store import RunStore

#: What each option of a training run means (a TrainConfig field each).
OPTIONS = {
    "batch_size": "images per update", "eta_min": "the smallest learning rate of a cycle",
    "eta_max": "the largest learning rate of a cycle", "n_s": "updates per half cycle",
    "n_cycles": "cycles of the learning rate", "lam": "the L2 penalty lambda",
    "records_per_cycle": "records of the costs and accuracies per cycle",
    "record_cycles": "record only in the last this many cycles (0: every cycle)",
    "cost_method": "how the training cost is recorded: on all training data, or averaged over the mini-batches",
    "seed": "the seed of the initial weights, the shuffling and the augmentation",
    "dtype": "the floating-point type of training", "hidden": "hidden units m",
    "dropout": "inverted dropout rate on the hidden layer", "flip": "mirror each training image with probability 1/2",
    "translate": "shift each training image by up to this many pixels",
    "schedule": "cyclical, or range_test: eta rising linearly from eta_min to eta_max",
    "whiten": "ZCA-whiten the inputs, epsilon this times the mean eigenvalue, fitted on the training split (0: plain)",
}
#: Options of a TrainConfig that need more than a command line gives (distillation needs a teacher's runs).
NOT_HERE = ("distill", "temperature")
CHOICES = {"cost_method": COST_METHODS, "dtype": DTYPES, "schedule": SCHEDULES}
SPLIT_HELP = ("the data: ex3 trains on data_batch_1 and validates on data_batch_2 (exercise 3); search trains on "
              "45,000 images of the five batches and validates on 5,000; final on 49,000 and 1,000")


def _add_training_options(parser, split: str, skip=()) -> None:
    """The data, the store and every TrainConfig field but ``skip`` as options of ``parser``."""
    parser.add_argument("--split", default=split, choices=list(SPLITS), help=SPLIT_HELP)
    parser.add_argument("--root", default=None, help="the CIFAR-10 folder (default: $CIFAR10_DIR, else the cache, "
                        "downloaded there if missing)")
    parser.add_argument("--store", default=None, help="the run store: a run kept there is read, not trained again "
                        "(default: $ASSIGNMENT2_STORE, else build/runs)")
    for f in fields(TrainConfig):
        if f.name in skip or f.name in NOT_HERE:
            continue
        option = "--" + f.name.replace("_", "-")
        if isinstance(f.default, bool):      # --flip / --no-flip
            parser.add_argument(option, action=argparse.BooleanOptionalAction, default=f.default, help=OPTIONS[f.name])
        else:
            parser.add_argument(option, type=type(f.default), default=f.default, choices=CHOICES.get(f.name),
                                help=OPTIONS[f.name])


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(prog="python -m assignment2", formatter_class=formatter,
                                     description="Train one network or search lambda with the study's trainer, or "
                                                 "write a synthetic data set.", epilog=__doc__.split("\n\n")[1])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{train,search,cluster-certs,synthetic}")
    run = commands.add_parser("train", help="train one network and save its History", formatter_class=formatter,
                              description="Train one network (or read it from the run store) and save its History "
                                          "(JSON); prints its training, validation and test accuracy.")
    run.add_argument("--out", default="history.json", help="where to save the History (JSON)")
    _add_training_options(run, "ex3")
    search = commands.add_parser("search", help="random search of lambda on a log scale", formatter_class=formatter,
                                 description="Train one network per lambda drawn from 10^U(l_min, l_max) (with --seed) "
                                             "and write a row per run to --results; runs already in the store are "
                                             "read, so an interrupted search resumes.")
    search.add_argument("--n", type=int, default=20, help="lambdas to draw")
    search.add_argument("--l-min", type=float, default=-5, help="log10 of the smallest lambda")
    search.add_argument("--l-max", type=float, default=-1, help="log10 of the largest lambda")
    search.add_argument("--results", default="search.csv", help="the results file (CSV, a row per run)")
    search.add_argument("--workers", type=int, default=None, help="runs at once in a process pool (default: one per "
                        "core)")
    search.add_argument("--scheduler", default=None,
                        help="the address of a Dask scheduler to run the search on instead")
    _add_training_options(search, "search", skip=("lam",))
    certs = commands.add_parser("cluster-certs", help="make the TLS files of a small Dask cluster",
                                formatter_class=formatter, description="Write a certificate authority of the "
                                "cluster's own and a certificate and key signed by it (keys readable by their owner "
                                "only) into a folder, and print the scheduler, worker and client lines that use them.")
    certs.add_argument("folder", help="the folder to write ca.pem, ca-key.pem, node.pem and node-key.pem to")
    certs.add_argument("--days", type=int, default=DAYS, help="days the certificates are valid")
    certs.add_argument("--host", default="127.0.0.1", help="the scheduler's address in the printed lines")
    synthetic = commands.add_parser("synthetic", help="write a small synthetic data set in the CIFAR-10 format",
                                    formatter_class=formatter, description="Write random images and labels in the "
                                    "format of CIFAR-10's python version, for tests and a quick run of the pipeline.")
    synthetic.add_argument("root", help="the folder to write the batch files to")
    synthetic.add_argument("--n-per-batch", type=int, default=200, help="images per batch file")
    synthetic.add_argument("--seed", type=int, default=0, help="the seed of the images and labels")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "synthetic":
        print(f"synthetic data set written to {write_synthetic(args.root, args.n_per_batch, args.seed)}")
        return 0
    if args.command == "cluster-certs":
        try:
            paths = make_certificates(args.folder, args.days)
        except (FileExistsError, ImportError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"the cluster's TLS files are in {args.folder}: copy ca.pem, node.pem and node-key.pem to every machine "
              "of the cluster (ca-key.pem signs new certificates: keep it here). Then:\n"
              + recipe({name: path.resolve() for name, path in paths.items()}, args.host))
        return 0
    try:
        config = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)})
        train_data, val_data, test_data = load_split(args.split, args.root, dtype=config.dtype)
        store = RunStore(args.store, Progress(args.command))
        if args.command == "train":
            [(history, row)] = run_all([config], (train_data, val_data, test_data), store)
            history.save(args.out)
            how = f"read from the run store {store.root}" if store.read else f"trained and kept in {store.root}"
            print(f"the run was {how}; training accuracy {row.train_acc:.4f}, validation accuracy "
                  f"{row.val_acc:.4f}, test accuracy {row.test_acc:.4f}; history saved to {args.out}")
        else:
            lambdas = sample_lambdas(args.n, args.l_min, args.l_max, np.random.default_rng(config.seed))
            rows = search_lambdas(lambdas, train_data, val_data, config, store,
                                  executor=executor(args.workers, args.scheduler))
            save_table(rows, args.results)
            for row in best_runs(rows):
                print(f"lambda {row['lambda']:.3e}: validation accuracy {row['val_acc']:.4f}")
            print(f"{len(rows)} runs in {args.results} ({store.summary()})")
    except (ValueError, FileNotFoundError, FloatingPointError, ConnectionError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
