"""Spare cores as BLAS threads: a run's result is the same to the bit with 1, 2, 3 or 4 threads (more threads than
cores are fine for the test), for plain, whitened, augmented-with-dropout and distilled runs."""

import numpy as np
import pytest

from assignment2.core.train import TrainConfig, train_run
from assignment2.core.whiten import whitened, zca
from assignment2.study import parallel
from assignment2.study.tasks import Task

#: Big enough products (batch 100 x 3072 x 64) for OpenBLAS to split them among its threads.
BASE = TrainConfig(n_s=15, n_cycles=1, batch_size=100, hidden=64, records_per_cycle=2, dtype="float32", lam=1e-3)
KINDS = {"plain": {}, "whitened": {"whiten": 0.1}, "augmented with dropout": {"flip": True, "translate": 2,
                                                                            "dropout": 0.3},
         "distilled": {"distill": 0.5, "temperature": 2.0}}


@pytest.fixture(scope="module")
def data(ex3):
    (X, y), (X_val, y_val) = (pair for pair in ex3[:2])
    return (X.astype(np.float32), y), (X_val.astype(np.float32), y_val)


@pytest.mark.parametrize("kind", KINDS)
def test_a_run_is_the_same_to_the_bit_with_1_to_4_blas_threads(data, kind):
    config = TrainConfig(**{**vars(BASE), **KINDS[kind]})
    (X, y), (X_val, y_val) = data
    if config.whiten:
        Z = zca(X, config.whiten)
        X, X_val = whitened(X, Z), whitened(X_val, Z)
    rng = np.random.default_rng(0)
    soft = rng.dirichlet(np.ones(10), size=(2, len(y))) if config.distill else None
    results = [train_run(config, (X, y), (X_val, y_val), soft_targets=soft, blas_threads=n) for n in (1, 2, 3, 4)]
    (history, snapshots, _) = results[0]
    for other_history, other_snapshots, _ in results[1:]:
        assert other_history.val_cost == history.val_cost and other_history.train_acc == history.train_acc
        for name, array in snapshots[1].arrays().items():
            np.testing.assert_array_equal(other_snapshots[1].arrays()[name], array, err_msg=name)


def test_a_task_alone_in_a_pool_takes_the_spare_workers_as_threads():
    config = TrainConfig()
    with parallel.executor(workers=2) as pool:
        seen = dict(parallel.run_tasks(_threads, [Task(0, config, 1)], (), pool))
        assert seen == {0: 2}
        seen = dict(parallel.run_tasks(_threads, [Task(i, config, 1) for i in range(3)], (), pool))
        assert seen == {0: 1, 1: 1, 2: 1}       # the last one is handed out while another still runs


def _threads(task: Task) -> int:
    return task.threads
