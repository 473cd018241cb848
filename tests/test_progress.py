"""The progress lines a person reads during a build (one per network, the step in words, the time left), and
Ctrl-C."""

import io
import re
import time
from dataclasses import replace

import pytest
from papermill.engines import NBClientEngine

from assignment2.core.train import TrainConfig
from assignment2.report import execution
from assignment2.study import progress
from assignment2.study.progress import Progress
from assignment2.study.splits import load_split
from assignment2.study.store import RunStore


def test_a_line_per_network_with_its_step_counts_and_the_time_left():
    out = io.StringIO()
    tell = Progress("06 bonus", out)
    tell.step("stage 2: augmentation and whitening on 6 cycles (3 steps)")
    with tell.networks({0: 10.0, 1: 10.0, 2: 20.0, 3: 20.0}, read=2, workers=2) as finished:
        finished(0, 10.0, 30.0, True)       # 3 s per unit of work: 50 units left, 2 workers
        finished(2, 5.0, 15.0, False)       # the first half of a network: no network done yet
        finished(2, 15.0, 45.0, True)
    lines = out.getvalue().splitlines()
    assert all(re.match(r"\d\d:\d\d:\d\d 06 bonus, stage 2: augmentation and whitening on 6 cycles \(3 steps\): ", l)
               for l in lines)
    assert lines[0].endswith("training 4 networks, 2 read from the store")
    assert "network 1 of 4 trained (1 trained, 2 read in this notebook); about 75 s left in this step" in lines[1]
    assert "network 2 of 4 trained (2 trained, 2 read in this notebook); about 60 s left in this step" in lines[2]
    assert len(lines) == 3


def test_the_time_left_is_no_shorter_than_the_longest_network_left_alone(monkeypatch):
    """Two workers, and one long network left (the second half of a split run): it takes as long as its own work,
    not half of it; the notebook's later steps start after it, on both workers."""
    monkeypatch.setattr(progress.os, "cpu_count", lambda: 2)
    out = io.StringIO()
    tell = Progress("06 bonus", out)
    tell.expect(180.0, later=100.0)
    with tell.networks({0: 10.0, 1: 80.0}, read=0, workers=2) as finished:
        finished(0, 10.0, 10.0, True)       # 1 s per unit: 80 s left in network 1, on one worker, then 90 units
    line = out.getvalue().splitlines()[-1]  # on two (45 s): 125 s in 06; then 100 units on two cores: 175 s
    assert line.endswith("about 80 s left in this step, 2 min in 06 bonus, 3 min in the build"), line


def test_the_end_of_a_notebook_reads_the_seconds_its_last_network_has_left(monkeypatch):
    """The last step of a notebook, its work told ahead exactly: when one network ends and the other has run as
    long, the notebook has as little left as the step (it read minutes: the running network's whole work)."""
    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    out = io.StringIO()
    tell = Progress("06 bonus", out)
    tell.expect(200.0)
    with tell.networks({0: 100.0, 1: 100.0}, read=0, workers=2) as finished:
        clock[0] += 96.0
        finished(0, 100.0, 96.0, True)       # 0.96 s a unit: network 1 has 0 of its 96 s left
    assert out.getvalue().splitlines()[1].endswith("about 0 s left in this step, 0 s in 06 bonus")


def test_the_notebook_and_the_build_left_from_the_work_told_ahead(monkeypatch):
    """After this step, the notebook's later steps and the later notebooks run one network a core, whatever this
    step's workers (a timed step trains one network at a time)."""
    monkeypatch.setattr(progress.os, "cpu_count", lambda: 4)
    out = io.StringIO()
    tell = Progress("03 cyclical lr", out)
    tell.expect(1000.0, later=6000.0)
    with tell.networks({0: 100.0, 1: 100.0}, read=0, workers=1) as finished:
        finished(0, 100.0, 60.0, True)      # 0.6 s per unit: network 1's 60 s, then 800 units on 4 cores (120 s)
    assert out.getvalue().splitlines()[-1].endswith(                  # and 6000 on 4 cores: 900 s
        "about 60 s left in this step, 3 min in 03 cyclical lr, 18 min in the build")


def test_a_heartbeat_line_while_a_long_network_trains(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress, "HEARTBEAT", 0.05)
    tell = Progress("04 lambda search", out)
    with tell.networks({0: 1.0}, read=0) as finished:
        time.sleep(0.2)
        finished(0, 1.0, 0.2, True)
    lines = out.getvalue().splitlines()
    assert any("training network 1 of 1; time left: measured after the first network" in l for l in lines)
    assert lines[-1].endswith("network 1 of 1 trained (1 trained, 0 read in this notebook); this step is done")


