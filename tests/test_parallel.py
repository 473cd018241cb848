"""Runs in parallel: the same rows in-process, in a process pool and on a Dask cluster; resume after a killed worker."""

import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest

from assignment2.study.splits import load_split
from assignment2.core import data
from assignment2.study import cluster, experiments, parallel, search, store
from assignment2.core.files import read_table
from assignment2.__main__ import main
from assignment2.study.store import RunStore
from assignment2.core.train import TrainConfig

CONFIG = TrainConfig(n_s=10, batch_size=50, records_per_cycle=2, hidden=10)
LAMBDAS = [1e-4, 1e-3, 1e-2, 1e-1]
store_train = store.train_task   # the real one, for tasks that wrap it
RESULT = ("lambda", "seed", "val_acc", "val_cost", "train_acc")


@pytest.fixture(scope="module")
def split(synthetic_root):
    return load_split("search", synthetic_root)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def key_results(rows):
    return sorted(tuple(row[k] for k in RESULT) for row in rows)


def test_same_rows_in_process_in_a_process_pool_and_on_dask(split, tmp_path, dask_client):
    local = search.search_lambdas(LAMBDAS, *split[:2], CONFIG, RunStore(tmp_path / "local"))
    with ProcessPoolExecutor(2) as pool:
        pooled = search.search_lambdas(LAMBDAS, *split[:2], CONFIG, RunStore(tmp_path / "pool"), executor=pool)
    on_dask = search.search_lambdas(LAMBDAS, *split[:2], CONFIG, RunStore(tmp_path / "dask"),
                                    executor=dask_client.get_executor())
    assert key_results(local) == key_results(pooled) == key_results(on_dask)
    for rows in (pooled, on_dask):
        assert len({r["lambda"] for r in rows}) == len(rows) == len(LAMBDAS)


def test_runs_of_every_seed_in_parallel_match_in_process_runs(synthetic_root, tmp_path):
    ex3 = load_split("ex3", synthetic_root)
    config = TrainConfig(n_s=5, batch_size=50, records_per_cycle=5, hidden=8, n_cycles=2)
    with parallel.executor(workers=2) as pool:
        pooled = experiments.over_seeds({"a": config, "b": replace(config, hidden=4)}, [0, 1, 2], ex3,
                                        RunStore(tmp_path / "pool"), pool)
    histories, rows = pooled["a"]
    assert len(histories[0].step) == 10 and len(histories[1].step) == 1   # curves for the first seed only
    for seed, row in zip([0, 1, 2], rows):
        [(history, local)] = experiments.run_all([replace(config, seed=seed)], ex3, RunStore(tmp_path / "here"))
        same = lambda r: {k: v for k, v in vars(r).items() if k not in ("seconds", "run")}   # run: a key of its records too
        assert same(row) == same(local)
        assert histories[seed].val_cost[-1] == history.val_cost[-1]
    assert [r.hidden for r in pooled["b"][1]] == [4, 4, 4]


def test_data_travel_once_per_worker_not_per_task(split):
    with parallel.executor(workers=2) as pool:
        handle = parallel.share(pool, split[:2])
        assert parallel.share(pool, split[:2]) is handle          # written once, reused by every task
        assert len(pickle.dumps(handle)) < 1000                   # what each task carries
        train, val = handle.load()
        np.testing.assert_array_equal(train[0], split[0][0])
        np.testing.assert_array_equal(val[1], split[1][1])
    pair = split[:2]
    assert parallel.share(None, pair) is pair


def test_no_task_shares_no_data_so_a_later_share_of_the_same_data_is_whole(split):
    with parallel.executor(workers=2) as pool:
        fingerprint = data.data_fingerprint(*split[:2])
        assert list(parallel.run_tasks(len, [], (), pool, fingerprint=fingerprint)) == []
        train, val = parallel.share(pool, split[:2], fingerprint).load()
        np.testing.assert_array_equal(train[0], split[0][0])


def _dies_on_large_lambda(task, *args):
    """A task that kills its worker process mid-search (for lambda >= 1e-2)."""
    if task.config.lam >= 1e-2:
        time.sleep(0.5)
        os._exit(1)
    return store_train(task, *args)


