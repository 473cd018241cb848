"""Files written so that an interrupted write never leaves a half-written file behind: bytes, text,
CSV tables (a list of dicts) and JSON."""

import csv
import io
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=None)
def _file_mode() -> int:
    """The mode a new file gets from ``open``: 0o666 less this process's umask."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def user_path(path) -> Path | None:
    """A path as the user typed it: a relative one is read from the folder they ran the command in ($PWD, which
    a notebook that papermill runs with ``--cwd`` still has), not from the process's working folder. None: None."""
    if path is None:
        return None
    path = Path(path).expanduser()
    return path if path.is_absolute() else Path(os.environ.get("PWD") or os.getcwd()) / path


def write_atomic(path, data, private: bool = False) -> Path:
    """Write ``data`` (str or bytes) to ``path`` via a temporary file in the same folder and a rename.

    The file is readable as one made by ``open`` would be, or with ``private`` by its owner only, from its
    first byte (mkstemp's mode 0600). Two writers of one path leave one of their files whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        if not private:
            os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def save_table(rows: list[dict], path) -> Path:
    """Write a list of dicts (same keys) as CSV."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return write_atomic(path, buffer.getvalue())


def read_table(path) -> list[dict]:
    """The rows of a CSV file written by ``save_table``, numbers (and True/False) parsed."""
    with open(path, newline="") as f:
        return [{key: _parse(value) for key, value in row.items()} for row in csv.DictReader(f)]


def _parse(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"True": True, "False": False}.get(text, text)


def save_json(value, path) -> Path:
    """Write ``value`` as indented JSON (NumPy numbers as floats)."""
    return write_atomic(path, json.dumps(value, indent=1, default=float))


def load_json(path):
    with open(path) as f:
        return json.load(f)
