"""A Papermill engine that keeps its kernel warm: start once, import once, run many notebooks.

Registered under Papermill's own entry point group ``papermill.engine`` as ``hiworkbook``, so::

    papermill --engine hiworkbook notebooks/place_profile.ipynb out.ipynb -p place_code X06000001
    pm.execute_notebook(nb, out, parameters={...}, engine_name="hiworkbook")

work as usual: Papermill still loads the notebook, injects the parameters
(``papermill.parameterize.parameterize_notebook``), records cell metadata and raises
``PapermillExecutionError``. What changes is the kernel. :class:`HiworkbookEngine` (an
``NBClientEngine``) asks :func:`warm_kernel` for this process's kernel instead of starting one,
which the first notebook starts and every later notebook in the process reuses: the kernel starts
once and imports pandas, geopandas, folium, matplotlib and hiworkbook once
(:func:`hiworkbook.kernel_state.preload`), and before each notebook its state is reset to what a
fresh kernel would show (:func:`hiworkbook.kernel_state.reset`: user namespace, history, execution
count, figures, warning registries, ``sys.path``, environment, logging, working folder).

A notebook that fails is never allowed to poison the next one: after an error in a cell, a timeout
(``notebook_timeout``: seconds for the whole notebook, checked by nbclient's own per-cell timeout),
a kernel that dies, or an interrupt, the kernel is killed and the next notebook gets a fresh one.
Timeouts and dead kernels raise :class:`NotebookTimeoutError` and :class:`KernelDiedError` with a
one-line reason.

Kernels talk over IPC sockets at a unique path each (:func:`ipc_kernel_manager_class`): parallel TCP
starts occasionally collide on a port, and the default IPC path is shared by every kernel started in
the same folder (../shared/reading/stack-measurements.md, section 3). A kernel exits by itself when
the process that started it dies (ipykernel's parent poller, ``JPY_PARENT_PID``), and
:func:`shutdown_kernels` (run at exit) shuts every warm kernel of the process down.

Only IPython kernels can be kept warm (the reset is IPython's); the engine refuses others.
"""

from __future__ import annotations

import ast
import atexit
import functools
import logging
import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.engines import NBClientEngine

__all__ = [
    "HiworkbookEngine",
    "ipc_kernel_manager_class",
    "KernelDiedError",
    "NotebookTimeoutError",
    "WarmKernel",
    "kill_kernels",
    "notebook_imports",
    "shutdown_kernels",
    "warm_kernel",
]

log = logging.getLogger(__name__)
#: nbclient's own messages ("Timeout waiting for execute reply", "Kernel died …"): the engine
#: raises them as one-line errors instead, so they are shown only when this logger is set lower.
_client_log = logging.getLogger(f"{__name__}.nbclient")
_client_log.setLevel(logging.CRITICAL)

#: Name the kernel-side helpers (:mod:`hiworkbook.kernel_state`) are registered under in the kernel.
_KERNEL_MODULE = "_hiworkbook_warm"


class KernelDiedError(DeadKernelError):
    """The kernel died while running a notebook (it was replaced by a fresh one)."""


class NotebookTimeoutError(CellTimeoutError):
    """A notebook ran longer than its time limit (its kernel was replaced by a fresh one)."""


