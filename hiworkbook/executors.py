"""Where a batch's places run: in this process, in local worker processes, or on Dask.

Each executor is a context manager with one method, ``map_unordered(fn, tasks)``, yielding results
as they finish. Every worker keeps one warm kernel (:mod:`hiworkbook.engine`) for all the places it
runs. Leaving the ``with`` block normally shuts the workers and their kernels down; leaving it on an
exception (Ctrl-C, SIGTERM) stops them at once — running places are abandoned, never half-written,
and no worker or kernel outlives the run.

- :class:`InProcess` — ``workers=1``: places run one after another in this process.
- :class:`LocalPool` — a :class:`concurrent.futures.ProcessPoolExecutor`. Workers ignore SIGINT
  (Ctrl-C is the parent's to handle), kill their kernel and exit on SIGTERM, and on Linux are sent
  SIGTERM when the parent dies, even by SIGKILL (``prctl(PR_SET_PDEATHSIG)``); a watchdog thread
  does the same elsewhere. Kernels exit when their worker dies (ipykernel's parent poller).
- :class:`DaskExecutor` — a ``dask.distributed`` ``LocalCluster`` (one single-threaded worker
  process per ``workers``) or an existing scheduler (``tcp://host:8786``). Each Dask worker
  keeps its own warm kernel; a worker plugin shuts it down when the worker closes. Dask is imported
  only here, only when chosen (``pip install 'hiworkbook[dask]'``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["DaskExecutor", "InProcess", "LocalPool", "open_executor"]

log = logging.getLogger(__name__)

#: ``on_error(task, exc)``: the result to yield for a task whose call raised.
OnError = Callable[[Any, BaseException], Any]


def open_executor(
    kind: str = "local", workers: int = 2, scheduler: str | None = None
) -> Any:
    """The executor for ``kind`` (``"local"`` or ``"dask"``).

    Parameters
    ----------
    kind : {"local", "dask"}
    workers : int, default 2
        Local: worker processes (1 = this process). Dask: workers of the local cluster (ignored
        with ``scheduler``).
    scheduler : str, optional
        Address of a running Dask scheduler; default a new ``LocalCluster``.

    Returns
    -------
    InProcess, LocalPool or DaskExecutor
    """
    if kind == "dask":
        return DaskExecutor(workers, scheduler)
    if kind != "local":
        raise ValueError(f"unknown executor {kind!r}: use 'local' or 'dask'")
    if scheduler:
        raise ValueError("--scheduler needs --executor dask")
    return InProcess() if workers <= 1 else LocalPool(workers)


class InProcess:
    """Places one after another in this process, on one warm kernel."""

    workers = 1

    def __enter__(self) -> InProcess:
        return self

    def map_unordered(
        self, fn: Callable[[Any], Any], tasks: Sequence[Any], on_error: OnError
    ) -> Iterator[Any]:
        """Yield ``fn(task)`` for each task (``on_error(task, exc)`` if it raises)."""
        for t in tasks:
            try:
                yield fn(t)
            except Exception as exc:
                yield on_error(t, exc)

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        from hiworkbook import engine

        if exc_type is None:
            engine.shutdown_kernels()
        else:
            engine.kill_kernels()


# ---------------------------------------------------------------------- local processes
def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies (``PR_SET_PDEATHSIG``).

    Returns
    -------
    bool
        Whether it was set (False off Linux).
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, int(sig), 0, 0, 0) == 0  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            return
        time.sleep(1)


def _on_sigterm(signum: int, frame: Any) -> None:
    from hiworkbook import engine

    engine.kill_kernels()
    os._exit(128 + signum)


def _worker_init(parent: int, log_level: int) -> None:
    """Set up a worker process: Ctrl-C ignored, SIGTERM kills its kernel, dies with its parent,
    one BLAS thread for its kernel."""
    from multiprocessing import util

    from hiworkbook import engine

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    if not set_parent_death_signal(signal.SIGTERM):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was set
        _on_sigterm(signal.SIGTERM, None)
    logging.getLogger().setLevel(log_level)
    # one BLAS thread for the kernel this worker starts, as Dask's nanny sets for its workers:
    # the run's parallelism is its worker processes, and more BLAS threads than cores spin
    # waiting for each other (the SII's matrix products)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    # a worker leaves through os._exit (no atexit): shut its kernel down as multiprocessing exits
    util.Finalize(None, engine.shutdown_kernels, exitpriority=10)


class LocalPool:
    """Places on ``workers`` local processes, each with its own warm kernel."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Any = None

    def __enter__(self) -> LocalPool:
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            initializer=_worker_init,
            initargs=(os.getpid(), logging.getLogger().level),
        )
        return self

    def map_unordered(
        self, fn: Callable[[Any], Any], tasks: Sequence[Any], on_error: OnError
    ) -> Iterator[Any]:
        """Yield ``fn(task)`` as each finishes (``on_error(task, exc)`` if it raised or its
        worker died)."""
        from concurrent.futures import as_completed

        futures = {self._pool.submit(fn, t): t for t in tasks}
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except Exception as exc:
                yield on_error(futures[fut], exc)

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        pool, self._pool = self._pool, None
        if exc_type is None:
            pool.shutdown(wait=True)
            return
        # stop now: SIGTERM makes each worker kill its kernel and exit
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for p in procs:
            with contextlib.suppress(Exception):
                p.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            with contextlib.suppress(Exception):
                p.join(timeout=5)
                if p.is_alive():
                    p.kill()


