"""CIFAR-10 (python version): found in ``root``, else $CIFAR10_DIR, else the cache folder, downloaded and
MD5-checked by ``pooch`` if missing, read by a restricted unpickler (it never runs code) and normalised."""

import hashlib
import os
import pickle
import shutil
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import pooch

from .files import user_path, write_atomic

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
ARCHIVE_FOLDER = "cifar-10-batches-py"
#: The published MD5 of every file of the official python version.
FILE_MD5 = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}
TRAIN_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
DIM = 32 * 32 * 3


def data_root(root=None) -> Path:
    """The folder holding the batch files: ``root``, else $CIFAR10_DIR, else the cache folder; a relative path
    is read from the folder the user ran the command in (``files.user_path``)."""
    if root is not None:
        return user_path(root)
    if os.environ.get("CIFAR10_DIR"):
        return user_path(os.environ["CIFAR10_DIR"])
    return pooch.os_cache("assignment2") / ARCHIVE_FOLDER


def matches_official(root=None) -> bool:
    """Whether every batch file under the data root has its official MD5."""
    folder = data_root(root)
    return all((folder / name).is_file() and pooch.file_hash(str(folder / name), alg="md5") == md5
               for name, md5 in FILE_MD5.items())


def _extract(archive: Path, folder: Path) -> None:
    """Extract the seven expected files of ``archive`` into ``folder`` (nothing else, no path escapes); on a
    failure, the folders made for it are removed again."""
    made = next((p for p in [*reversed(folder.parents), folder] if not p.exists()), None)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=folder))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for name in FILE_MD5:
                member = tar.getmember(f"{ARCHIVE_FOLDER}/{name}")
                if not member.isfile():
                    raise ValueError(f"{archive}: {member.name} is not a regular file")
                with tar.extractfile(member) as src, open(staging / name, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        for name in FILE_MD5:
            os.replace(staging / name, folder / name)
    except BaseException as err:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        if isinstance(err, KeyError):
            raise ValueError(f"{archive} is not the CIFAR-10 python archive: {err}") from None
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ensure_data(root=None) -> Path:
    """The data folder, downloading and verifying the official archive if files are missing. The archive goes
    to a temporary folder: a failed download or a bad archive leaves nothing behind, not even the data folder."""
    folder = data_root(root)
    missing = [name for name in FILE_MD5 if not (folder / name).is_file()]
    if not missing:
        return folder
    with tempfile.TemporaryDirectory(prefix="assignment2-download-") as tmp:
        try:
            archive = Path(pooch.retrieve(URL, f"md5:{ARCHIVE_MD5}", fname="cifar-10-python.tar.gz", path=tmp,
                                          progressbar=True))
        except OSError as err:      # requests' errors are OSErrors
            raise FileNotFoundError(
                f"CIFAR-10 files missing in {folder}: {', '.join(missing)}; downloading {URL} failed ({err}). "
                f"Put the python-version files (data_batch_1..5, test_batch, batches.meta) in {folder}, "
                "or set CIFAR10_DIR to a folder that has them (a relative path is read from the folder you "
                "run the command in)."
            ) from None
        except ValueError:
            raise ValueError(f"{URL}: the archive's MD5 is not the published {ARCHIVE_MD5}; download again") from None
        _extract(archive, folder)
    return folder


def _uint8_dtype(name, align=False, copy=False) -> np.dtype:
    """``numpy.dtype`` as a batch file may call it: for uint8 ("u1", bytes in Python 2 files) only."""
    if name not in ("u1", b"u1"):
        raise pickle.UnpicklingError(f"the array type {name!r} (a CIFAR-10 batch holds uint8 arrays only)")
    return np.dtype(np.uint8)


def _reconstruct(cls, shape, typecode):
    """``numpy.core.multiarray._reconstruct`` for plain ndarrays only (their data come in the BUILD state)."""
    if cls is not np.ndarray:
        raise pickle.UnpicklingError(f"an array of class {cls!r}")
    return np.ndarray.__new__(np.ndarray, shape, np.uint8)


def _frombuffer(buffer, dtype, shape, order):
    """``numpy.core.numeric._frombuffer`` (pickle protocol 5) for uint8 arrays only."""
    if dtype != np.uint8:
        raise pickle.UnpicklingError(f"an array of type {dtype}")
    return np.frombuffer(buffer, np.uint8).reshape(shape, order=order)


def _latin1(text, encoding="latin1"):
    """``_codecs.encode`` as pickle protocols 0-2 use it for bytes: latin-1 only."""
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"_codecs.encode with the codec {encoding!r}")
    return str(text).encode("latin1")


#: The only globals a CIFAR-10 batch pickle may name, each mapped to a checked stand-in. Dicts, lists,
#: bytes, strings and ints need none: pickle builds them from its own opcodes, without calling anything.
_ADMITTED = {
    **{(module, "_reconstruct"): _reconstruct for module in ("numpy.core.multiarray", "numpy._core.multiarray")},
    **{(module, "_frombuffer"): _frombuffer for module in ("numpy.core.numeric", "numpy._core.numeric")},
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _uint8_dtype,
    ("_codecs", "encode"): _latin1,
}


class _Refused(pickle.UnpicklingError):
    """A pickle named a global outside ``_ADMITTED``; nothing it names was called."""


