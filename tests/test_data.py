import hashlib
import http.server
import io
import tarfile
import threading
from functools import partial

import numpy as np
import pytest

from assignment2.study.splits import load_split
from assignment2.core import data


def test_splits_shapes_and_normalisation(synthetic_root):
    (X, y), (Xv, yv), (Xt, yt) = data.load_cifar10(None, synthetic_root)
    assert X.shape == (200, 3072) and Xv.shape == (200, 3072) and Xt.shape == (200, 3072)
    assert X.dtype == np.float64 and y.dtype == np.int64 and set(np.unique(y)) <= set(range(10))
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-9)
    raw = data.read_batch(synthetic_root / "data_batch_2")[0].astype(float)
    train_raw = data.read_batch(synthetic_root / "data_batch_1")[0].astype(float)
    np.testing.assert_allclose(Xv, (raw - train_raw.mean(0)) / train_raw.std(0))
    (X, _), (Xv, _), _ = data.load_cifar10(0.1, synthetic_root, dtype=np.float32)
    assert (len(X), len(Xv)) == (900, 100) and X.dtype == np.float32
    (X, _), (Xv, _), _ = data.load_cifar10(0.02, synthetic_root)
    assert (len(X), len(Xv)) == (980, 20)


def test_unknown_split(synthetic_root):
    with pytest.raises(ValueError, match="split must be one of 'ex3', 'search', 'final'"):
        load_split("train", synthetic_root)


def test_root_from_environment(synthetic_root, monkeypatch):
    monkeypatch.setenv("CIFAR10_DIR", str(synthetic_root))
    assert data.data_root() == synthetic_root
    assert len(data.load_cifar10(None)[0][1]) == 200


def test_synthetic_data_is_not_official(synthetic_root):
    assert data.matches_official(synthetic_root) is False


def test_matches_official_compares_md5s(synthetic_root, monkeypatch):
    md5s = {name: hashlib.md5((synthetic_root / name).read_bytes()).hexdigest() for name in data.FILE_MD5}
    monkeypatch.setattr(data, "FILE_MD5", md5s)
    assert data.matches_official(synthetic_root) is True


def copy_of(root, tmp_path):
    target = tmp_path / "copy"
    target.mkdir()
    for name in data.FILE_MD5:
        (target / name).write_bytes((root / name).read_bytes())
    return target


def test_corrupt_file_is_reported_by_name(synthetic_root, tmp_path):
    root = copy_of(synthetic_root, tmp_path)
    (root / "data_batch_2").write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="data_batch_2 is corrupt"):
        data.load_cifar10(None, root)


def make_archive(root, extra=None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in data.FILE_MD5:
            tar.add(root / name, arcname=f"cifar-10-batches-py/{name}")
        for info, payload in extra or []:
            tar.addfile(info, io.BytesIO(payload) if payload else None)
    return buffer.getvalue()


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving the folder tmp_path/www."""
    www = tmp_path / "www"
    www.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_download_verifies_and_extracts_safely(synthetic_root, server, tmp_path, monkeypatch):
    www, url = server
    escape = tarfile.TarInfo("../escaped.txt")
    escape.size = 3
    archive = make_archive(synthetic_root, extra=[(escape, b"bad")])
    (www / "cifar.tar.gz").write_bytes(archive)
    monkeypatch.setattr(data, "URL", f"{url}/cifar.tar.gz")
    monkeypatch.setattr(data, "ARCHIVE_MD5", hashlib.md5(archive).hexdigest())
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    train, _, _ = data.load_cifar10(None)
    folder = cache / "assignment2" / "cifar-10-batches-py"
    assert sorted(p.name for p in folder.iterdir()) == sorted(data.FILE_MD5)
    assert sorted(p.name for p in folder.parent.iterdir()) == ["cifar-10-batches-py"]
    assert not (tmp_path / "escaped.txt").exists() and not (cache / "escaped.txt").exists()
    assert len(train[1]) == 200


def test_download_with_wrong_md5_leaves_nothing(synthetic_root, server, tmp_path, monkeypatch):
    www, url = server
    (www / "cifar.tar.gz").write_bytes(make_archive(synthetic_root))
    monkeypatch.setattr(data, "URL", f"{url}/cifar.tar.gz")
    root = tmp_path / "data" / "cifar-10-batches-py"
    with pytest.raises(ValueError, match="is not the published c58f30108f718f92721af3b95e74349a"):
        data.load_cifar10(None, root)
    assert not (tmp_path / "data").exists()          # no folder is made for a download that failed


def test_archive_with_a_link_instead_of_a_file_is_rejected(synthetic_root, server, tmp_path, monkeypatch):
    www, url = server
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in data.FILE_MD5:
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
    (www / "cifar.tar.gz").write_bytes(buffer.getvalue())
    monkeypatch.setattr(data, "URL", f"{url}/cifar.tar.gz")
    monkeypatch.setattr(data, "ARCHIVE_MD5", hashlib.md5(buffer.getvalue()).hexdigest())
    with pytest.raises(ValueError, match="is not a regular file"):
        data.load_cifar10(None, tmp_path / "d" / "cifar-10-batches-py")
    assert not (tmp_path / "d").exists()


def test_no_network_says_where_to_put_the_files(tmp_path, monkeypatch, server):
    _, url = server
    monkeypatch.setattr(data, "URL", f"{url}/missing.tar.gz")
    root = tmp_path / "nowhere" / "cifar-10-batches-py"
    with pytest.raises(FileNotFoundError, match=r"data_batch_1.*Put the python-version files .* in .*nowhere"):
        data.load_cifar10(None, root)
    assert not (tmp_path / "nowhere").exists()


def test_a_missing_file_is_named(synthetic_root, tmp_path, monkeypatch, server):
    _, url = server
    monkeypatch.setattr(data, "URL", f"{url}/missing.tar.gz")
    root = copy_of(synthetic_root, tmp_path)
    (root / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match=r"files missing in .*copy: data_batch_3;"):
        data.load_cifar10(0.1, root)


def test_a_relative_data_folder_is_read_from_where_the_user_ran_the_command(synthetic_root, tmp_path, monkeypatch):
    """papermill's --cwd moves the kernel to notebooks/; $PWD still names the folder the user typed in."""
    home = copy_of(synthetic_root, tmp_path).parent
    elsewhere = tmp_path / "notebooks"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("PWD", str(home))
    monkeypatch.setenv("CIFAR10_DIR", "copy")
    assert data.data_root() == home / "copy" and len(data.load_cifar10(None)[0][1]) == 200
    assert data.data_root("copy") == home / "copy"
