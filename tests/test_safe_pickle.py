"""A CIFAR-10 file can never run code: the restricted unpickler of data.read_pickle."""

import builtins
import os
import pickle
import pickletools
import subprocess

import numpy as np
import pytest

from assignment2.core import data
from assignment2.__main__ import main
from test_data import copy_of


class Calls:
    """Pickles as a call of ``function(*args)``, the way a hostile file would."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def hostile_payloads(marker):
    """Objects whose unpickling would create the file ``marker``, one per callable."""
    touch = f"touch {marker}"
    return [
        Calls(os.system, touch),
        Calls(builtins.eval, f"open({str(marker)!r}, 'w').close()"),
        Calls(builtins.exec, f"open({str(marker)!r}, 'w').close()"),
        Calls(subprocess.Popen, ["touch", str(marker)]),
        Calls(builtins.open, str(marker), "w"),
        Calls(np.save, str(marker), np.zeros(1)),
    ]


@pytest.mark.parametrize("index", range(6))
@pytest.mark.parametrize("where", ["data", "labels", "meta"])
@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_a_pickle_that_calls_anything_else_is_refused_and_never_runs(synthetic_root, tmp_path, index, where,
                                                                      protocol):
    root = copy_of(synthetic_root, tmp_path)
    marker = tmp_path / "ran"
    payload = hostile_payloads(marker)[index]
    X, y = data.read_batch(root / "data_batch_1")
    batch = {b"data": X, b"labels": y.tolist()}
    target = "batches.meta" if where == "meta" else "data_batch_1"
    if where == "meta":
        obj = {b"label_names": [payload]}
    else:
        obj = {**batch, (b"data" if where == "data" else b"labels"): payload}
    (root / target).write_bytes(pickle.dumps(obj, protocol=protocol))
    reader = data.read_pickle if where == "meta" else data.read_batch
    refused = rf"{target} was refused: its pickle names [\w.]+\.{payload.function.__name__},"
    with pytest.raises(ValueError, match=refused):
        reader(root / target)
    if where != "meta":
        with pytest.raises(data.UnsafePickle, match=target):
            data.load_cifar10(None, root)
    assert not marker.exists() and not (tmp_path / "ran.npy").exists()


def test_the_cli_reports_a_refused_file_without_a_traceback(synthetic_root, tmp_path, capsys):
    root = copy_of(synthetic_root, tmp_path)
    marker = tmp_path / "ran"
    (root / "data_batch_1").write_bytes(pickle.dumps({b"data": Calls(os.system, f"touch {marker}")}))
    assert main(["train", "--root", str(root), "--n-s", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: CIFAR-10 file") and "data_batch_1 was refused" in err and "Traceback" not in err
    assert not marker.exists()


def test_an_array_of_another_type_or_class_is_refused(synthetic_root, tmp_path):
    root = copy_of(synthetic_root, tmp_path)
    for array in (np.zeros((2, 3072), dtype=object), np.zeros((2, 3072)), np.ma.zeros((2, 3072), np.uint8)):
        (root / "data_batch_1").write_bytes(pickle.dumps({b"data": array, b"labels": [0, 1]}, protocol=2))
        with pytest.raises(ValueError, match="data_batch_1"):
            data.read_batch(root / "data_batch_1")


def test_a_codec_other_than_latin1_is_refused(tmp_path):
    # protocol 2 writes bytes as _codecs.encode(text, "latin1"); another codec is not admitted
    path = tmp_path / "data_batch_1"
    raw = pickle.dumps({b"labels": b"ab"}, protocol=2)
    assert b"latin1" in raw
    path.write_bytes(raw.replace(b"latin1", b"rot_13"))
    with pytest.raises(ValueError, match="data_batch_1 is corrupt .*codec 'rot_13'"):
        data.read_batch(path)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_legal_files_of_every_protocol_load_exactly(synthetic_root, tmp_path, protocol):
    X, y = data.read_batch(synthetic_root / "data_batch_1")
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"batch_label": b"training batch 1 of 5", b"labels": y.tolist(), b"data": X,
                                   b"filenames": ["a.png"] * len(y)}, protocol=protocol))
    X2, y2 = data.read_batch(path)
    assert X2.dtype == np.uint8 and y2.dtype == np.int64
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_the_restricted_loader_gives_what_pickle_gives(synthetic_root):
    for name in data.FILE_MD5:
        raw = (synthetic_root / name).read_bytes()
        plain = pickle.loads(raw, encoding="bytes")
        safe = data.read_pickle(synthetic_root / name)
        assert safe.keys() == plain.keys()
        for key, value in plain.items():
            np.testing.assert_array_equal(safe[key], value)


def test_python2_files_like_the_official_ones_load(tmp_path):
    """The official files are Python 2 pickles: str arrays' dtype arrives as bytes b'u1'."""
    X = np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072)
    raw = pickle.dumps({"data": X, "labels": [3, 4]}, protocol=2)
    ops = [op.name for op, _, _ in pickletools.genops(raw)]
    assert "GLOBAL" in ops
    # Python 2 wrote the dtype's name as a byte string: SHORT_BINSTRING, which encoding="bytes" reads as bytes
    py2 = raw.replace(b"X\x02\x00\x00\x00u1", b"U\x02u1")
    assert py2 != raw
    path = tmp_path / "data_batch_1"
    path.write_bytes(py2.replace(b"X\x04\x00\x00\x00data", b"U\x04data").replace(b"X\x06\x00\x00\x00labels", b"U\x06labels"))
    X2, y2 = data.read_batch(path)
    np.testing.assert_array_equal(X2, X)
    assert y2.tolist() == [3, 4]
