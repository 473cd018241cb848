"""The source a result depends on: a module of the package and every module of it that it imports, read as
code: its comments and docstrings are no part of it."""

import ast
import hashlib
import io
import tokenize
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def _path(module: str) -> Path:
    """The file of a dotted module name inside the package ("core.train" -> core/train.py)."""
    return PACKAGE.joinpath(*module.split(".")).with_suffix(".py")


def _imports(module: str) -> set:
    """The package's modules that ``module`` imports (relative imports: the package's own)."""
    package = module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(_path(module).read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[:len(package) - node.level + 1] + (node.module.split(".") if node.module else [])
            for alias in node.names:
                name = ".".join(base + [alias.name])
                found.add(name if _path(name).is_file() else ".".join(base))
    return {name for name in found if _path(name).is_file()}


@lru_cache(maxsize=None)
def closure(*modules: str) -> tuple:
    """``modules`` (dotted names inside the package, e.g. "core.train") and every module of the package
    they import, directly or not, sorted."""
    seen, todo = set(), list(modules)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(_imports(module) - seen)
    return tuple(sorted(seen))


def code(source: bytes) -> bytes:
    """The tokens of a module's ``source`` but its comments and docstrings (each with the end of its line), one per
    line: what an edit of the words, or of the layout, leaves as it was."""
    documented = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    docstrings = {(node.body[0].lineno, node.body[0].col_offset) for node in ast.walk(ast.parse(source))
                  if isinstance(node, documented) and ast.get_docstring(node, clean=False) is not None}
    kept, skipping = [], False
    for token in tokenize.tokenize(io.BytesIO(source).readline):
        if token.type == tokenize.STRING and token.start in docstrings:
            skipping = True
        elif not (token.type in (tokenize.COMMENT, tokenize.NL) or skipping and token.type == tokenize.NEWLINE):
            kept.append(token.string)
        skipping = skipping and token.type != tokenize.NEWLINE
    return "\n".join(kept).encode()


@lru_cache(maxsize=None)
def source_hash(modules: tuple) -> str:
    """16 hex digits of the SHA-256 of the ``code`` of the package's ``modules`` (dotted names)."""
    digest = hashlib.sha256()
    for name in modules:
        digest.update(name.encode() + b"\0" + code(_path(name).read_bytes()) + b"\0")
    return digest.hexdigest()[:16]
