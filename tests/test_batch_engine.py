"""Warm kernels (the ``hiworkbook`` Papermill engine), failures, interrupt, resume and Dask.

Most tests use a tiny notebook (tests/batch_helpers.py) so that they time the machinery, not the
report; one compares real demo reports made in a shared kernel with the same reports made alone.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_helpers import (
    alive,
    descendants,
    record_kernel,
    wait_gone,
    write_test_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
linux_only = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="needs Linux /proc to see processes"
)


@pytest.fixture(scope="module")
def test_nb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_notebook(tmp_path_factory.mktemp("nb") / "tiny.ipynb")


def test_engine_is_registered_with_papermill() -> None:
    from papermill.engines import papermill_engines

    from hiworkbook.engine import HiworkbookEngine

    assert papermill_engines.get_engine("hiworkbook").engine() is HiworkbookEngine


@pytest.mark.parametrize(
    "first",
    ["import hiworkbook.engine", "import papermill.engines", "import papermill"],
)
def test_engine_imports_before_or_after_papermill(first: str) -> None:
    """Papermill loads its engines' entry points when first imported; hiworkbook's engine
    imports Papermill: either may come first in a fresh interpreter (a pool worker, a user)."""
    code = (
        f"{first}\n"
        "from papermill.engines import papermill_engines\n"
        "from hiworkbook.engine import HiworkbookEngine\n"
        "assert papermill_engines.get_engine('hiworkbook').engine() is HiworkbookEngine\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_notebook_imports_are_read_from_code_cells() -> None:
    from nbformat.v4 import new_code_cell, new_notebook

    from hiworkbook.engine import notebook_imports

    nb = new_notebook(
        cells=[
            new_code_cell("import os, json as j\nfrom a.b import c\nfrom . import x"),
            new_code_cell("%matplotlib inline"),
            new_code_cell("def f():\n    import hidden\nimport os"),
        ]
    )
    assert notebook_imports(nb) == ["os", "json", "a.b"]


@pytest.mark.slow
def test_one_kernel_runs_many_notebooks_with_nothing_left_over(
    test_nb: Path, tmp_path: Path
) -> None:
    """Papermill injects the parameters; the kernel is the same for each run, its namespace,
    execution count and warning registry fresh; a notebook that raises, hangs or kills its
    kernel fails with its reason, and the next notebook gets a new kernel."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from hiworkbook import engine

    def run(code: str, failures: dict | None = None, **engine_kwargs):
        return pm.execute_notebook(
            str(test_nb),
            None,
            parameters={"place_code": code, "failures": failures or {}},
            engine_name="hiworkbook",
            progress_bar=False,
            cwd=str(tmp_path),
            **engine_kwargs,
        )

    def streams(nb) -> str:
        return "".join(
            o.get("text", "")
            for c in nb.cells
            for o in c.get("outputs", [])
            if o.get("output_type") == "stream"
        )

    try:
        first, second = run("A"), run("B")
        pids = [
            re.search(r"kernel (\d+)", streams(nb)).group(1) for nb in (first, second)
        ]
        assert pids[0] == pids[1]  # warm: one kernel
        for nb in (first, second):
            text = streams(nb)
            assert "fresh" in text and "LEAK" not in text
            assert "shown for every place" in text  # the warning registry was reset
            code_cells = [c for c in nb.cells if c.cell_type == "code"]
            assert code_cells[0].execution_count == 1
        assert second.cells[-1].outputs[0]["data"]["text/plain"] == "'B'"

        with pytest.raises(PapermillExecutionError, match="broken place C"):
            run("C", failures={"C": "raise"})
        with pytest.raises(engine.NotebookTimeoutError, match="within 3 s"):
            run("D", failures={"D": "hang"}, notebook_timeout=3)
        with pytest.raises(engine.KernelDiedError, match="kernel died"):
            run("E", failures={"E": "exit"})
        after = run("F")
        pid = re.search(r"kernel (\d+)", streams(after)).group(1)
        assert pid != pids[0] and "fresh" in streams(after)
    finally:
        engine.shutdown_kernels()
    assert not engine._KERNELS


@pytest.mark.slow
def test_papermill_cli_runs_with_the_engine(test_nb: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.ipynb"
    res = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "papermill")
            if (ROOT / ".venv" / "bin" / "papermill").exists()
            else "papermill",
            "--engine",
            "hiworkbook",
            str(test_nb),
            str(out),
            "-p",
            "place_code",
            "X06000001",
            "--no-progress-bar",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert "'X06000001'" in out.read_text()


