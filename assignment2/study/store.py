"""One store for every trained network: an entry per run, keyed by what determines its result, checksummed and
read without pickle; ZCA matrices and other computed results kept the same way (docs/run-store.md)."""

import hashlib
import io
import json
import os
import warnings
import zipfile
import zlib
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..core.checks import positive_int, require
from ..core.data import data_fingerprint
from ..core.ensemble import Teacher
from ..core.files import save_json, write_atomic
from ..core.history import History
from ..core.network import Params
from ..core.train import TrainConfig
from ..core.whiten import folded, whitened, zca
from .continuing import shorter
from .parallel import machine, run_tasks, slots, train_task
from .progress import Progress, work
from .sources import PACKAGE, closure, source_hash
from .tasks import Task, halfway

#: The modules that compute a training run: the trainer, the ensembles (a student's soft targets), the whitening
#: and everything they import, and nothing else.
TRAINING_MODULES = closure("core.train", "core.ensemble", "core.whiten")
#: The modules that compute a whitening matrix.
WHITENING_MODULES = closure("core.whiten")
FORMAT = 1
ENVIRONMENT = "ASSIGNMENT2_STORE"
DEFAULT_ROOT = PACKAGE.parent / "build" / "runs"
BROKEN = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


def code_hash() -> str:
    """``source_hash`` of ``TRAINING_MODULES``: the code of a training run."""
    return source_hash(TRAINING_MODULES)


def run_key(config: TrainConfig, data: str, teacher: str = "", repeat: int = 0) -> str:
    """The name of a run's entry: 16 hex digits of the hash of its config, its data fingerprint
    ``data``, its teacher's (``ensemble.Teacher.key``, "" for none), ``repeat``
    and ``code_hash()``."""
    parts = {"config": asdict(config), "data": data, "teacher": teacher, "repeat": repeat, "code": code_hash()}
    return _digest(parts)[:16]


@dataclass(frozen=True)
class RunRow:
    """A run's last record (NaN where it has none), its seconds of training, and the step and learning rate at
    which it was stopped (None unless it diverged)."""

    train_cost: float
    train_loss: float
    train_acc: float
    val_cost: float
    val_loss: float
    val_acc: float
    seconds: float
    diverged_at: int | None
    diverged_eta: float | None


@dataclass(frozen=True)
class Tally:
    """What the runs a notebook used cost: the networks it trained and read, and the seconds of training behind
    all of them (however long ago, each run and the shorter ones it continues counted once), by machine."""

    trained: int
    read: int
    seconds: dict[str, float]


@dataclass
class Run:
    """One trained network: its config, History, ``RunRow``, snapshots (cycle -> Params, the last cycle ends; none
    if it diverged), its entry's key and the state ``train`` ended in (None if it diverged)."""

    config: TrainConfig
    history: History
    row: RunRow
    snapshots: dict
    key: str
    state: dict | None = None
    whitening: np.ndarray | None = field(default=None, repr=False)     # Z (d, d) of a run on whitened images
    trained: dict = field(default_factory=dict, repr=False)   # the machine, its own seconds, the run it continues
    _networks: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def diverged(self) -> bool:
        return self.row.diverged_at is not None

    def network(self, cycle: int) -> Params:
        """The network at the end of ``cycle``, of standardised images (a whitened run's: W1 Z)."""
        if cycle not in self._networks:
            params = self.snapshots[cycle]
            self._networks[cycle] = params if self.whitening is None else folded(params, self.whitening)
        return self._networks[cycle]

    @property
    def final(self) -> Params:
        """The network at the end of training."""
        require(not self.diverged, "run", "a run that finished",
                f"a run that diverged at step {self.row.diverged_at}")
        return self.network(max(self.snapshots))

    def last(self, k: int = 1) -> list:
        """The networks at the last k cycle ends, oldest first."""
        return [self.network(c) for c in sorted(self.snapshots)[-k:]]


def _digest(result) -> str:
    return hashlib.sha256(json.dumps(result, sort_keys=True).encode()).hexdigest()


def _checksum(header: bytes, arrays: dict) -> str:
    digest = hashlib.sha256(header)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}{a.dtype.str}{a.shape}".encode())
        digest.update(memoryview(a).cast("B"))
    return digest.hexdigest()