def test_resume_after_a_worker_is_killed_mid_search(split, tmp_path, monkeypatch):
    runs = RunStore(tmp_path / "runs")
    monkeypatch.setattr(store, "train_task", _dies_on_large_lambda)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        with pytest.raises(BrokenProcessPool):
            search.search_lambdas(LAMBDAS, *split[:2], CONFIG, runs, executor=pool)
    survived = runs.trained
    assert survived <= 2 and len(list((tmp_path / "runs").iterdir())) == survived   # whole entries only

    calls = []
    monkeypatch.setattr(store, "train_task", lambda task, *args: calls.append(task.config.lam) or store_train(task, *args))
    rows = search.search_lambdas(LAMBDAS, *split[:2], CONFIG, RunStore(tmp_path / "runs"))
    assert len(calls) == len(LAMBDAS) - survived and set(calls) >= {1e-2, 1e-1}
    assert [r["lambda"] for r in rows] == LAMBDAS
    assert key_results(rows) == key_results(search.search_lambdas(LAMBDAS, *split[:2], CONFIG, RunStore(tmp_path / "ref")))


def test_dask_workers_that_cannot_see_the_copy_get_the_arrays_scattered(split, tmp_path, dask_client, monkeypatch):
    real = parallel._mapped_copy
    monkeypatch.setattr(parallel, "_mapped_copy", lambda data, fp: parallel._Mapped(str(tmp_path / "elsewhere"), len(data)))
    parallel.release()
    pool = dask_client.get_executor()
    assert not isinstance(parallel.share(pool, split[:2]), parallel._Mapped)
    rows = search.search_lambdas(LAMBDAS[:2], *split[:2], CONFIG, RunStore(tmp_path / "scattered"), executor=pool)
    monkeypatch.setattr(parallel, "_mapped_copy", real)
    parallel.release()
    assert key_results(rows) == key_results(search.search_lambdas(LAMBDAS[:2], *split[:2], CONFIG, RunStore(tmp_path / "here")))


def test_search_on_a_dask_local_cluster_resumes(split, tmp_path, dask_client):
    runs = RunStore(tmp_path)
    pool = dask_client.get_executor()
    first = search.search_lambdas(LAMBDAS[:2], *split[:2], CONFIG, runs, executor=pool)
    rows = search.search_lambdas(LAMBDAS, *split[:2], CONFIG, runs, executor=pool, seeds=[0, 1])
    assert len(first) == 2 and len(rows) == 8 and (runs.trained, runs.read) == (8, 2)
    assert key_results([r for r in rows if r["seed"] == 0 and r["lambda"] in LAMBDAS[:2]]) == key_results(first)
    assert sorted((r["lambda"], r["seed"]) for r in rows) == sorted((lam, s) for lam in LAMBDAS for s in (0, 1))


def test_unreachable_scheduler_is_a_clear_error_within_the_timeout(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(cluster, "SCHEDULER_TIMEOUT", 2)
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match=r"^scheduler tcp://127.0.0.1:9: no Dask scheduler accepted this client within 2 s"):
        parallel.executor(scheduler="tcp://127.0.0.1:9")
    assert time.perf_counter() - start < 10


def test_bad_workers_and_executor_are_named():
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        parallel.executor(workers=0)
    assert parallel.executor(workers=1) is None
    with pytest.raises(ValueError, match="executor must be None or a concurrent.futures.Executor"):
        list(parallel.run_tasks(abs, [1], (), pool="two"))


