"""Batch runs: one report per place, from one command.

:func:`run_reports` validates the workbook once (so a data problem stops the run before any kernel
starts and the validated workspace is cached for every place), then executes the report notebook
with Papermill for each place — in parallel worker processes, each driving its own kernels
in-process — converts each executed notebook to one self-contained HTML file, and writes
``index.html`` and ``run.json`` (parameters, inputs' hashes, versions, timings, failures).

Kernels talk over IPC sockets with a unique path each: parallel TCP kernel starts occasionally
collide on a port ("Address already in use"), and IPC sockets in the working folder collide
between kernels (docs in ../shared/reading/stack-measurements.md, section 3).

A failure in one place is recorded and the run goes on; its report is not written (never half).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hiworkbook import __version__, paths

__all__ = ["PlaceOutcome", "RunSummary", "run_reports"]

log = logging.getLogger(__name__)


@dataclass
class PlaceOutcome:
    """What happened for one place."""

    place_code: str
    place_name: str
    level: str
    status: str  # "ok" | "failed"
    report: str | None = None  # path relative to the run folder
    seconds: float = 0.0
    bytes: int = 0
    error: str | None = None


@dataclass
class RunSummary:
    """A batch run: where it went and how each place fared."""

    run_dir: Path
    outcomes: list[PlaceOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[PlaceOutcome]:
        """Places whose report could not be made."""
        return [o for o in self.outcomes if o.status != "ok"]

    @property
    def index(self) -> Path:
        """The run's index page."""
        return self.run_dir / "index.html"


def run_reports(
    config: str | Path | None = None,
    *,
    out_dir: str | Path | None = None,
    places: Sequence[str] | None = None,
    level: str | None = None,
    notebook: str | Path = "place_profile",
    parameters: dict[str, Any] | None = None,
    workers: int = 2,
    keep_notebooks: bool = False,
    progress: bool = True,
) -> RunSummary:
    """Make one report per place.

    Parameters
    ----------
    config : str or Path, optional
        The workbook config; default the synthetic demo region (generated if missing).
    out_dir : str or Path, optional
        The run folder; default ``<reports>/<config folder name>``.
    places : sequence of str, optional
        Place codes; default every place of every configured level (or of ``level``).
    level : str, optional
        Only places of this level.
    notebook : str or Path
        A notebook path, or the name of one shipped in ``notebooks/``.
    parameters : dict, optional
        Extra notebook parameters, the same for every place (e.g. ``{"period": "2023"}``).
    workers : int, default 2
        Places run in parallel in this many processes (1 = in this process).
    keep_notebooks : bool, default False
        Also keep each executed notebook beside its report.
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    RunSummary

    Raises
    ------
    DataError
        Before any report is started, when the workbook has problems.
    """
    from hiworkbook.workspace import Workspace

    started = time.perf_counter()
    if not config:
        from hiworkbook.demo import generate_demo

        config = generate_demo(paths.demo_dir())
    config = Path(config).resolve()
    ws = Workspace.from_config(
        config
    )  # validates; raises DataError listing every problem
    _check_indicator_parameters(parameters or {}, ws)
    nb_path = (
        Path(notebook)
        if Path(notebook).suffix == ".ipynb"
        else paths.notebook_path(str(notebook))
    )
    run_dir = Path(out_dir) if out_dir else paths.output_dir() / config.parent.name
    run_dir.mkdir(parents=True, exist_ok=True)

    table = ws.places(level)
    if places:
        wanted = list(dict.fromkeys(places))
        for code in wanted:
            ws.place(code)  # raises DataError with suggestions for unknown codes
        table = table[table["place_code"].isin(wanted)]
    tasks = [
        _Task(
            place_code=r.place_code,
            place_name=str(r.place_name),
            level=r.level,
            config=str(config),
            notebook=str(nb_path),
            run_dir=str(run_dir),
            parameters={
                **(parameters or {}),
                "config": str(config),
                "place_code": r.place_code,
                # the place's figures as CSV/Parquet beside its report (hiworkbook.export)
                "output_dir": str(run_dir.resolve() / r.place_code),
            },
            synthetic=ws.synthetic,
            keep_notebook=keep_notebooks,
        )
        for r in table.itertuples()
    ]
    log.info(
        "%d places to report into %s with %d worker(s)", len(tasks), run_dir, workers
    )

    outcomes: list[PlaceOutcome] = []
    bar = _progress(len(tasks), progress)
    if workers <= 1 or len(tasks) <= 1:
        for t in tasks:
            outcomes.append(_run_one(t))
            bar.update(1)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_run_one, t): t for t in tasks}
            for fut in as_completed(futures):
                t = futures[fut]
                try:
                    outcomes.append(fut.result())
                except Exception as exc:  # a worker died: record it, go on
                    outcomes.append(
                        PlaceOutcome(
                            t.place_code,
                            t.place_name,
                            t.level,
                            "failed",
                            error=str(exc),
                        )
                    )
                bar.update(1)
    bar.close()
    outcomes += _earlier_outcomes(run_dir, {o.place_code for o in outcomes})
    outcomes.sort(key=lambda o: (o.level, o.place_code))
    summary = RunSummary(
        run_dir=run_dir, outcomes=outcomes, seconds=time.perf_counter() - started
    )
    _write_index(summary, ws)
    _write_run_json(summary, ws, config, nb_path, parameters or {}, workers)
    return summary