def test_a_resumed_notebook_tells_the_time_left_at_the_speed_of_the_networks_it_read(monkeypatch):
    """Before its first network ends, a notebook that read networks this machine trained tells the time left at
    their speed, not "measured after the first network"."""
    monkeypatch.setattr(progress, "HEARTBEAT", 0.05)
    out = io.StringIO()
    tell = Progress("06 bonus", out)
    tell.expect(400.0)
    with tell.networks({}, read=2, read_work=200.0, read_speed=(100.0, 200.0)):
        pass
    with tell.networks({0: 100.0, 1: 100.0}, read=0, workers=2) as finished:
        time.sleep(0.2)
        lines = out.getvalue().splitlines()
        finished(0, 100.0, 50.0, True)
    assert lines[0].endswith("2 networks read from the store")
    assert re.search(r"training network 1 of 2; about 50 s left in this step, 50 s in 06 bonus$", lines[-1]), lines


def test_the_store_hands_on_the_speed_of_the_runs_it_read_that_this_machine_trained(synthetic_root, tmp_path):
    split = load_split("ex3", synthetic_root)[:2]
    config = TrainConfig(n_s=5, batch_size=50, records_per_cycle=1, hidden=4)
    [trained] = RunStore(tmp_path).runs([config], *split)
    tell = Progress("03 cyclical lr", io.StringIO())
    store = RunStore(tmp_path, tell)
    store.runs([config, replace(config, seed=1)], *split)
    assert tell.read_speed == [trained.row.seconds, progress.work(config)]
    store.runs([config], *split)                     # read again in the notebook: counted once
    assert tell.read_speed == [trained.row.seconds, progress.work(config)]


def test_the_store_tells_its_progress_and_a_batch_read_from_the_store_in_one_line(synthetic_root, tmp_path):
    split = load_split("ex3", synthetic_root)[:2]
    config = TrainConfig(n_s=5, batch_size=50, records_per_cycle=1, hidden=4)
    out = io.StringIO()
    store = RunStore(tmp_path, Progress("03 cyclical lr", out))
    store.doing("one and three cycles, every seed")
    store.runs([config], *split)
    store.runs([config], *split)
    lines = out.getvalue().splitlines()
    assert "network 1 of 1 trained" in lines[1] and lines[-1].endswith("1 networks read from the store")


def test_ctrl_c_ends_a_notebook_with_one_line_naming_the_networks_kept(tmp_path, monkeypatch, capsys):
    """papermill's engine turns Ctrl-C into one line (no traceback) and exit status 130; the kernel, in a
    session of its own, ends with its pool once papermill has gone (tests/test_parallel.py)."""
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    def leave(status):
        raise SystemExit(status)

    (tmp_path / "a.npz").write_bytes(b"")
    (tmp_path / "b.npz").write_bytes(b"")
    monkeypatch.setenv("ASSIGNMENT2_STORE", str(tmp_path))
    monkeypatch.setattr(NBClientEngine, "execute_managed_notebook", interrupt)
    monkeypatch.setattr(execution.os, "_exit", leave)
    nb = type("Managed", (), {"nb": type("NB", (), {"cells": []})()})()
    with pytest.raises(SystemExit) as stopped:
        execution.IPCEngine.execute_managed_notebook(nb, "python3")
    assert stopped.value.code == 130
    assert capsys.readouterr().err == ("interrupted: the run store keeps 2 networks, every one finished so far; "
                                       "`make report` continues from there\n")


def test_the_preparation_of_whitened_inputs_is_told_before_it_starts(synthetic_root, tmp_path):
    """Computing a ZCA matrix and whitening the images take most of a minute on CIFAR-10: each is told first."""
    split = load_split("ex3", synthetic_root)[:2]
    config = TrainConfig(n_s=5, batch_size=50, records_per_cycle=1, hidden=4, whiten=0.1)
    out = io.StringIO()
    RunStore(tmp_path, Progress("06 bonus", out)).runs([config], *split)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("computing the ZCA whitening of the training images (epsilon 0.1)")
    assert lines[1].endswith("whitening the training and validation images (epsilon 0.1)")
    assert "training 1 networks" in lines[2]


def test_a_network_that_runs_already_has_its_running_time_taken_off(monkeypatch):
    """Two networks of 100 s each start together: when the first ends, the second has run as long, and ends with it
    (the tail of a step read minutes when it had seconds left)."""
    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    out = io.StringIO()
    tell = Progress("06 bonus", out)
    with tell.networks({0: 100.0, 1: 100.0, 2: 50.0}, read=0, workers=2) as finished:
        clock[0] += 95.0
        finished(0, 100.0, 95.0, True)       # 0.95 s a unit; network 1 has run 95 of its 95 s, network 2 starts
        clock[0] += 1.0
        finished(1, 100.0, 96.0, True)
    lines = out.getvalue().splitlines()
    assert lines[1].endswith("network 1 of 3 trained (1 trained, 0 read in this notebook); about 48 s left in this step")
    assert lines[2].endswith("network 2 of 3 trained (2 trained, 0 read in this notebook); about 47 s left in this step")
