"""The run store: what names an entry, what it holds, and entries that cannot be trusted."""

import json
import multiprocessing
import stat
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from assignment2.core.batches import mirrored
from assignment2.core.data import data_fingerprint
from assignment2.core import ensemble
from assignment2.core.ensemble import Teacher
from assignment2.core.network import probabilities
from assignment2.core.train import TrainConfig
from assignment2.study import sources, store
from assignment2.study import parallel, tasks
from assignment2.study.sources import PACKAGE
from assignment2.study.splits import load_split
from assignment2.study.store import Run
from assignment2.study.tasks import Task

SMALL = TrainConfig(hidden=8, n_s=10, batch_size=20, n_cycles=3, records_per_cycle=2, lam=1e-3, dtype="float32",
                    flip=True, translate=1)
OTHER_VALUES = {"batch_size": 25, "eta_min": 2e-5, "eta_max": 0.05, "n_s": 11, "n_cycles": 2, "lam": 0.02,
                "records_per_cycle": 3, "record_cycles": 1, "cost_method": "ema", "seed": 4, "dtype": "float64",
                "hidden": 9, "dropout": 0.1, "flip": False, "translate": 2, "schedule": "range_test",
                "distill": 0.5, "temperature": 2.0, "whiten": 0.1}


@pytest.fixture(scope="module")
def split(synthetic_root):
    return load_split("ex3", synthetic_root, dtype=np.float32)[:2]


def test_the_key_changes_with_every_field_of_the_config_the_data_the_teacher_and_the_repeat():
    assert set(OTHER_VALUES) == {f.name for f in fields(TrainConfig)}
    key = store.run_key(SMALL, "sha256:data")
    for name, value in OTHER_VALUES.items():
        assert getattr(SMALL, name) != value, name
        assert store.run_key(replace(SMALL, **{name: value}), "sha256:data") != key, name
    assert store.run_key(SMALL, "sha256:other") != key
    assert store.run_key(SMALL, "sha256:data", teacher="sha256:teacher") != key
    assert store.run_key(SMALL, "sha256:data", repeat=1) != key
    assert store.run_key(SMALL, "sha256:data") == key


def _module(path: Path) -> str:
    """The dotted name of a source file of the package ("core.train")."""
    return path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")


def _with_sources(monkeypatch, edited: set, edit: bytes = b"\nEDITED = 1\n") -> str:
    """The key of SMALL with ``edit`` added to the source of every module in ``edited``."""
    real = Path.read_bytes

    def read_bytes(path):
        text = real(path)
        return text + edit if path.is_relative_to(PACKAGE) and _module(path) in edited else text

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    sources.source_hash.cache_clear()
    try:
        return store.run_key(SMALL, "sha256:data")
    finally:
        monkeypatch.undo()
        sources.source_hash.cache_clear()


def test_the_key_changes_with_the_source_of_each_training_module_and_of_no_other(monkeypatch):
    key = store.run_key(SMALL, "sha256:data")
    for name in store.TRAINING_MODULES:
        assert _with_sources(monkeypatch, {name}) != key, name
    others = {_module(path) for path in PACKAGE.rglob("*.py")} - set(store.TRAINING_MODULES)
    assert {"report.plots", "report.formats", "report.pdf", "study.experiments", "study.improve", "study.store",
            "core.data", "core.gradcheck"} <= others
    assert _with_sources(monkeypatch, others) == key


def test_comments_docstrings_and_layout_are_no_part_of_the_key():
    source = b'"""A module."""\n\nimport math  # why\n\n\ndef f(x):\n    """Doc,\n    two lines."""\n    return x + 1\n'
    reworded = b'"""Another word."""\nimport math\n\ndef f(x):\n    return x + 1  # a note\n'
    assert sources.code(source) == sources.code(reworded)
    for edit in (b"return x + 2", b"return (x + 1)", b'return "x" + 1'):
        assert sources.code(source.replace(b"return x + 1", edit)) != sources.code(source), edit
    assert sources.code(b'def f():\n    x = 1\n    "a statement, not a docstring"\n') != \
        sources.code(b'def f():\n    x = 1\n')


