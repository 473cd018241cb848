"""What made a result: the code's version, a fingerprint of the data, and the machine."""

import datetime
import hashlib
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import __version__
from ..study.parallel import cpu_model

PACKAGE = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=None)
def code_version() -> str:
    """``version+hash``: the package version and a hash of every module's source (``1.0.0+3f2a...``)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{__version__}+{digest.hexdigest()[:12]}"


def _git(*args) -> str:
    result = subprocess.run(["git", *args], cwd=PACKAGE, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def environment() -> dict:
    """The machine and software a report was built with: git commit, versions, BLAS, CPU, date."""
    from threadpoolctl import threadpool_info

    commit = _git("rev-parse", "--short", "HEAD")
    blas = [f"{lib.get('internal_api')} {lib.get('version')} ({lib.get('threading_layer', 'threads')})"
            for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return {
        "commit": commit or "not a git checkout",
        "dirty": bool(commit) and bool(_git("status", "--porcelain", "--untracked-files=no")),
        "code_version": code_version(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "blas": ", ".join(blas) or "unknown",
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "date": datetime.date.today().isoformat(),
    }
