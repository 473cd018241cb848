"""How ``make report`` executes a notebook: papermill's nbclient engine on a kernel reached over IPC.

A kernel that listens on TCP ports warns at every start that its traffic is not encrypted; one
on IPC sockets (local files of this user) has nothing to warn about. Registered with papermill
as the engine ``assignment2`` (see pyproject.toml): ``papermill --engine assignment2 ...``.
"""

from jupyter_client.manager import AsyncKernelManager
from papermill.engines import NBClientEngine


class IPCKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels listen on IPC sockets, not TCP ports."""

    def __init__(self, **kwargs):
        super().__init__(transport="ipc", **kwargs)


class IPCEngine(NBClientEngine):
    """papermill's nbclient engine, its kernels on IPC sockets."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        return super().execute_managed_notebook(nb_man, kernel_name, kernel_manager_class=IPCKernelManager, **kwargs)