@functools.cache
def ipc_kernel_manager_class() -> type:
    """The kernel manager class warm kernels use (built on first use: jupyter_client is imported
    only then)."""
    from jupyter_client.manager import AsyncKernelManager

    class _IPCKernelManager(AsyncKernelManager):
        """A kernel on IPC sockets at a path no other kernel uses; its stderr dropped unless
        logging at DEBUG (shutdown chatter would interleave with the progress bar; errors reach
        us as cell outputs)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.transport = "ipc"
            self.ip = str(
                Path(tempfile.gettempdir()) / f"hiw-kernel-{uuid.uuid4().hex}"
            )

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            if not log.isEnabledFor(logging.DEBUG):
                kw.setdefault("stderr", subprocess.DEVNULL)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    _IPCKernelManager.__name__ = "IPCKernelManager"
    return _IPCKernelManager


def notebook_imports(nb: Any) -> list[str]:
    """The modules a notebook imports at the top level of its code cells, in order.

    Parameters
    ----------
    nb : nbformat.NotebookNode

    Returns
    -------
    list of str
        Dotted module names (``from a.b import c`` gives ``a.b``); cells that are not valid Python
        (magics) are skipped.
    """
    names: list[str] = []
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
    return list(dict.fromkeys(names))


class WarmKernel:
    """One kernel kept running to execute many notebooks, with its state reset between them.

    Parameters
    ----------
    kernel_name : str
        A Jupyter kernel name (an IPython kernel, e.g. ``python3``).
    kernel_manager_class : type, optional
        Default :func:`ipc_kernel_manager_class`.
    startup_timeout : float, default 60
        Seconds to wait for the kernel to answer.
    """

    def __init__(
        self,
        kernel_name: str,
        *,
        kernel_manager_class: type | None = None,
        startup_timeout: float = 60,
    ) -> None:
        import nbformat
        from nbclient import NotebookClient

        self.kernel_name = kernel_name
        km_class = kernel_manager_class or ipc_kernel_manager_class()
        km = km_class(kernel_name=kernel_name)
        # nbclient's own start-up (history in memory, wait for ready); the client is kept
        self._nc = NotebookClient(
            nbformat.v4.new_notebook(),
            km=km,
            kernel_name=kernel_name,
            startup_timeout=int(startup_timeout),
            timeout=120,
            shutdown_kernel="immediate",
        )
        t0 = time.perf_counter()
        self._nc.start_new_kernel(cwd=str(Path.cwd()))
        try:
            self._nc.start_new_kernel_client()
            info = self._nc.wait_for_reply(self.kc.kernel_info())
            lang = (info or {}).get("content", {}).get("language_info", {})
            if lang.get("name") != "python":
                raise RuntimeError(
                    f"the hiworkbook engine keeps only IPython kernels warm; "
                    f"kernel {kernel_name!r} runs {lang.get('name')!r}"
                )
            self._bootstrap()
        except BaseException:
            self.kill()
            raise
        self.preloaded = False
        self.notebooks = 0
        self.thread = threading.get_ident()
        log.debug("kernel %s started in %.2f s", self.pid, time.perf_counter() - t0)

    # ------------------------------------------------------------------ state
    @property
    def km(self) -> Any:
        """The kernel manager."""
        return self._nc.km

    @property
    def kc(self) -> Any:
        """The kernel client (channels kept open between notebooks)."""
        return self._nc.kc

    @property
    def pid(self) -> int | None:
        """The kernel's process id."""
        prov = getattr(self.km, "provisioner", None) if self.km else None
        return getattr(prov, "pid", None)

    def is_alive(self) -> bool:
        """Whether the kernel process is still running."""
        from jupyter_core.utils import run_sync

        if self.km is None:
            return False
        try:
            return bool(run_sync(self._async_is_alive)())
        except Exception:
            return False

    async def _async_is_alive(self) -> bool:
        from jupyter_core.utils import ensure_async

        return await ensure_async(self.km.is_alive())

    # ------------------------------------------------------------------ running code
    def run(self, code: str, timeout: float = 120) -> None:
        """Run ``code`` silently in the kernel (no output, no history, no execution count).

        Raises
        ------
        RuntimeError
            When the code raises (its ``ename: evalue``).
        """
        self._nc.timeout = int(timeout)
        msg_id = self.kc.execute(
            code, silent=True, store_history=False, allow_stdin=False
        )
        reply = self._nc.wait_for_reply(msg_id)
        content = (reply or {}).get("content", {})
        if content.get("status") != "ok":
            raise RuntimeError(
                f"{content.get('ename', 'no reply')}: {content.get('evalue', '')}"
            )

    def _bootstrap(self) -> None:
        from hiworkbook import kernel_state

        src = Path(kernel_state.__file__).read_text(encoding="utf-8")
        self.run(
            "import sys as _s, types as _t\n"
            f"_m = _t.ModuleType({_KERNEL_MODULE!r})\n"
            f"exec(compile({src!r}, 'hiworkbook/kernel_state.py', 'exec'), _m.__dict__)\n"
            f"_s.modules[{_KERNEL_MODULE!r}] = _m\n"
            "del _s, _t, _m\n"
        )

    def prepare(self, nb: Any, cwd: str | None = None) -> None:
        """Make the kernel ready for ``nb``: import the notebook's modules the first time,
        reset the state left by the last notebook, change to ``cwd``."""
        if not self.preloaded:
            self.run(
                f"__import__({_KERNEL_MODULE!r}).preload({notebook_imports(nb)!r})",
                timeout=300,
            )
            self.preloaded = True
        self.run(f"__import__({_KERNEL_MODULE!r}).reset({cwd!r})")
        self.notebooks += 1

    # ------------------------------------------------------------------ stopping
    def shutdown(self) -> None:
        """Shut the kernel down (kill it if it does not stop) and remove its socket files."""
        try:
            if self.km is not None:
                self._nc._cleanup_kernel()
        except Exception:  # a kernel in a bad state: make sure it is gone
            self.kill()

    def kill(self) -> None:
        """Kill the kernel at once (safe from a signal handler: no event loop), remove its files."""
        pid = self.pid
        if pid:
            try:
                os.killpg(pid, signal.SIGKILL)  # the kernel leads its own session
            except (OSError, AttributeError):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            prov = getattr(self.km, "provisioner", None)
            proc = getattr(prov, "process", None)
            if proc is not None:
                try:
                    proc.wait(timeout=5)
                except Exception:
                    pass
        km = self.km
        if km is not None:
            for clean in ("cleanup_connection_file", "cleanup_ipc_files"):
                try:
                    getattr(km, clean)()
                except Exception:
                    pass
        try:
            if self.kc is not None:
                self.kc.stop_channels()
        except Exception:
            pass
        self._nc.kc = None
        self._nc.km = None


