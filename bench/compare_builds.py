"""Compare two builds of `make report`, number for number: every notebook's results.json and CSV tables.

    python bench/compare_builds.py BUILD_BEFORE BUILD_AFTER

Timings (keys and columns with "seconds" or "time") and run keys (the store's file names, which hash the
source of the training modules) are left aside; keys and table columns that only one build has are listed.
Exit status 1 when a value differs.
"""

import csv
import json
import sys
from pathlib import Path

SKIP = ("seconds", "time")
KEYS = ("run", "runs")


def _skipped(key: str) -> bool:
    return any(word in key for word in SKIP) or key in KEYS


def _walk(a, b, path: str, out: dict) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if _skipped(key):
                continue
            if key not in a or key not in b:
                out["only"].append(f"{path}.{key} ({'after' if key not in a else 'before'} only)")
            else:
                _walk(a[key], b[key], f"{path}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            _walk(x, y, f"{path}[{i}]", out)
    else:
        out["values"] += 1
        if a != b and not (a != a and b != b):         # NaN equals NaN here
            out["differ"].append(f"{path}: {a!r} before, {b!r} after")


def _tables(before: Path, after: Path, out: dict) -> None:
    for path in sorted(before.glob("*.csv")):
        rows_a, rows_b = (list(csv.DictReader(open(p))) for p in (path, after / path.name))
        if len(rows_a) != len(rows_b):
            out["differ"].append(f"{path.name}: {len(rows_a)} rows before, {len(rows_b)} after")
        columns_a, columns_b = (set(rows[0]) if rows else set() for rows in (rows_a, rows_b))
        out["only"] += [f"{path.name} column {key} ({'before' if key in columns_a else 'after'} only)"
                        for key in sorted(columns_a ^ columns_b)]
        for i, (x, y) in enumerate(zip(rows_a, rows_b)):
            for key in (k for k in x if not _skipped(k) and k in y):
                out["cells"] += 1
                if x[key] != y[key]:
                    out["differ"].append(f"{path.name}[{i}].{key}: {x[key]!r} before, {y[key]!r} after")


def main(before: str, after: str) -> int:
    differ = 0
    for results in sorted(Path(before).glob("*/results.json")):
        folder = results.parent.name
        out = {"values": 0, "cells": 0, "differ": [], "only": []}
        _walk(json.loads(results.read_text()), json.loads((Path(after) / folder / "results.json").read_text()),
              folder, out)
        _tables(results.parent, Path(after) / folder, out)
        differ += len(out["differ"])
        print(f"{folder}: {out['values']} results, {out['cells']} table cells, {len(out['differ'])} differ"
              + (f"; new or gone: {', '.join(out['only'])}" if out["only"] else ""))
        for line in out["differ"][:10]:
            print("   ", line)
    print("identical" if not differ else f"{differ} values differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
