"""papermill's engine ``assignment2``: nbclient on a kernel reached over IPC sockets (no warning of unencrypted
TCP), refusing a parameter the notebook does not declare and stopping on Ctrl-C with one line."""

import ast
import os
import sys
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from papermill.engines import NBClientEngine


class UnknownParameterError(ValueError):
    """A parameter given to papermill that the notebook's parameters cell does not declare (a typo, say)."""


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels listen on IPC sockets, not TCP ports."""

    def __init__(self, **kwargs):
        super().__init__(transport="ipc", **kwargs)


def _assigned(cell) -> set:
    """The names a code cell assigns at its top level."""
    tree = ast.parse("".join(cell["source"]))
    return {target.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)}


def check_parameters(nb, notebook: str = "the notebook") -> None:
    """Raise UnknownParameterError, in one line naming them and ``notebook``, if papermill injected parameters
    that the notebook's ``parameters`` cell does not declare."""
    tagged = {tag: cell for cell in nb.cells for tag in cell.get("metadata", {}).get("tags", [])}
    if "parameters" not in tagged or "injected-parameters" not in tagged:
        return
    declared = _assigned(tagged["parameters"])
    unknown = sorted(_assigned(tagged["injected-parameters"]) - declared)
    if unknown:
        raise UnknownParameterError(f"{', '.join(unknown)}: not a parameter of {notebook}, which takes "
                                    f"{', '.join(sorted(declared))} (papermill --help-notebook explains each)")


def interrupted() -> str:
    """The line that ends a build stopped by Ctrl-C: how many networks its run store keeps ($ASSIGNMENT2_STORE)."""
    store = os.environ.get("ASSIGNMENT2_STORE")
    kept = len(list(Path(store).glob("*.npz"))) if store and Path(store).is_dir() else 0
    return (f"interrupted: the run store keeps {kept} networks, every one finished so far; `make report` "
            "continues from there")


class IPCEngine(NBClientEngine):
    """papermill's nbclient engine, its kernels on IPC sockets; a notebook given a parameter it does not
    declare is not run. Ctrl-C stops it with one line and no traceback: the kernel runs in a session of its own,
    and ends, with its workers, as soon as this process has gone."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        check_parameters(nb_man.nb, kwargs.get("input_path") or "the notebook")
        try:
            return super().execute_managed_notebook(nb_man, kernel_name, kernel_manager_class=IPCKernelManager,
                                                    **kwargs)
        except KeyboardInterrupt:
            print(interrupted(), file=sys.stderr, flush=True)
            os._exit(130)
