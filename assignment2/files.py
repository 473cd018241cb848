"""Writing files so that an interrupted write never leaves a half-written file behind."""

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


def write_atomic(path, data) -> Path:
    """Write ``data`` (str or bytes) to ``path`` via a temporary file in the same folder and a rename.

    The file is readable as one made by ``open`` would be (mkstemp alone gives mode 0600). Two
    writers of one path leave one of their files whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path