class UnsafePickle(ValueError):
    """A CIFAR-10 file whose pickle names a global that a CIFAR-10 file never holds (it was not run)."""


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals of ``_ADMITTED`` and refuses every other one
    before it is called: a batch file can never run code."""

    def find_class(self, module, name):
        try:
            return _ADMITTED[module, name]
        except KeyError:
            raise _Refused(f"{module}.{name}") from None


def read_pickle(path):
    """The object in the CIFAR-10 pickle file ``path`` (a batch or ``batches.meta``), loaded with
    ``_BatchUnpickler``; UnsafePickle (a ValueError) naming the file and the global if it names any other one."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return _BatchUnpickler(f, encoding="bytes").load()
    except _Refused as err:
        raise UnsafePickle(f"CIFAR-10 file {path} was refused: its pickle names {err}, which a CIFAR-10 file "
                         "never holds; nothing in it was run. Use the official files.") from None


def read_batch(path) -> tuple[np.ndarray, np.ndarray]:
    """Images X (n, 3072) uint8 (channel-major R, G, B) and labels y (n,) int64 of one batch file."""
    path = Path(path)
    try:
        batch = read_pickle(path)
        X = np.asarray(batch[b"data"], dtype=np.uint8)
        y = np.asarray(batch[b"labels"], dtype=np.int64)
    except FileNotFoundError:
        raise FileNotFoundError(f"CIFAR-10 file missing: {path}") from None
    except UnsafePickle:
        raise
    except Exception as err:
        raise ValueError(f"CIFAR-10 file {path} is corrupt or not a batch file ({type(err).__name__}: {err})") from None
    if X.ndim != 2 or X.shape[1] != DIM or len(y) != len(X) or (len(y) and not 0 <= y.min() <= y.max() <= 9):
        raise ValueError(f"CIFAR-10 file {path} is corrupt: data {X.shape}, {len(y)} labels")
    return X, y


NORMALISE_ROWS = 4096   # rows per block while standardising: float64 temporaries stay small


def _blocks(n: int):
    return (slice(start, start + NORMALISE_ROWS) for start in range(0, n, NORMALISE_ROWS))


def _normalise(train: np.ndarray, *others: np.ndarray, dtype) -> list[np.ndarray]:
    """Every array (n, d) standardised with the mean and std of ``train``, computed in float64 block by block of
    rows and stored in ``dtype``: no float64 copy of a whole data set."""
    n = len(train)
    mean = sum(train[rows].sum(axis=0, dtype=np.float64) for rows in _blocks(n)) / n
    std = np.sqrt(sum(np.square(train[rows] - mean).sum(axis=0) for rows in _blocks(n)) / n)
    std[std == 0] = 1.0
    out = []
    for array in (train, *others):
        result = np.empty(array.shape, dtype=dtype)
        for rows in _blocks(len(array)):
            result[rows] = (array[rows] - mean) / std
        out.append(result)
    return out


def load_cifar10(held_out: float | None, root=None, dtype=np.float64):
    """((X_train, y_train), (X_val, y_val), (X_test, y_test)); X: (n, 3072), normalised with the training set's
    per-feature mean and std. held_out: the fraction of all five training batches held out (from the end) for
    validation, or None to train on data_batch_1 and validate on data_batch_2. The test set is test_batch."""
    folder = ensure_data(root)
    test = read_batch(folder / "test_batch")
    if held_out is None:
        train, val = read_batch(folder / "data_batch_1"), read_batch(folder / "data_batch_2")
    else:
        batches = [read_batch(folder / name) for name in TRAIN_BATCHES]
        X = np.concatenate([b[0] for b in batches])
        y = np.concatenate([b[1] for b in batches])
        n_train = len(y) - int(round(held_out * len(y)))
        train, val = (X[:n_train], y[:n_train]), (X[n_train:], y[n_train:])
    Xs = _normalise(*(part[0] for part in (train, val, test)), dtype=dtype)
    return tuple((X, part[1]) for X, part in zip(Xs, (train, val, test)))


def write_synthetic(root, n_per_batch: int = 100, seed: int = 0) -> Path:
    """Write a CIFAR-10-format data set to ``root``: 5 training batches and a test batch of
    ``n_per_batch`` images each, drawn as a faint class template plus strong noise
    (learnable from many images, memorisable but not generalisable from a few)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    templates = 128 + rng.uniform(-10, 10, size=(len(CLASSES), DIM))
    for name in TRAIN_BATCHES + ["test_batch"]:
        y = rng.integers(0, len(CLASSES), n_per_batch)
        X = np.clip(templates[y] + rng.normal(0, 64, size=(n_per_batch, DIM)), 0, 255).astype(np.uint8)
        _write_pickle(root / name, {b"batch_label": name.encode(), b"labels": y.tolist(), b"data": X})
    _write_pickle(root / "batches.meta", {b"label_names": [c.encode() for c in CLASSES],
                                          b"num_cases_per_batch": n_per_batch, b"num_vis": DIM})
    return root


def _write_pickle(path: Path, obj) -> None:
    write_atomic(path, pickle.dumps(obj, protocol=2))


def data_fingerprint(*pairs) -> str:
    """``sha256:...`` of the (X (n, d), y (n,)) pairs: their dtypes, shapes and bytes."""
    digest = hashlib.sha256()
    for pair in pairs:
        for array in pair:
            array = np.ascontiguousarray(array)
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(memoryview(array).cast("B"))
    return "sha256:" + digest.hexdigest()[:16]
