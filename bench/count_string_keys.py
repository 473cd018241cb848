"""Count subscripts with a string key (``x["name"]``) in the package and in the notebooks' code cells.

    python bench/count_string_keys.py [--files]

Each ``ast.Subscript`` whose index is a string constant counts once; ``--files`` lists the files.
"""

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def string_keys(source: str) -> int:
    """The subscripts of ``source`` (Python) indexed by a string constant."""
    return sum(isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
               and isinstance(node.slice.value, str) for node in ast.walk(ast.parse(source)))


def notebook_source(path: Path) -> str:
    """The code cells of a notebook, IPython magics left out."""
    cells = json.loads(path.read_text())["cells"]
    lines = [line for cell in cells if cell["cell_type"] == "code" for line in "".join(cell["source"]).splitlines()]
    return "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))


def main() -> None:
    counts = {"package": {}, "notebooks": {}}
    for path in sorted((ROOT / "assignment2").rglob("*.py")):
        counts["package"][str(path.relative_to(ROOT))] = string_keys(path.read_text())
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        counts["notebooks"][str(path.relative_to(ROOT))] = string_keys(notebook_source(path))
    for part, files in counts.items():
        if "--files" in sys.argv:
            for name, n in sorted(files.items(), key=lambda item: -item[1]):
                if n:
                    print(f"  {n:4d}  {name}")
        print(f"{part}: {sum(files.values())} string-key subscripts in {len(files)} files")


if __name__ == "__main__":
    main()
