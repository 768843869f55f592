"""Batch runs: one report per place, from one command.

:func:`run_reports` validates the workbook once (so a data problem stops the run before any kernel
starts and the validated workspace is cached for every place), then executes the report notebook
with Papermill for each place on warm kernels (the ``hiworkbook`` Papermill engine,
:mod:`hiworkbook.engine`: each worker starts its kernel once and runs many places in it, its state
reset between places), converts each executed notebook to one self-contained HTML file, and writes
``index.html`` and ``run.json`` (parameters, inputs' hashes, versions, timings, failures).

Where places run is :mod:`hiworkbook.executors`: this process, local worker processes, or Dask.

- **Failures.** A place that raises, runs past ``timeout`` seconds or kills its kernel is recorded
  as failed with a one-line reason; its worker gets a fresh kernel and the run goes on. Its report
  is not written (never half).
- **Progress.** ``run.json`` is rewritten atomically after every place (``state`` "running"), so a
  run killed even by SIGKILL leaves a record of every report it finished.
- **Interrupt.** Ctrl-C or SIGTERM stops the workers and their kernels within seconds, writes
  ``index.html`` and ``run.json`` for what is on disk (``state`` "interrupted") and raises
  :class:`RunInterrupted` (the CLI prints one line).
- **Resume.** Each place's ``key`` in ``run.json`` hashes the notebook, its parameters, every
  input file and the hiworkbook version; ``resume=True`` skips places whose report is on disk with
  an unchanged key and redoes the rest (failed, missing, changed).
- **Hooks.** ``after_report`` callables run in the worker after a place's HTML is written, with the
  executed notebook, the outcome and the report's path; what they put in ``outcome.extra`` is kept
  in ``run.json`` (the seam for PDFs and index figures).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hiworkbook import __version__, paths

__all__ = ["PlaceOutcome", "RunInterrupted", "RunSummary", "place_key", "run_reports"]

#: Default seconds a place may take before it is stopped and recorded as failed.
DEFAULT_TIMEOUT = 300

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
    key: str | None = None  # hash of notebook + parameters + inputs + version (resume)
    extra: dict[str, Any] = field(default_factory=dict)  # set by after_report hooks

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PlaceOutcome:
        """An outcome from its ``run.json`` entry (unknown fields ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in names})


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C or SIGTERM; ``summary`` lists what was done (and written)."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__("interrupted")
        self.summary = summary


@dataclass
class RunSummary:
    """A batch run: where it went and how each place fared."""

    run_dir: Path
    outcomes: list[PlaceOutcome] = field(default_factory=list)
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)  # up to date already (resume)
    pending: list[str] = field(default_factory=list)  # not run (interrupted)
    state: str = "running"  # "running" | "interrupted" | "finished"

    @property
    def failed(self) -> list[PlaceOutcome]:
        """Places whose report could not be made."""
        return [o for o in self.outcomes if o.status != "ok"]

    @property
    def index(self) -> Path:
        """The run's index page."""
        return self.run_dir / "index.html"

    @property
    def done(self) -> list[PlaceOutcome]:
        """Places whose report is written."""
        return [o for o in self.outcomes if o.status == "ok"]