# ---------------------------------------------------------------------- Dask
class _KernelPlugin:
    """Dask worker plugin: shut the worker's warm kernels down when it closes."""

    name = "hiworkbook-kernels"

    def setup(self, worker: Any) -> None:  # noqa: D102 - dask API
        pass

    def teardown(self, worker: Any) -> None:  # noqa: D102 - dask API
        from hiworkbook import engine

        engine.kill_kernels()


class DaskExecutor:
    """Places on Dask workers (a new ``LocalCluster``, or a running scheduler), each worker
    keeping its own warm kernel.

    Workers must see the same paths as this process (the workbook, its files, the run folder):
    a shared file system, as on any HPC or Kubernetes Dask deployment.
    """

    def __init__(self, workers: int = 2, scheduler: str | None = None) -> None:
        self.workers = workers
        self.scheduler = scheduler
        self._client: Any = None
        self._cluster: Any = None
        self._futures: list[Any] = []

    def __enter__(self) -> DaskExecutor:
        try:
            from dask.distributed import Client, LocalCluster, WorkerPlugin
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RuntimeError(
                "--executor dask needs Dask: pip install 'hiworkbook[dask]'"
            ) from exc
        if self.scheduler:
            self._client = Client(self.scheduler)
        else:
            self._cluster = LocalCluster(
                n_workers=max(1, self.workers),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.WARNING,
            )
            self._client = Client(self._cluster)
        plugin = type("KernelPlugin", (_KernelPlugin, WorkerPlugin), {})()
        self._client.register_plugin(plugin, name=_KernelPlugin.name)
        return self

    def map_unordered(
        self, fn: Callable[[Any], Any], tasks: Sequence[Any], on_error: OnError
    ) -> Iterator[Any]:
        """Yield ``fn(task)`` as each finishes on the cluster (``on_error(task, exc)`` if it
        raised or its worker was lost)."""
        from dask.distributed import as_completed

        tasks = list(tasks)
        self._futures = self._client.map(fn, tasks, pure=False)
        by_key = {f.key: t for f, t in zip(self._futures, tasks, strict=True)}
        for fut in as_completed(self._futures):
            try:
                yield fut.result()
            except Exception as exc:
                yield on_error(by_key[fut.key], exc)

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        with contextlib.suppress(Exception):
            if exc_type is not None and self._futures:
                client.cancel(self._futures, force=True)
        with contextlib.suppress(Exception):
            client.close(timeout=10)
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close(timeout=10)