def test_an_entry_holds_the_history_the_row_and_the_snapshots_and_is_read_back(split, tmp_path, monkeypatch):
    runs = store.RunStore(tmp_path)
    configs = [SMALL, replace(SMALL, seed=1)]
    trained = runs.runs(configs, *split, keep=2)
    assert (runs.trained, runs.read) == (2, 0)
    assert [sorted(r.snapshots) for r in trained] == [[2, 3], [2, 3]]
    assert trained[0].row.val_acc == trained[0].history.val_acc[-1] and trained[0].row.seconds > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{r.key}.npz" for r in trained)
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o044 == 0o044 for p in tmp_path.iterdir())   # readable as the build
    monkeypatch.setattr(store, "train_task", lambda *a: pytest.fail("a stored run was trained again"))
    again = store.RunStore(tmp_path)
    read = again.runs(configs, *split, keep=2)
    assert (again.trained, again.read) == (0, 2) and "0 runs trained, 2 read" in again.summary()
    for a, b in zip(trained, read):
        assert (a.row, a.history, a.key, a.config) == (b.row, b.history, b.key, b.config)
        for cycle in (2, 3):
            for x, y in zip(a.snapshots[cycle].arrays().values(), b.snapshots[cycle].arrays().values()):
                assert x.dtype == y.dtype and x.flags.f_contiguous == y.flags.f_contiguous
                np.testing.assert_array_equal(x, y)
    assert again.load(trained[1].key).row == trained[1].row
    with pytest.raises(FileNotFoundError, match="no run 0123 in the store"):
        again.load("0123")


def test_an_entry_with_fewer_snapshots_than_asked_for_is_trained_again(split, tmp_path):
    runs = store.RunStore(tmp_path)
    runs.runs([SMALL], *split, keep=1)
    with pytest.warns(UserWarning, match=r"keeps 1 cycle ends, 3 asked for: training it again"):
        [run] = runs.runs([SMALL], *split, keep=3)
    assert sorted(run.snapshots) == [1, 2, 3] and runs.trained == 2


def test_other_data_give_another_entry(split, tmp_path):
    runs = store.RunStore(tmp_path)
    [a] = runs.runs([SMALL], *split)
    (X, y), val = split
    X = X.copy()
    X[0, 0] += 1
    [b] = runs.runs([SMALL], (X, y), val)
    assert a.key != b.key and runs.trained == 2


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _wrong_checksum(path: Path) -> None:
    """Change one byte of the stored parameters: the zip is whole, the checksum disagrees."""
    import zipfile
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    name = next(n for n in members if n.endswith("W1.npy"))
    raw = bytearray(members[name])
    raw[-1] ^= 0xFF
    members[name] = bytes(raw)
    with zipfile.ZipFile(path, "w") as z:
        for n, content in members.items():
            z.writestr(n, content)


@pytest.mark.parametrize("damage, message", [(_cut, "not a whole entry"), (_wrong_checksum, "checksum does not match")])
def test_a_damaged_entry_is_trained_again_with_a_warning_naming_it(split, tmp_path, damage, message):
    runs = store.RunStore(tmp_path)
    [first] = runs.runs([SMALL], *split)
    path = runs.path(first.key)
    damage(path)
    with pytest.warns(UserWarning, match=f"{path.name} .*{message}.*training it again"):
        [again] = runs.runs([SMALL], *split)
    assert runs.trained == 2 and again.row.val_acc == first.row.val_acc
    assert store.RunStore(tmp_path).runs([SMALL], *split)[0].row == again.row     # whole again
    damage(path)
    with pytest.raises(ValueError, match="is not a whole entry of the run store"):
        runs.load(first.key)


def _write_one(root: str, result: dict, rounds: int) -> None:
    runs = store.RunStore(root)
    for _ in range(rounds):
        runs._write("0" * 16, SMALL, {"data": "", "teacher": "", "repeat": 0}, result)


def test_two_processes_writing_one_entry_at_once_leave_one_whole_entry(split, tmp_path):
    result = store.train_task(Task(0, SMALL, 2), *split)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_one, args=(str(tmp_path), result, 20)) for _ in range(2)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
        assert w.exitcode == 0
    assert [p.name for p in tmp_path.iterdir()] == ["0" * 16 + ".npz"]       # no temporary file left
    run = store.RunStore(tmp_path).load("0" * 16)
    assert vars(run.row) == result["row"] and sorted(run.snapshots) == [2, 3]


def test_reading_an_entry_runs_no_code(split, tmp_path):
    """An entry is an npz of plain arrays: one holding a pickled object is refused, not loaded."""
    runs = store.RunStore(tmp_path)
    [run] = runs.runs([SMALL], *split)
    path = runs.path(run.key)
    with np.load(path) as saved:
        arrays = {name: saved[name] for name in saved.files}
    np.savez(path, **arrays, evil=np.array([object()], dtype=object))
    with pytest.warns(UserWarning, match="not a whole entry"):
        runs.runs([SMALL], *split)


def test_the_store_is_found_from_its_parameter_then_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(store.ENVIRONMENT, raising=False)
    assert store.RunStore().root == store.DEFAULT_ROOT
    monkeypatch.setenv(store.ENVIRONMENT, str(tmp_path / "env"))
    assert store.RunStore().root == tmp_path / "env"
    assert store.RunStore(tmp_path / "given").root == tmp_path / "given"