def test_cli_workers_and_scheduler_flags(synthetic_root, tmp_path, capsys, monkeypatch):
    args = ["search", "--root", str(synthetic_root), "--n", "2", "--n-s", "5", "--batch-size", "100"]
    assert main(args + ["--results", str(tmp_path / "a.csv"), "--workers", "2", "--store", str(tmp_path / "a")]) == 0
    assert main(args + ["--results", str(tmp_path / "b.csv"), "--workers", "1", "--store", str(tmp_path / "b")]) == 0
    assert key_results(read_table(tmp_path / "a.csv")) == key_results(read_table(tmp_path / "b.csv"))
    monkeypatch.setattr(cluster, "SCHEDULER_TIMEOUT", 1)
    assert main(args + ["--results", str(tmp_path / "c.csv"), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "error: scheduler tcp://127.0.0.1:9: no Dask scheduler accepted this client" in capsys.readouterr().err
    assert not (tmp_path / "c.csv").exists()


def test_pool_workers_leave_interrupts_to_their_owner():
    """A kernel's interrupt reaches the whole process group: the workers must not die with a traceback."""
    import signal
    with parallel.executor(workers=2) as pool:
        pids, deadline = set(), time.monotonic() + 30      # wait until every worker has started
        while len(pids) < 2 and time.monotonic() < deadline:
            pids |= {future.result() for future in [pool.submit(os.getpid) for _ in range(20)]}
        assert pids == {process.pid for process in pool._processes.values()}
        for process in pool._processes.values():
            os.kill(process.pid, signal.SIGINT)
        time.sleep(0.3)
        assert all(process.is_alive() for process in pool._processes.values())
        assert pool.submit(sum, [3, 4]).result() == 7


def test_distilled_members_in_a_process_pool_match_in_process_ones(synthetic_root, tmp_path):
    from assignment2.core.ensemble import Teacher
    ex3 = load_split("ex3", synthetic_root, dtype=np.float32)[:2]
    teacher = replace(CONFIG, dtype="float32", flip=True, n_cycles=2)
    taught = Teacher(tuple(RunStore(tmp_path / "t").runs([teacher], *ex3)), 1)
    students = [replace(teacher, distill=0.5, temperature=2.0, seed=seed) for seed in (0, 1)]
    local = RunStore(tmp_path / "local").runs(students, *ex3, teacher=taught)
    with parallel.executor(workers=2) as pool:
        pooled = RunStore(tmp_path / "pool").runs(students, *ex3, executor=pool, teacher=taught)
    for a, b in zip(local, pooled):
        for name, array in a.last()[0].arrays().items():
            np.testing.assert_array_equal(b.last()[0].arrays()[name], array, err_msg=name)


@pytest.mark.parametrize("workers", [None, 2])
def test_a_task_appended_while_the_results_are_read_runs_too(workers):
    tasks, seen = [-1, -2], []
    pool = ProcessPoolExecutor(workers) if workers else None
    try:
        for i, result in parallel.run_tasks(abs, tasks, (), pool):
            seen.append((i, result))
            if result == 1:
                tasks.append(-3)          # a follow-up of the first task
    finally:
        if pool:
            pool.shutdown()
    assert sorted(seen) == [(0, 1), (1, 2), (2, 3)]


OWNER = """
import os, signal, sys, time
from assignment2.study.parallel import executor
{body}
"""


def _owner(body: str, **options) -> subprocess.Popen:
    """A process that owns a pool, in a process group of its own (so that a signal to its group reaches no other)."""
    return subprocess.Popen([sys.executable, "-c", OWNER.format(body=body)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, **options)


def test_a_pool_started_and_stopped_at_once_is_quiet_even_when_its_group_is_interrupted():
    """As a kernel that shuts down: its process group gets an interrupt while the workers are still starting."""
    owner = _owner("""
signal.signal(signal.SIGINT, lambda *args: None)      # the owner handles an interrupt, as a kernel does
for delay in (0.0, 0.1, 0.2, 0.3, 0.4, 0.6):          # the workers at every stage of their start
    pool = executor(2)
    time.sleep(delay)
    os.killpg(0, signal.SIGINT)
    pool.shutdown(wait=True)
for _ in range(6):
    executor(2).shutdown(wait=True)
print("done")
""")
    out, err = owner.communicate(timeout=120)
    assert owner.returncode == 0 and out == "done\n"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_the_workers_of_a_killed_owner_end_within_seconds(how):
    owner = _owner("""
pool = executor(2)
busy = [pool.submit(time.sleep, 120) for _ in range(2)]     # both workers in the middle of a run
time.sleep(1)
print(" ".join(str(pid) for pid in pool._processes), flush=True)
time.sleep(120)
""")
    workers = [int(pid) for pid in owner.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    owner.send_signal(how)
    owner.wait(timeout=10)
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