# ---------------------------------------------------------------------- this process's kernels
_KERNELS: dict[tuple[str, int], WarmKernel] = {}
_LOCK = threading.Lock()


def warm_kernel(
    kernel_name: str,
    *,
    kernel_manager_class: type | None = None,
    startup_timeout: float = 60,
) -> WarmKernel:
    """This process's warm kernel for ``kernel_name`` (one per thread), started if missing or dead.

    Parameters
    ----------
    kernel_name : str
    kernel_manager_class : type, optional
    startup_timeout : float, default 60

    Returns
    -------
    WarmKernel
    """
    key = (kernel_name, threading.get_ident())
    with _LOCK:
        kernel = _KERNELS.get(key)
    if kernel is not None and not kernel.is_alive():
        discard_kernel(kernel)
        kernel = None
    if kernel is None:
        kernel = WarmKernel(
            kernel_name,
            kernel_manager_class=kernel_manager_class,
            startup_timeout=startup_timeout,
        )
        with _LOCK:
            _KERNELS[key] = kernel
    return kernel


def discard_kernel(kernel: WarmKernel) -> None:
    """Kill ``kernel`` and forget it: the next notebook gets a fresh one."""
    with _LOCK:
        for k, v in list(_KERNELS.items()):
            if v is kernel:
                del _KERNELS[k]
    kernel.kill()


def shutdown_kernels() -> None:
    """Shut down every warm kernel of this process (run at exit)."""
    with _LOCK:
        kernels = list(_KERNELS.values())
        _KERNELS.clear()
    for k in kernels:
        if k.thread == threading.get_ident():
            k.shutdown()
        else:  # its event loop belongs to another thread
            k.kill()