def test_a_distilled_run_is_keyed_by_its_teacher_whose_targets_are_computed_only_to_train(split, tmp_path, monkeypatch):
    runs = store.RunStore(tmp_path)
    teachers = runs.runs([SMALL, replace(SMALL, seed=1)], *split, keep=2)
    student = replace(SMALL, distill=0.5, temperature=2.0)
    with pytest.raises(ValueError, match="teacher must be an ensemble.Teacher for configs that distil"):
        runs.runs([student], *split)
    made = []
    monkeypatch.setattr(Teacher, "targets", lambda self, X: _targets(self, X, made))   # counts the calls
    [a] = runs.runs([student], *split, teacher=Teacher(tuple(teachers), 1))
    [b] = runs.runs([student, SMALL], *split, teacher=Teacher(tuple(teachers), 2))[:1]
    [c] = runs.runs([student], *split, teacher=Teacher(tuple(teachers[:1]), 1))
    assert len({a.key, b.key, c.key}) == 3 and len(made) == 3
    [again] = runs.runs([student], *split, teacher=Teacher(tuple(teachers), 1))    # stored: no targets computed
    [plain] = runs.runs([SMALL], *split)
    [d] = runs.runs([SMALL], *split, teacher=Teacher(tuple(teachers), 1))         # a run that does not distil ignores it
    assert again.key == a.key and plain.key == d.key and len(made) == 3


def _targets(teacher, X, made):
    made.append(teacher.key)
    network = ensemble.fold_runs(teacher.members, teacher.snapshots)
    return np.stack([probabilities(network, view) for view in (X, mirrored(X))])


def test_a_computed_result_is_kept_once_and_read_back_and_a_broken_entry_is_computed_again(tmp_path):
    runs, calls = store.RunStore(tmp_path), []
    X = np.arange(6.0).reshape(2, 3)

    def compute():
        calls.append(1)
        return [{"max_rel": np.float64(1e-9), "parameter": "W1"}]
    first = runs.computed("check", {"h": 1e-5}, (X,), ("core.network",), compute)
    assert first == [{"max_rel": 1e-9, "parameter": "W1"}] and runs.computed("check", {"h": 1e-5}, (X,), ("core.network",), compute) == first
    assert len(calls) == 1 and (runs.trained, runs.read) == (0, 0)      # no network: none trained or read
    runs.computed("check", {"h": 1e-6}, (X,), ("core.network",), compute)          # other inputs,
    runs.computed("check", {"h": 1e-5}, (X + 1,), ("core.network",), compute)      # other arrays,
    runs.computed("check", {"h": 1e-5}, (X,), ("core.network", "core.gradcheck"), compute)   # other code: computed again
    assert len(calls) == 4
    [entry] = [p for p in tmp_path.glob("*.json") if json.loads(p.read_text())["made_of"]["inputs"] == {"h": 1e-6}]
    entry.write_text(entry.read_text().replace("1e-09", "2e-09"))
    with pytest.warns(UserWarning, match=rf"{entry.name} is not a whole entry of the run store .*checksum"):
        runs.computed("check", {"h": 1e-6}, (X,), ("core.network",), compute)
    assert len(calls) == 5


@pytest.mark.parametrize("changes", [{"cost_method": "ema", "dropout": 0.2}, {"cost_method": "running_mean"},
                                     {"cost_method": "full", "flip": False, "translate": 0}])
def test_a_longer_run_continues_the_stored_shorter_one_to_the_same_bits(split, tmp_path, monkeypatch, changes):
    short, long = replace(SMALL, n_cycles=2, **changes), replace(SMALL, n_cycles=5, **changes)
    runs = store.RunStore(tmp_path)
    runs.runs([short], *split, keep=2)
    starts = []
    real = store.train_task
    monkeypatch.setattr(store, "train_task", lambda task, *data:
                        starts.append(task.start.state["steps"] if task.start else 0) or real(task, *data))
    [continued] = runs.runs([long], *split, keep=4)
    assert starts == [2 * short.n_s * short.n_cycles]        # the 2 stored cycles were not trained again
    [fresh] = store.RunStore(tmp_path / "fresh").runs([long], *split, keep=4)
    assert sorted(continued.snapshots) == sorted(fresh.snapshots) == [2, 3, 4, 5]
    for cycle in fresh.snapshots:
        for x, y in zip(continued.snapshots[cycle].arrays().values(), fresh.snapshots[cycle].arrays().values()):
            np.testing.assert_array_equal(x, y)
    for name in ("step", "eta", "train_cost", "train_loss", "train_acc", "val_cost", "val_loss", "val_acc"):
        assert getattr(continued.history, name) == getattr(fresh.history, name), name
    assert continued.history.config == fresh.history.config and continued.state == fresh.state | {
        "seconds": continued.state["seconds"]}
    assert continued.row.seconds > 0 and continued.history.time == sorted(continued.history.time)