INDICATOR_PARAMETERS = (
    "indicators",
    "map_indicator",
    "chart_indicator",
    "gap_indicators",
    "ethnicity_indicators",
)


def _check_indicator_parameters(parameters: dict[str, Any], ws) -> None:
    """Notebook parameters naming indicators the workbook does not define stop the run before any
    kernel starts, with one problem list and a suggestion for each (empty names are fine: the
    report then picks indicators that have data)."""
    from hiworkbook.validate import ProblemLog, did_you_mean, format_values

    log = ProblemLog()
    for name in INDICATOR_PARAMETERS:
        value = parameters.get(name)
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if v and str(v) not in ws.indicators:
                log.error(
                    f"The parameter {name} names an indicator '{v}' that is not defined"
                    f"{did_you_mean(str(v), ws.indicators)}.",
                    fix=f"Defined indicators: {format_values(list(ws.indicators), 12)}.",
                )
    log.raise_if_errors("the run's parameters")


def _earlier_outcomes(run_dir: Path, rerun: set[str]) -> list[PlaceOutcome]:
    """Places an earlier run into the same folder reported and this run did not redo, so a run of
    a few places adds to the index instead of hiding the others (only reports still on disk)."""
    record = run_dir / "run.json"
    if not record.is_file():
        return []
    try:
        places = json.loads(record.read_text(encoding="utf-8")).get("places", [])
        earlier = [PlaceOutcome(**p) for p in places]
    except (ValueError, TypeError):
        return []
    return [
        o
        for o in earlier
        if o.place_code not in rerun
        and o.status == "ok"
        and o.report
        and (run_dir / o.report).is_file()
    ]


@dataclass(frozen=True)
class _Task:
    place_code: str
    place_name: str
    level: str
    config: str
    notebook: str
    run_dir: str
    parameters: dict[str, Any]
    synthetic: bool
    keep_notebook: bool


def _kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        """A kernel on IPC sockets at a path no other kernel uses."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.transport = "ipc"
            self.ip = str(
                Path(tempfile.gettempdir()) / f"hiw-kernel-{uuid.uuid4().hex}"
            )

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            # the kernel's own stderr (shutdown chatter such as "KeyboardInterrupt caught in
            # kernel") would interleave with the progress bar; errors reach us as cell outputs
            if not log.isEnabledFor(logging.DEBUG):
                kw.setdefault("stderr", subprocess.DEVNULL)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return IPCKernelManager


def _run_one(task: _Task) -> PlaceOutcome:
    """Execute the notebook for one place and write its HTML report (never half a file)."""
    import papermill as pm

    from hiworkbook.report import notebook_to_html, write_html

    t0 = time.perf_counter()
    stem = Path(task.notebook).stem
    rel = Path(task.place_code) / f"{stem}.html"
    out = Path(task.run_dir) / rel
    try:
        nb = pm.execute_notebook(
            task.notebook,
            None,
            parameters=task.parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            kernel_manager_class=_kernel_manager_class(),
            cwd=task.run_dir,
        )
        html = notebook_to_html(
            nb,
            title=f"{task.place_name}: health inequalities profile",
            synthetic=task.synthetic,
        )
        write_html(html, out)
        if task.keep_notebook:
            import nbformat

            nb_out = out.with_suffix(".ipynb")
            tmp = nb_out.with_name(f".{nb_out.name}.tmp")
            nbformat.write(nb, tmp)
            tmp.replace(nb_out)
        return PlaceOutcome(
            task.place_code,
            task.place_name,
            task.level,
            "ok",
            report=rel.as_posix(),
            seconds=round(time.perf_counter() - t0, 2),
            bytes=out.stat().st_size,
        )
    except Exception as exc:
        return PlaceOutcome(
            task.place_code,
            task.place_name,
            task.level,
            "failed",
            seconds=round(time.perf_counter() - t0, 2),
            error=_describe(exc),
        )


def _describe(exc: Exception) -> str:
    """A one-paragraph reason, without a traceback (a DataError's own message when there is one)."""
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"
    return f"{type(exc).__name__}: {exc}"


class _NoBar:
    def update(self, n: int) -> None:  # noqa: D401 - trivial
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="report", desc="Reports")


def _write_index(summary: RunSummary, ws) -> None:
    from hiworkbook.report import render_index, write_html

    entries = [asdict(o) for o in summary.outcomes]
    html = render_index(
        entries,
        title=f"{ws.config.name}: place reports",
        synthetic=ws.synthetic,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    write_html(html, summary.index)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_run_json(
    summary: RunSummary, ws, config: Path, nb_path: Path, parameters: dict, workers: int
) -> None:
    import pandas
    import papermill

    inputs = {str(config): _sha256(config)}
    for specs in ws.config.files.values():
        for s in specs:
            inputs[str(s.path)] = _sha256(s.path)
    record = {
        "hiworkbook": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": str(config),
        "notebook": str(nb_path),
        "parameters": parameters,
        "workers": workers,
        "seconds": round(summary.seconds, 2),
        "inputs_sha256": inputs,
        "versions": {
            "python": platform.python_version(),
            "pandas": pandas.__version__,
            "papermill": papermill.__version__,
        },
        "places": [asdict(o) for o in summary.outcomes],
        "failed": len(summary.failed),
    }
    tmp = summary.run_dir / f".run.json.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(record, indent=2), encoding="utf-8")
    tmp.replace(summary.run_dir / "run.json")