@pytest.mark.slow
def test_bad_arguments_stop_the_run_before_the_disclosure_plan(
    demo_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown place code or notebook is reported at once, not after the disclosure plan
    (minutes on England); a run with nothing to make (all up to date) does not build it."""
    from hiworkbook import disclosure
    from hiworkbook.batch import run_reports
    from hiworkbook.validate import DataError

    built = []
    monkeypatch.setattr(disclosure, "prepare", lambda ws, *a: built.append(ws))
    with pytest.raises(DataError, match="X06000099"):
        run_reports(demo_config, out_dir=tmp_path, places=["X06000099"], progress=False)
    with pytest.raises((FileNotFoundError, DataError)):
        run_reports(
            demo_config, out_dir=tmp_path, notebook="no_such_notebook", progress=False
        )
    assert built == []
    run_reports(
        demo_config, out_dir=tmp_path, places=[], level="nowhere", progress=False
    )
    assert built == []


def test_a_broken_place_is_reported_and_the_run_goes_on(
    demo_config: Path, test_nb: Path, tmp_path: Path
) -> None:
    """workers=1: one kernel runs the places in order; a place that raises, hangs past the
    timeout or kills its kernel is failed with its reason and the next place gets a new kernel."""
    from hiworkbook.batch import run_reports

    failures = {"X06000002": "raise", "X06000003": "hang", "X06000004": "exit"}
    summary = run_reports(
        demo_config,
        out_dir=tmp_path,
        notebook=test_nb,
        parameters={"failures": failures},
        workers=1,
        timeout=5,
        progress=False,
        after_report=[record_kernel],
    )
    by = {o.place_code: o for o in summary.outcomes}
    assert {o.place_code for o in summary.failed} == set(failures)
    assert "ValueError: broken place X06000002" in by["X06000002"].error
    assert "did not finish within 5 s" in by["X06000003"].error
    assert "kernel died" in by["X06000004"].error
    for code in failures:
        assert not (tmp_path / code).exists() or not any((tmp_path / code).iterdir())
    ok = [by[c] for c in ("X06000001", "X06000005", "X54000001")]
    assert all(o.status == "ok" and o.extra["html_exists"] for o in ok)
    assert not any(o.extra["leak"] for o in ok) and all(o.extra["warned"] for o in ok)
    # the place before the failures and those after them ran on different kernels
    assert ok[0].extra["kernel_pid"] != ok[1].extra["kernel_pid"]
    assert ok[1].extra["kernel_pid"] == ok[2].extra["kernel_pid"]
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["state"] == "finished" and record["failed"] == 3
    assert record["pending"] == []
    assert {p["place_code"]: p["extra"].get("kernel_pid") for p in record["places"]}[
        "X06000005"
    ] == ok[1].extra["kernel_pid"]
    index = (tmp_path / "index.html").read_text()
    assert "broken place X06000002" in index


@pytest.mark.slow
def test_resume_skips_what_is_up_to_date_and_redoes_the_rest(
    demo_config: Path, test_nb: Path, tmp_path: Path
) -> None:
    from hiworkbook.batch import run_reports

    kw = dict(out_dir=tmp_path, notebook=test_nb, workers=1, progress=False)
    first = run_reports(
        demo_config, parameters={"failures": {"X06000002": "raise"}}, **kw
    )
    assert [o.place_code for o in first.failed] == ["X06000002"]
    mtimes = {
        o.place_code: (tmp_path / o.report).stat().st_mtime_ns for o in first.done
    }

    # same parameters: only the failed place runs again (and fails again)
    again = run_reports(
        demo_config, parameters={"failures": {"X06000002": "raise"}}, resume=True, **kw
    )
    assert sorted(again.skipped) == sorted(mtimes)
    assert [o.place_code for o in again.failed] == ["X06000002"]
    for code, mtime in mtimes.items():
        assert (tmp_path / code / "tiny.html").stat().st_mtime_ns == mtime

    # the failure fixed: parameters changed, so every place is redone
    fixed = run_reports(demo_config, parameters={"sleep": 0.0}, resume=True, **kw)
    assert fixed.skipped == [] and not fixed.failed and len(fixed.done) == 6
    # a report deleted (or truncated) by hand is made again
    (tmp_path / "X06000001" / "tiny.html").unlink()
    last = run_reports(demo_config, parameters={"sleep": 0.0}, resume=True, **kw)
    assert set(last.skipped) == {o.place_code for o in fixed.done} - {"X06000001"}
    assert (tmp_path / "X06000001" / "tiny.html").is_file()


def _start_run(config: Path, nb: Path, out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "hiworkbook", "run", str(config), "--out", str(out)]
    cmd += ["--notebook", str(nb), "--no-progress", *extra]
    return subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal job is
        # Ctrl-C handled as in a terminal even when the tests run from a background job
        # (which starts with SIGINT ignored, and children would inherit that)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _wait_for_reports(out: Path, n: int, proc: subprocess.Popen, seconds: float = 240):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the run ended early: {proc.stderr.read()}")
        try:
            record = json.loads((out / "run.json").read_text())
            if sum(p["status"] == "ok" for p in record["places"]) >= n:
                return record
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    pytest.fail("no reports in time")


def _check_consistent(out: Path, exact: bool = True) -> dict:
    """run.json lists exactly the reports on disk (``exact=False``: every report it lists is on
    disk — a SIGKILL can land between a report's rename and its record), and every report on disk
    is whole."""
    record = json.loads((out / "run.json").read_text())
    listed = {p["report"] for p in record["places"] if p["status"] == "ok"}
    on_disk = {p.relative_to(out).as_posix() for p in out.glob("*/*.html")}
    assert listed == on_disk if exact else listed <= on_disk
    for p in out.glob("*/*.html"):
        assert p.read_text().rstrip().endswith("</html>")
    return record


@linux_only
@pytest.mark.slow
@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"]
)
def test_interrupt_stops_within_seconds_with_one_line_and_no_orphans(
    demo_config: Path, test_nb: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "run"
    proc = _start_run(demo_config, test_nb, out, "--workers", "2", "-p", "sleep", "4")
    _wait_for_reports(out, 1, proc)
    family = descendants(proc.pid)
    assert family  # workers and kernels
    t0 = time.monotonic()
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole terminal job
    else:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t0 < 10
    assert proc.returncode == 130
    # the log said what the run would do; after the signal, one line and nothing else
    lines = [
        ln
        for ln in err.splitlines()
        if ln.strip()
        and "places to report" not in ln
        and "Validated workspace cached" not in ln
        # the plans this run built when they were not cached yet
        and not ln.startswith("disclosure plan")
    ]
    assert len(lines) == 1 and lines[0].startswith("Interrupted:"), err
    assert "Traceback" not in err
    assert wait_gone(family, 5) == set()
    record = _check_consistent(out)
    assert record["state"] == "interrupted" and record["pending"]
    index = (out / "index.html").read_text()
    assert all(p["place_code"] in index for p in record["places"])


@linux_only
@pytest.mark.slow
def test_sigkill_of_the_parent_leaves_no_orphans_and_resume_finishes(
    demo_config: Path, test_nb: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    proc = _start_run(demo_config, test_nb, out, "--workers", "2", "-p", "sleep", "3")
    _wait_for_reports(out, 2, proc)
    family = descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert wait_gone(family, 10) == set(), "workers or kernels outlived their parent"
    record = _check_consistent(out, exact=False)
    assert record["state"] == "running"
    done = {p["place_code"] for p in record["places"] if p["status"] == "ok"}
    assert 2 <= len(done) < 6

    from hiworkbook.batch import run_reports

    kw = dict(
        out_dir=out,
        notebook=test_nb,
        parameters={"sleep": 3},  # the CLI read "-p sleep 3" as JSON: the number 3
        workers=2,
        progress=False,
        resume=True,
    )
    resumed = run_reports(demo_config, **kw)
    assert set(resumed.skipped) == done
    assert len(resumed.done) == 6 and not resumed.failed
    record = _check_consistent(out)
    assert record["state"] == "finished" and len(record["places"]) == 6
    assert not list(out.rglob(".*.tmp"))
    nothing = run_reports(demo_config, **kw)
    assert len(nothing.skipped) == 6


@pytest.mark.slow
def test_same_report_in_a_shared_kernel_as_alone(
    demo_config: Path, tmp_path: Path
) -> None:
    """The real report for a place made after another place in the same kernel is byte-identical
    (but for its time stamp) to the same place made in a fresh kernel."""
    from hiworkbook.batch import run_reports

    shared = run_reports(
        demo_config,
        out_dir=tmp_path / "shared",
        places=["X06000003", "X06000004"],
        workers=1,
        progress=False,
    )
    alone = run_reports(
        demo_config,
        out_dir=tmp_path / "alone",
        places=["X06000004"],
        workers=1,
        progress=False,
    )

    def page(run, code: str) -> str:
        o = next(o for o in run.outcomes if o.place_code == code)
        text = (run.run_dir / o.report).read_text()
        return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d( UTC)?", "<time>", text)

    assert not shared.failed and not alone.failed
    assert page(shared, "X06000004") == page(alone, "X06000004")


@pytest.mark.slow
def test_dask_local_cluster_runs_places_on_warm_kernels(
    demo_config: Path, test_nb: Path, tmp_path: Path
) -> None:
    pytest.importorskip("dask.distributed")
    from hiworkbook.batch import run_reports

    summary = run_reports(
        demo_config,
        out_dir=tmp_path,
        notebook=test_nb,
        parameters={"failures": {"X06000003": "raise"}},
        executor="dask",
        workers=2,
        progress=False,
        after_report=[record_kernel],
    )
    assert [o.place_code for o in summary.failed] == ["X06000003"]
    ok = summary.done
    assert len(ok) == 5 and not any(o.extra["leak"] for o in ok)
    pids = [o.extra["kernel_pid"] for o in ok]
    assert len(set(pids)) < len(pids)  # kernels were reused across places
    assert not alive(set(pids))  # and shut down with the cluster