#: A hook run in the worker after a place's report is written: ``hook(nb, outcome, html_path)``.
#: It may add JSON-able values to ``outcome.extra`` (kept in ``run.json``); it must be a
#: module-level function (workers receive it by pickling).
AfterReport = Callable[[Any, "PlaceOutcome", Path], None]


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
    resume: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    executor: str = "local",
    scheduler: str | None = None,
    after_report: Sequence[AfterReport] = (),
    formats: Sequence[str] = ("html",),
    warm: bool = True,
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
        Places run in parallel on this many workers, each with one warm kernel (1 = in this
        process).
    keep_notebooks : bool, default False
        Also keep each executed notebook beside its report.
    progress : bool, default True
        Show a progress bar.
    resume : bool, default False
        Skip places whose report is on disk and whose notebook, parameters and inputs are
        unchanged since it was made (their ``key`` in ``run.json``); redo the others.
    timeout : float, optional, default 300
        Seconds a place may take; a place that runs longer is stopped and recorded as failed.
    executor : {"local", "dask"}, default "local"
        Local worker processes, or Dask workers (:mod:`hiworkbook.executors`).
    scheduler : str, optional
        With ``executor="dask"``, a running scheduler's address (default a ``LocalCluster`` of
        ``workers`` processes).
    after_report : sequence of callables
        Hooks ``hook(nb, outcome, html_path)`` run in the worker after each report is written.
    formats : sequence of str, default ("html",)
        Add ``"pdf"`` to also print each new report to an A4 PDF beside it with headless
        Chromium (:mod:`hiworkbook.pdf`); without a browser the HTML is still written and the
        log says how to get one.
    warm : bool, default True
        Run places on warm kernels (the ``hiworkbook`` Papermill engine); False starts a fresh
        kernel for every place (Papermill's default engine; slower, for comparison or doubt).

    Returns
    -------
    RunSummary

    Raises
    ------
    DataError
        Before any report is started, when the workbook has problems.
    RunInterrupted
        On Ctrl-C or SIGTERM, after stopping every worker and kernel and writing ``index.html``
        and ``run.json`` for the reports on disk.
    """
    from hiworkbook.executors import open_executor
    from hiworkbook.workspace import Workspace

    started = time.perf_counter()
    began = time.time()
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
    ).resolve()
    run_dir = Path(out_dir) if out_dir else paths.output_dir() / config.parent.name
    run_dir.mkdir(parents=True, exist_ok=True)

    table = ws.places(level)
    if places:
        wanted = list(dict.fromkeys(places))
        for code in wanted:
            ws.place(code)  # raises DataError with suggestions for unknown codes
        table = table[table["place_code"].isin(wanted)]
    takes_output_dir = _declares_parameter(nb_path, "output_dir")
    inputs = _input_hashes(ws, config)
    nb_sha = _sha256(nb_path)
    tasks = []
    for r in table.itertuples():
        params = {
            **(parameters or {}),
            "config": str(config),
            "place_code": r.place_code,
            # the place's figures (CSV/Parquet, summary.json) beside its report
            **(
                {"output_dir": str(run_dir.resolve() / r.place_code)}
                if takes_output_dir
                else {}
            ),
        }
        tasks.append(
            _Task(
                place_code=r.place_code,
                place_name=str(r.place_name),
                level=r.level,
                config=str(config),
                notebook=str(nb_path),
                run_dir=str(run_dir),
                parameters=params,
                synthetic=ws.synthetic,
                keep_notebook=keep_notebooks,
                key=place_key(nb_sha, params, inputs),
                timeout=timeout,
                after_report=tuple(after_report),
                warm=warm,
            )
        )

    _remove_stale_temporaries(run_dir)
    earlier = _read_outcomes(run_dir)
    summary = RunSummary(run_dir=run_dir)
    todo = []
    for t in tasks:
        e = earlier.get(t.place_code)
        if resume and e is not None and _up_to_date(e, t.key, run_dir):
            summary.outcomes.append(e)
            summary.skipped.append(t.place_code)
        else:
            todo.append(t)
    # places an earlier run into this folder reported and this run does not cover stay listed
    running = {t.place_code for t in tasks}
    carried = [
        o
        for code, o in earlier.items()
        if code not in running and o.status == "ok" and _on_disk(o, run_dir)
    ]
    summary.pending = [t.place_code for t in todo]
    record = _Record(
        summary, config, nb_path, nb_sha, parameters or {}, inputs, carried,
        {"workers": workers, "executor": executor, "scheduler": scheduler,
         "timeout": timeout, "warm_kernels": warm},
    )  # fmt: skip
    if summary.skipped:
        log.info(
            "%d of %d places up to date (resume)", len(summary.skipped), len(tasks)
        )
    log.info(
        "%d places to report into %s with %d %s worker(s)",
        len(todo), run_dir, workers, executor,
    )  # fmt: skip
    record.write()

    previous_sigint = _ignore = None
    try:
        with _sigterm_as_interrupt(), _progress(len(todo), progress) as bar:
            if todo:
                from hiworkbook import disclosure, level_results

                # one suppression decision for every cell any report can show, made once
                # before any place runs (each notebook then reads it from the cache):
                # docs/methods.md, "Across reports". After every argument is checked, and only
                # when there is a report to make: on England it takes minutes once per workbook.
                disclosure.prepare(ws, workers=workers)
                # every place's own result rows, one vectorised call per indicator and period
                # for the whole run instead of one per place (hiworkbook/level_results.py)
                level_results.prepare(
                    ws,
                    [t.place_code for t in todo],
                    confidence=_confidence(parameters),
                    workers=workers,
                )
                with open_executor(executor, workers, scheduler) as ex:
                    for outcome in ex.map_unordered(_run_one, todo, on_error=_crashed):
                        summary.outcomes.append(outcome)
                        summary.pending.remove(outcome.place_code)
                        if outcome.status != "ok":
                            log.warning(
                                "FAILED %s (%s): %s",
                                outcome.place_code, outcome.place_name, outcome.error,
                            )  # fmt: skip
                        bar.update(1)
                        summary.seconds = time.perf_counter() - started
                        record.write()
        if "pdf" in formats:  # printing the reports made in this run: hiworkbook.pdf
            from hiworkbook.pdf import print_run

            made = [o for o in summary.outcomes if o.place_code not in summary.skipped]
            print_run(run_dir, made, date=datetime.now(UTC).strftime("%d %B %Y"))
        summary.state = "finished"
    except KeyboardInterrupt:
        summary.state = "interrupted"
        previous_sigint = signal.getsignal(signal.SIGINT)
        _ignore = _in_main_thread()
        if _ignore:  # a second Ctrl-C must not break the record being written
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        summary.seconds = time.perf_counter() - started
        if summary.pending:
            carried += _settle_pending(summary.pending, earlier, run_dir, began)
        summary.outcomes += carried
        summary.outcomes.sort(key=lambda o: (o.level, o.place_code))
        _write_index(summary, ws)
        record.carried = []
        record.write()
    finally:
        if _ignore:
            signal.signal(signal.SIGINT, previous_sigint)
    if summary.state == "interrupted":
        raise RunInterrupted(summary)
    return summary


def _confidence(parameters: dict[str, Any] | None) -> float:
    """The reports' confidence level: the ``confidence`` parameter, else the notebooks'
    default (0.95); a value that is not a number is left to the notebook to refuse."""
    try:
        return float((parameters or {}).get("confidence", 0.95))
    except (TypeError, ValueError):
        return 0.95


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


def _settle_pending(
    pending: list[str], earlier: dict[str, PlaceOutcome], run_dir: Path, began: float
) -> list[PlaceOutcome]:
    """After an interrupt, make the record match the disk for places not finished: a report a
    worker wrote in this run but never reported back is removed (the place stays pending); a
    report from an earlier run is listed as it was (resume redoes it if it is out of date)."""
    kept = []
    for code in pending:
        folder = run_dir / code
        if folder.is_dir():
            for f in folder.iterdir():
                if f.is_file() and f.stat().st_mtime >= began:
                    f.unlink(missing_ok=True)
        e = earlier.get(code)
        if e is not None and e.status == "ok" and _on_disk(e, run_dir):
            kept.append(e)
    return kept


def place_key(
    notebook_sha256: str, parameters: dict[str, Any], inputs: dict[str, str]
) -> str:
    """The hash that says whether a place's report is up to date.

    Parameters
    ----------
    notebook_sha256 : str
        SHA-256 of the report notebook.
    parameters : dict
        The place's notebook parameters (``config`` and ``place_code`` included).
    inputs : dict
        ``{path: sha256}`` of the workbook config and every file it names.

    Returns
    -------
    str
        SHA-256 (hex) of these and the hiworkbook version.
    """
    blob = json.dumps(
        {
            "notebook": notebook_sha256,
            "parameters": parameters,
            "inputs": inputs,
            "hiworkbook": __version__,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _on_disk(o: PlaceOutcome, run_dir: Path) -> bool:
    if not o.report:
        return False
    path = run_dir / o.report
    return path.is_file() and (not o.bytes or path.stat().st_size == o.bytes)


def _up_to_date(o: PlaceOutcome, key: str | None, run_dir: Path) -> bool:
    return o.status == "ok" and o.key == key and _on_disk(o, run_dir)


def _read_outcomes(run_dir: Path) -> dict[str, PlaceOutcome]:
    """The places recorded by an earlier run into ``run_dir`` (none if there is no readable
    record)."""
    record = run_dir / "run.json"
    if not record.is_file():
        return {}
    try:
        places = json.loads(record.read_text(encoding="utf-8")).get("places", [])
        return {p["place_code"]: PlaceOutcome.from_record(p) for p in places}
    except (ValueError, TypeError, KeyError, AttributeError):
        log.warning("ignoring unreadable %s", record)
        return {}


def _remove_stale_temporaries(run_dir: Path) -> None:
    """Remove temporary files a killed run left (``.name.XXXX.tmp``; finished files are only
    ever renamed into place, so these are never a report)."""
    for tmp in run_dir.rglob(".*.tmp"):
        try:
            tmp.unlink()
        except OSError:
            pass


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
    key: str | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    after_report: tuple = ()
    warm: bool = True


def _crashed(task: _Task, exc: BaseException) -> PlaceOutcome:
    """The outcome of a place whose worker itself died (not its kernel)."""
    return PlaceOutcome(
        task.place_code,
        task.place_name,
        task.level,
        "failed",
        error=f"the worker running it stopped: {_describe(exc)}",
        key=task.key,
    )


def _run_one(task: _Task) -> PlaceOutcome:
    """Execute the notebook for one place on this worker's warm kernel and write its HTML report
    (never half a file)."""
    import papermill as pm

    from hiworkbook.report import notebook_to_html, write_html

    t0 = time.perf_counter()
    stem = Path(task.notebook).stem
    rel = Path(task.place_code) / f"{stem}.html"
    out = Path(task.run_dir) / rel
    if task.warm:
        engine = {"engine_name": "hiworkbook", "notebook_timeout": task.timeout}
    else:  # a fresh kernel for this place: Papermill's own engine, a per-cell time limit
        from hiworkbook.engine import ipc_kernel_manager_class

        engine = {
            "kernel_manager_class": ipc_kernel_manager_class(),
            "execution_timeout": task.timeout,
        }
    try:
        nb = pm.execute_notebook(
            task.notebook,
            None,
            parameters=task.parameters,
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            cwd=task.run_dir,
            **engine,
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
    except Exception as exc:
        return PlaceOutcome(
            task.place_code,
            task.place_name,
            task.level,
            "failed",
            seconds=round(time.perf_counter() - t0, 2),
            error=_describe(exc),
            key=task.key,
        )
    outcome = PlaceOutcome(
        task.place_code,
        task.place_name,
        task.level,
        "ok",
        report=rel.as_posix(),
        bytes=out.stat().st_size,
        key=task.key,
    )
    for hook in task.after_report:
        try:
            hook(nb, outcome, out)
        except Exception as exc:  # the report stands; the hook's problem is recorded
            name = getattr(hook, "__name__", str(hook))
            log.warning("%s: %s failed: %s", task.place_code, name, _describe(exc))
            outcome.extra.setdefault("warnings", []).append(f"{name}: {_describe(exc)}")
    outcome.bytes = out.stat().st_size
    outcome.seconds = round(time.perf_counter() - t0, 2)
    return outcome


def _describe(exc: BaseException) -> str:
    """A one-paragraph reason, without a traceback (a DataError's own message when there is one)."""
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"
    from hiworkbook.engine import KernelDiedError, NotebookTimeoutError

    if isinstance(exc, KernelDiedError | NotebookTimeoutError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class _sigterm_as_interrupt:
    """While running, SIGTERM stops the run as Ctrl-C does (main thread only)."""

    def __enter__(self) -> None:
        self._old = None
        if _in_main_thread():
            self._old = signal.signal(signal.SIGTERM, self._handler)

    @staticmethod
    def _handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt("SIGTERM")

    def __exit__(self, *exc: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)


class _NoBar:
    def update(self, n: int) -> None:  # noqa: D401 - trivial
        pass

    def close(self) -> None:
        pass


class _progress:
    """A tqdm bar over the places, with log records printed above it rather than through it."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = total, enabled and total > 0

    def __enter__(self) -> Any:
        if not self.enabled:
            self._redirect = None
            return _NoBar()
        from tqdm.auto import tqdm
        from tqdm.contrib.logging import logging_redirect_tqdm

        self._redirect = logging_redirect_tqdm()
        self._redirect.__enter__()
        self._bar = tqdm(total=self.total, unit="report", desc="Reports")
        return self._bar

    def __exit__(self, *exc: Any) -> None:
        if self._redirect is not None:
            self._bar.close()
            self._redirect.__exit__(*exc)


def _declares_parameter(nb_path: Path, name: str) -> bool:
    """Whether the notebook's ``parameters`` cell declares ``name`` (so it can be injected)."""
    try:
        nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    for cell in nb.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            src = "".join(cell.get("source", []))
            return any(
                line.split(":")[0].split("=")[0].strip() == name
                for line in src.splitlines()
            )
    return False


def _write_index(summary: RunSummary, ws) -> None:
    # index.html (sortable table + tartan rug), index.csv and map.html: hiworkbook.overview
    from hiworkbook.overview import write_run_index

    write_run_index(
        summary.run_dir,
        [asdict(o) for o in summary.outcomes],
        ws,
        title=f"{ws.config.name}: place reports",
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _input_hashes(ws, config: Path) -> dict[str, str]:
    """SHA-256 of the workbook config and every file it names (comparators' files too)."""
    inputs = {str(config): _sha256(config)}
    for specs in ws.config.files.values():
        for s in specs:
            inputs[str(s.path)] = _sha256(s.path)
    for c in getattr(ws.config, "comparators", []) or []:
        for s in (getattr(c, "counts", None), getattr(c, "fingertips", None)):
            if s is not None:
                inputs[str(s.path)] = _sha256(s.path)
    return inputs


class _Record:
    """``run.json``, rewritten atomically after every place."""

    def __init__(
        self,
        summary: RunSummary,
        config: Path,
        nb_path: Path,
        nb_sha: str,
        parameters: dict,
        inputs: dict[str, str],
        carried: list[PlaceOutcome],
        execution: dict[str, Any],
    ) -> None:
        import pandas
        import papermill

        self.summary, self.carried = summary, carried
        self.head = {
            "hiworkbook": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "config": str(config),
            "notebook": str(nb_path),
            "notebook_sha256": nb_sha,
            "parameters": parameters,
            **execution,
            "inputs_sha256": inputs,
            "versions": {
                "python": platform.python_version(),
                "pandas": pandas.__version__,
                "papermill": papermill.__version__,
            },
        }

    def write(self) -> None:
        s = self.summary
        places = sorted(
            [*s.outcomes, *self.carried], key=lambda o: (o.level, o.place_code)
        )
        record = {
            **self.head,
            "updated": datetime.now(UTC).isoformat(timespec="seconds"),
            "state": s.state,
            "seconds": round(s.seconds, 2),
            "places": [asdict(o) for o in places],
            "failed": sum(o.status != "ok" for o in places),
            "skipped": list(s.skipped),
            "pending": list(s.pending),
        }
        tmp = s.run_dir / f".run.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
        tmp.replace(s.run_dir / "run.json")