class RunStore:
    """The entries in the folder ``root`` (None: $ASSIGNMENT2_STORE, else build/runs of the project).

    ``trained`` and ``read`` count the runs (and ``computed`` results) this object made and read back."""

    def __init__(self, root=None, progress: Progress | None = None):
        self.root = Path(root or os.environ.get(ENVIRONMENT) or DEFAULT_ROOT)
        self.progress = progress
        self.trained = self.read = 0
        self._used = {}         # key -> how the run was trained (its entry's "trained"), for every run returned
        self._whitened = {}     # (data fingerprint, epsilon) -> the whitened (train, val) pairs

    def __repr__(self) -> str:
        return f"RunStore({str(self.root)!r})"

    def summary(self) -> str:
        return f"{self.trained} runs trained, {self.read} read from the store ({self.root})"

    def save_tally(self, folder) -> str:
        """Write ``Tally`` of the runs used so far into ``folder``/runs.json; return ``summary()``."""
        seconds = {}
        for where, own in self._training(set(self._used)).values():
            seconds[where] = seconds.get(where, 0.0) + own
        save_json(asdict(Tally(self.trained, self.read, seconds)), Path(folder) / "runs.json")
        return self.summary()

    def _training(self, keys: set) -> dict:
        """key -> (machine, seconds) of how each run of ``keys`` and every run it continues was trained (an entry of
        an older version: "not recorded", and the seconds of its row)."""
        found = {}
        while keys:
            key = keys.pop()
            trained = self._used.get(key) or self._trained_header(key)
            found[key] = trained["machine"], trained["seconds"]
            if trained.get("continues") and trained["continues"] not in found:
                keys.add(trained["continues"])
        return found

    def _trained_header(self, key: str) -> dict:
        return _how_trained(self._open(self.path(key))[0])

    def path(self, key: str) -> Path:
        return self.root / f"{key}.npz"

    def _say(self, text: str) -> None:
        """A line of the progress (if any) before a long preparation, such as a whitening."""
        if self.progress is not None:
            self.progress.say(text)

    def doing(self, label: str, expected: float | None = None, later: float | None = None) -> None:
        """Name what the next runs are for, in the report's words, in the progress lines (if any); ``expected``,
        ``later``: the work (``progress.work``) of the whole notebook and of the build's later notebooks."""
        if self.progress is not None:
            self.progress.step(label)
            if expected is not None:
                self.progress.expect(expected, later)

    def runs(self, configs, train_data, val_data, keep=1, teacher: Teacher | None = None, repeats=None,
             executor=None) -> list[Run]:
        """A Run per config (in order): read from its entry, or trained (on ``executor``) and stored.
        train_data, val_data: (X (n, d), y (n,)). keep: how many of the last cycle ends to keep (at most n_cycles),
        one number or one per config. teacher: the ``ensemble.Teacher`` of the configs that distil (its targets
        computed only to train). repeats: a repeat number per config (None: 0), to time one run several times."""
        configs, keeps, repeats = _checked(configs, keep, teacher, repeats)
        data = data_fingerprint(train_data, val_data)
        named = teacher.key if teacher is not None else ""
        zcas = {c.whiten: self._zca(train_data[0], data, c.whiten) for c in configs if c.whiten}

        def key_of(config: TrainConfig, repeat: int) -> str:
            return run_key(config, data, named if config.distill else "", repeat)

        keys = [key_of(c, r) for c, r in zip(configs, repeats)]
        found, todo = self._stored(keys, configs, keeps)
        inputs = sorted({configs[i].whiten for i in todo})             # plain (0) and each epsilon to train on
        tasks = [Task(i, configs[i], keeps[i], inputs=inputs.index(configs[i].whiten),
                      start=self._shorter(configs[i], keeps[i], lambda c, i=i: key_of(c, repeats[i]))) for i in todo]
        tasks.sort(key=lambda task: -task.remaining())                 # the longest first: no worker idles at the end
        middle = halfway(tasks, slots(executor) if executor else 1)
        if middle is not None and key_of(replace(tasks[0].config, n_cycles=middle), repeats[tasks[0].run]) not in keys:
            tasks[0] = tasks[0].first_half(middle)       # the longest in two halves: the second is added below
        arrays, fingerprint = self._task_data(train_data, val_data, data, inputs,
                                              teacher if any(configs[i].distill for i in todo) else None)
        with self._told(tasks, configs, keys, todo, found, executor) as finished:
            for j, result in run_tasks(train_task, tasks, arrays, executor, fingerprint=fingerprint):
                task, i = tasks[j], tasks[j].run
                made_of = {"data": data, "teacher": named, "repeat": repeats[i],
                           **({"whitening": zcas[task.config.whiten][0]} if task.config.whiten else {})}
                run = self._write(key_of(task.config, repeats[i]), task.config, made_of, result)
                self.trained += 1
                half = task.config.n_cycles < configs[i].n_cycles      # a first half: its second half goes on from it
                finished(i, task.remaining(), result["trained"]["seconds"], not half)
                if half:
                    tasks.append(replace(task, config=configs[i], keep=keeps[i], start=run))
                else:
                    found[keys[i]] = run
        self._used.update((key, found[key].trained) for key in keys)
        return [_with_whitening(found[key], config, zcas) for key, config in zip(keys, configs)]

    def _told(self, tasks: list, configs: list, keys: list, todo: list, found: dict, executor):
        """The store's ``progress`` around the training of ``tasks`` (``Progress.networks``: the work of each network,
        the first of a split one with its second half; the runs read that are new to the notebook, and the seconds
        and work of those this machine trained), or one that tells nothing."""
        if self.progress is None:
            return nullcontext(lambda network, work, seconds, whole: None)
        new = [found[key] for i, key in enumerate(keys)         # the runs read, each once, new to the notebook
               if i not in todo and keys.index(key) == i and key not in self._used]
        mine = [run for run in new if run.trained.get("machine") == machine() and not run.diverged]
        works = {task.run: replace(task, config=configs[task.run]).remaining() for task in tasks}
        return self.progress.networks(works, len(configs) - len(todo), slots(executor) if executor else 1,
                                      sum(work(run.config) for run in new),
                                      (sum(run.row.seconds for run in mine), sum(work(run.config) for run in mine)))

    def _task_data(self, train_data, val_data, data: str, inputs: list, teacher) -> tuple[tuple, str]:
        """The arrays the tasks read: the (train, val) pairs of each input (plain, or whitened with each epsilon of
        ``inputs``), then the soft targets of ``teacher`` (of the images and of their mirror images) unless it is
        None; and their fingerprint. data: the fingerprint of the plain pairs."""
        pairs = [pair for epsilon in inputs for pair in ((train_data, val_data) if not epsilon else
                                                         self._whitened_data(train_data, val_data, data, epsilon))]
        soft = (tuple(teacher.targets(train_data[0]).astype(np.float32)),) if teacher is not None else ()
        fingerprint = data + "".join(f"+zca{epsilon:g}" for epsilon in inputs) + (f"+{teacher.key}" if soft else "")
        return (*pairs, *soft), fingerprint

    def _stored(self, keys: list, configs: list, keeps: list) -> tuple[dict, list]:
        """(key -> its stored Run or None, the positions of the runs to train: the first of each key not stored)."""
        found = {}
        for key, config, keep in zip(keys, configs, keeps):
            if key not in found:
                found[key] = self.entry(key, config, keep)
        todo = [i for i, key in enumerate(keys) if found[key] is None and keys.index(key) == i]
        self.read += len(configs) - len(todo)
        return found, todo

    def _zca(self, X, data: str, epsilon: float) -> tuple[str, np.ndarray]:
        """(the key of its entry, ``whiten.zca(X, epsilon)``) for the training images X (n, d) of the data whose
        fingerprint is ``data``: read from the store, or computed once and kept."""
        key = "zca-" + _digest({"data": data, "epsilon": epsilon, "code": source_hash(WHITENING_MODULES)})[:16]
        try:
            return key, self._zca_entry(key)
        except FileNotFoundError:
            pass
        except BROKEN as err:
            warnings.warn(f"{self.path(key)} is not a whole entry of the run store ({type(err).__name__}: {err}): "
                          "computing it again", stacklevel=3)
        self._say(f"computing the ZCA whitening of the training images (epsilon {epsilon:g})")
        Z = zca(X, epsilon)
        buffer = io.BytesIO()
        np.savez(buffer, Z=Z, checksum=np.frombuffer(_checksum(key.encode(), {"Z": Z}).encode(), dtype=np.uint8))
        write_atomic(self.path(key), buffer.getvalue())
        return key, Z

    def _zca_entry(self, key: str) -> np.ndarray:
        """The matrix Z of the whitening entry ``key``, its checksum verified."""
        with np.load(self.path(key), allow_pickle=False) as saved:
            Z, checksum = saved["Z"], saved["checksum"].tobytes().decode()
        if checksum != _checksum(key.encode(), {"Z": Z}):
            raise ValueError("its checksum does not match its contents")
        return Z

    def _whitened_data(self, train_data, val_data, data: str, epsilon: float) -> tuple:
        """The (train, val) pairs whitened by the ZCA of the training images with ``epsilon``, once per process."""
        if (data, epsilon) not in self._whitened:
            Z = self._zca(train_data[0], data, epsilon)[1]
            self._say(f"whitening the training and validation images (epsilon {epsilon:g})")
            self._whitened[data, epsilon] = ((whitened(train_data[0], Z), train_data[1]),
                                             (whitened(val_data[0], Z), val_data[1]))
        return self._whitened[data, epsilon]

    def computed(self, name: str, inputs: dict, arrays, modules: tuple, compute):
        """The result of ``compute()`` (JSON-able: rows, numbers) that is not a trained network, such as
        notebook 01's gradient check, kept as one entry ``<key>.json``: computed once for ``name``,
        ``inputs`` (JSON), ``arrays`` (a tuple of NumPy arrays, fingerprinted) and the source of
        ``modules`` (names in the package). Not a network: not counted with the runs trained and read."""
        parts = {"name": name, "inputs": inputs, "arrays": data_fingerprint(arrays), "code": source_hash(modules)}
        key = _digest(parts)[:16]
        path = self.root / f"{key}.json"
        if path.exists():
            try:
                entry = json.loads(path.read_text())
                if entry.get("key") != key or entry.get("checksum") != _digest(entry["result"]):
                    raise ValueError("its checksum does not match its contents")
                return entry["result"]
            except (OSError, ValueError, KeyError) as err:
                warnings.warn(f"{path} is not a whole entry of the run store ({type(err).__name__}: {err}): "
                              "computing it again", stacklevel=2)
        result = json.loads(json.dumps(compute(), default=float))    # as a later read gives it
        write_atomic(path, json.dumps({"format": FORMAT, "key": key, "made_of": parts, "result": result,
                                       "checksum": _digest(result)}))
        return result

    def load(self, key: str) -> Run:
        """The Run of the entry ``key`` (a name from ``Run.key``), however it was made."""
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(f"no run {key} in the store {self.root}: {path} is missing")
        try:
            header, snapshots = self._open(path)
            zca_key = header["made_of"].get("whitening")
            whitening = self._zca_entry(zca_key) if zca_key else None
        except BROKEN as err:
            raise ValueError(f"{path} is not a whole entry of the run store, or its whitening is missing "
                             f"({type(err).__name__}: {err})") from None
        run = self._run(TrainConfig(**header["made_of"]["config"]), header, snapshots, key)
        run.whitening = whitening
        return run

    def _open(self, path: Path) -> tuple[dict, dict]:
        """(header, snapshots) of an entry, its checksum verified."""
        with np.load(path, allow_pickle=False) as saved:
            stored = {name: saved[name] for name in saved.files}
        header_bytes = stored.pop("header").tobytes()
        checksum = stored.pop("checksum").tobytes().decode()
        if checksum != _checksum(header_bytes, stored):
            raise ValueError("its checksum does not match its contents")
        header = json.loads(header_bytes)
        snapshots = {}
        for name, array in stored.items():
            cycle, field = name.split("/")
            snapshots.setdefault(int(cycle), {})[field] = array
        return header, {cycle: Params(**arrays) for cycle, arrays in snapshots.items()}

    @staticmethod
    def _run(config: TrainConfig, header: dict, snapshots: dict, key: str) -> Run:
        return Run(config, History.from_dict(header["history"]), RunRow(**header["row"]), snapshots, key,
                   header.get("state"), trained=_how_trained(header))

    def _shorter(self, config: TrainConfig, keep: int, key_of) -> Run | None:
        """The stored Run of ``config`` on the most cycles fewer than its own that has the cycle ends a run keeping
        ``keep`` needs, with those alone, for a task to continue; or None. key_of: a config's key."""
        for fewer, wanted in shorter(config, keep):
            run = self.entry(key_of(fewer), fewer, 1)
            if run is not None and run.state and all(c in run.snapshots for c in wanted):
                return replace(run, snapshots={c: run.snapshots[c] for c in wanted})
        return None

    def entry(self, key: str, config: TrainConfig, keep: int) -> Run | None:
        """The stored Run of ``key``, or None (with a warning for an entry that cannot be used)."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            header, snapshots = self._open(path)
            if header.get("format") != FORMAT or header.get("key") != key:
                raise ValueError(f"it is an entry of format {header.get('format')} for {header.get('key')}")
        except BROKEN as err:
            warnings.warn(f"{path} is not a whole entry of the run store ({type(err).__name__}: {err}): "
                          "training it again", stacklevel=3)
            return None
        run = self._run(config, header, snapshots, key)
        if not run.diverged and len(snapshots) < keep:
            warnings.warn(f"{path} keeps {len(snapshots)} cycle ends, {keep} asked for: training it again",
                          stacklevel=3)
            return None
        return run

    def _write(self, key: str, config: TrainConfig, made_of: dict, result: dict) -> Run:
        header = json.dumps({"format": FORMAT, "key": key,
                             "made_of": {"config": asdict(config), **made_of, "code": code_hash()},
                             "history": result["history"], "row": result["row"], "state": result["state"],
                             "trained": result["trained"]}).encode()
        arrays = {f"{cycle}/{name}": a for cycle, params in result["snapshots"].items() for name, a in params.items()}
        buffer = io.BytesIO()
        np.savez(buffer, header=np.frombuffer(header, dtype=np.uint8),
                 checksum=np.frombuffer(_checksum(header, arrays).encode(), dtype=np.uint8), **arrays)
        write_atomic(self.path(key), buffer.getvalue())
        snapshots = {cycle: Params(**arrays) for cycle, arrays in result["snapshots"].items()}
        return self._run(config, json.loads(header), snapshots, key)   # as a later read gives it, to the bit


def _how_trained(header: dict) -> dict:
    """How an entry's run was trained: its machine, its own seconds, the run it continues (an entry of an older
    version: "not recorded", and the seconds of its row)."""
    return header.get("trained") or {"machine": "not recorded", "seconds": header["row"]["seconds"]}


def _with_whitening(run: Run, config: TrainConfig, zcas: dict) -> Run:
    """``run`` holding the whitening matrix Z of its config (zcas: epsilon -> (key, Z)), or None for plain images."""
    run.whitening = zcas[config.whiten][1] if config.whiten else None
    return run


def _checked(configs, keep, teacher, repeats) -> tuple[list, list, list]:
    """The configs, a keep per config (at most its cycles) and a repeat per config, each checked (``RunStore.runs``)."""
    configs = list(configs)
    require(all(isinstance(c, TrainConfig) for c in configs), "configs", "TrainConfigs", configs)
    keeps = list(keep) if isinstance(keep, (list, tuple)) else [keep] * len(configs)
    repeats = [0] * len(configs) if repeats is None else [int(r) for r in repeats]
    require(len(keeps) == len(configs) == len(repeats), "keep", "one number, or one per config", keep)
    keeps = [min(positive_int("keep", k), c.n_cycles) for k, c in zip(keeps, configs)]
    require(teacher is None or isinstance(teacher, Teacher), "teacher", "an ensemble.Teacher or None",
            type(teacher).__name__)
    require(teacher is not None or not any(c.distill for c in configs), "teacher",
            "an ensemble.Teacher for configs that distil", None)
    return configs, keeps, repeats