def test_a_run_is_not_continued_from_one_with_another_setting_or_too_few_cycle_ends(split, tmp_path, monkeypatch):
    runs = store.RunStore(tmp_path)
    runs.runs([replace(SMALL, n_cycles=2, seed=1), replace(SMALL, n_cycles=1, record_cycles=1),
               replace(SMALL, n_cycles=2, schedule="range_test")], *split)
    starts = []
    real = store.train_task
    monkeypatch.setattr(store, "train_task", lambda task, *data: starts.append(task.start) or real(task, *data))
    runs.runs([SMALL, replace(SMALL, record_cycles=1), replace(SMALL, schedule="range_test")], *split)
    runs.runs([replace(SMALL, n_cycles=4, seed=1)], *split, keep=4)    # cycle 1 was not kept
    assert starts == [None] * 4


def test_the_time_of_chains_of_tasks_and_when_the_longest_run_is_split_in_halves():
    assert tasks.makespan([[16], [10], [10]], 2) == 20          # one worker idles for 4 at the end
    assert tasks.makespan([[8, 8], [10], [10]], 2) == 18        # the second half waits for the first
    assert tasks.makespan([[2]] * 20, 2) == tasks.makespan([[1, 1]] + [[2]] * 19, 2) == 20
    full = replace(SMALL, n_cycles=16)
    six = Run(replace(full, n_cycles=6), None, {}, {}, "", {"steps": 2 * full.n_s * 6})
    each = lambda configs, starts: [Task(i, c, 1, start=s) for i, (c, s) in enumerate(zip(configs, starts))]
    assert tasks.halfway(each([full, full, full], [None, six, six]), 2) == 8
    assert tasks.halfway(each([full, full, full], [None, six, six]), 1) is None            # no second worker
    assert tasks.halfway(each([full] * 4, [None] * 4), 2) is None                            # nothing to gain
    assert tasks.halfway(each([replace(full, record_cycles=1), full, full], [None, six, six]), 2) is None   # not continuable
    assert tasks.halfway(each([replace(full, n_cycles=7), full], [six, None]), 2) is None    # one cycle left


def test_a_long_run_is_trained_in_two_halves_on_two_workers_to_the_same_bits(split, tmp_path):
    from concurrent.futures import ProcessPoolExecutor
    runs = store.RunStore(tmp_path)
    runs.runs([replace(SMALL, n_cycles=2, seed=seed) for seed in (1, 2)], *split)
    long = replace(SMALL, n_cycles=6)
    with ProcessPoolExecutor(2) as pool:       # seed 0 from the start, seeds 1 and 2 from cycle 2: 6 against 4 + 4
        first, *_ = runs.runs([replace(long, seed=seed) for seed in (0, 1, 2)], *split, keep=2, executor=pool)
    assert runs.trained == 2 + 4                 # the two continued runs and seed 0 in two halves of 3 cycles
    half = store.run_key(replace(long, n_cycles=3), data_fingerprint(*split))
    assert runs.path(half).is_file()
    [fresh] = store.RunStore(tmp_path / "fresh").runs([long], *split, keep=2)
    assert sorted(first.snapshots) == sorted(fresh.snapshots) == [5, 6]
    for cycle in fresh.snapshots:
        for x, y in zip(first.snapshots[cycle].arrays().values(), fresh.snapshots[cycle].arrays().values()):
            np.testing.assert_array_equal(x, y)
    for name in ("step", "train_cost", "train_acc", "val_cost", "val_acc"):
        assert getattr(first.history, name) == getattr(fresh.history, name), name


def test_the_tally_counts_each_run_and_the_shorter_run_it_continues_once_by_machine(split, tmp_path):
    """A notebook's runs.json: the networks trained and read, and the seconds of training behind them, a run
    continued from a shorter one counting only its own cycles, the shorter one counted once too."""
    made = store.RunStore(tmp_path)
    [short] = made.runs([replace(SMALL, n_cycles=2)], *split)
    [long] = made.runs([SMALL], *split)                     # continues the 2-cycle run
    assert long.trained["continues"] == short.key and long.trained["machine"] == parallel.machine()
    assert long.trained["seconds"] == pytest.approx(long.row.seconds - short.row.seconds)
    made.save_tally(tmp_path / "made")
    later = store.RunStore(tmp_path)
    later.runs([SMALL, SMALL], *split)                       # read back, once
    later.save_tally(tmp_path / "later")
    made_tally, later_tally = (json.loads((tmp_path / name / "runs.json").read_text()) for name in ("made", "later"))
    assert (made_tally["trained"], made_tally["read"], later_tally["trained"], later_tally["read"]) == (2, 0, 0, 2)
    [(machine, seconds)] = later_tally["seconds"].items()
    assert machine == parallel.machine() and seconds == pytest.approx(long.row.seconds)   # both parts, once each
    assert made_tally["seconds"] == later_tally["seconds"]