def kill_kernels() -> None:
    """Kill every warm kernel of this process at once (for signal handlers)."""
    with _LOCK:
        kernels = list(_KERNELS.values())
        _KERNELS.clear()
    for k in kernels:
        k.kill()


atexit.register(shutdown_kernels)
if hasattr(
    os, "register_at_fork"
):  # a forked child must never stop its parent's kernels
    os.register_at_fork(after_in_child=_KERNELS.clear)


# ---------------------------------------------------------------------- the engine
class HiworkbookEngine(NBClientEngine):
    """Papermill's nbclient engine on this process's warm kernel (see the module docstring).

    Extra keyword arguments (from ``papermill.execute_notebook(..., engine_name="hiworkbook")``):
    ``notebook_timeout`` — seconds for the whole notebook (default none; Papermill's
    ``execution_timeout`` still limits each cell); ``kernel_manager_class``.
    """

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: float | None = None,
        notebook_timeout: float | None = None,
        kernel_manager_class: type | None = None,
        **kwargs: Any,
    ) -> Any:
        """Execute the parameterised notebook in this process's warm kernel."""
        from papermill.clientwrap import PapermillNotebookClient
        from papermill.log import logger

        for unused in ("input_path", "timeout", "startup_timeout", "km", "kernel_name"):
            kwargs.pop(unused, None)
        kernel = warm_kernel(
            kernel_name,
            kernel_manager_class=kernel_manager_class,
            startup_timeout=start_timeout,
        )
        started = time.monotonic()
        deadline = started + notebook_timeout if notebook_timeout else None

        def timeout_func(cell: Any) -> int | None:
            limits = [execution_timeout] if execution_timeout else []
            if deadline is not None:
                limits.append(max(1.0, deadline - time.monotonic()))
            return int(min(limits) + 0.999) if limits else None

        try:
            kernel.prepare(nb_man.nb, cwd=str(Path.cwd()))
            client = PapermillNotebookClient(
                nb_man,
                km=kernel.km,
                kernel_name=kernel_name,
                timeout_func=timeout_func,
                startup_timeout=start_timeout,
                log=logger if log_output else _client_log,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            )
            client.kc = kernel.kc
            nb = client.execute()
        except CellTimeoutError as exc:
            discard_kernel(kernel)
            spent = time.monotonic() - started
            if deadline is not None and spent >= notebook_timeout - 1:
                raise NotebookTimeoutError(
                    f"did not finish within {notebook_timeout:g} s (stopped in {_cell_of(nb_man)})"
                ) from exc
            raise NotebookTimeoutError(
                f"a cell ran longer than {execution_timeout:g} s ({_cell_of(nb_man)})"
            ) from exc
        except DeadKernelError as exc:
            code = _exit_status(kernel)
            discard_kernel(kernel)
            raise KernelDiedError(
                f"the kernel died{code} while running {_cell_of(nb_man)}"
            ) from exc
        except BaseException:
            discard_kernel(kernel)
            raise
        if nb_man.nb.metadata.get("papermill", {}).get("exception"):
            discard_kernel(
                kernel
            )  # an error in a cell: the next notebook gets a fresh kernel
        return nb


def _cell_of(nb_man: Any) -> str:
    """The last cell that started (Papermill marks every cell it reaches as completed)."""
    last = None
    for i, cell in enumerate(nb_man.nb.cells):
        if cell.get("metadata", {}).get("papermill", {}).get("start_time"):
            last = i
    return f"cell {last + 1}" if last is not None else "the notebook"


def _exit_status(kernel: WarmKernel) -> str:
    proc = getattr(getattr(kernel.km, "provisioner", None), "process", None)
    try:
        code = proc.wait(timeout=2) if proc is not None else None
    except Exception:
        return ""
    if code is None:
        return ""
    if code < 0:
        try:
            return f" (signal {signal.Signals(-code).name})"
        except ValueError:
            return f" (signal {-code})"
    return f" (exit status {code})"
