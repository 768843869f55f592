"""Benchmark batch report generation: warm kernels against fresh kernels and against the floor.

In one run, on the same workers:

- **floor**: a notebook that only imports what a place report imports (pandas, geopandas, folium,
  matplotlib, hiworkbook and the modules the report uses), run with Papermill in a fresh kernel
  each — the least a fresh-kernel report can cost;
- **fresh**: every place's report with a fresh kernel each (``run_reports(warm=False)``);
- **warm**: every place's report on warm kernels (``run_reports()``, the default).

It prints seconds per place (wall time of the batch / places) and each figure's ratio to the floor.
The issue's target is warm ≤ 0.5 × floor.

Run: ``.venv/bin/python benchmarks/bench_batch.py [--scale demo|region|england] [--workers 2]``.
Scales are the functions in ``SCALES`` (each writes a workbook and returns its path), so a larger
one is one more entry. Figures are recorded in docs/benchmarks.md with the machine.

``--scale england`` is synthetic England (33,755 small areas, 296 LTLAs): the workbook is generated
once into ``--data`` (default /tmp/hiw-bench-england; reused when it is already there) and only
the LTLA reports are timed (``run --level ltla``, warm kernels; ``--places N`` times the first N
LTLAs and projects the wall time of all 296). It also prints the validation time, the largest
report, the national map's size and build time (the run's ``map.html``) and the peak memory of
this process and of the largest worker. Its floor is measured before and after the LTLA run (two
dozen notebooks each: the machine's speed drifts over minutes), and the ratio is given against
the lower (the stricter) and against their mean.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

FLOOR_IMPORTS = (
    "from IPython.display import display\n"
    "import pandas\nimport geopandas\nimport folium\nimport matplotlib\n"
    "import hiworkbook as hw\n"
    "import hiworkbook.workspace, hiworkbook.results, hiworkbook.maps, hiworkbook.charts\n"
    "import hiworkbook.narrative, hiworkbook.tables"
)


def demo(folder: Path) -> Path:
    """The demo region: 5 LTLAs and their ICB (6 places), 600 small areas."""
    from hiworkbook.demo import generate_demo

    return generate_demo(folder / "demo")


def region(folder: Path) -> Path:
    """A larger synthetic region of the same generator: 29 LTLAs and their ICB (30 places),
    3,480 small areas."""
    from hiworkbook.demo import generate_demo

    return generate_demo(folder / "region", n_ltla=29, n_small_areas=29 * 120)


#: Where ``--scale england`` keeps its workbook between runs (``--data``).
ENGLAND_DIR = Path("/tmp/hiw-bench-england")


def england(folder: Path) -> Path:
    """Synthetic England (296 LTLAs, 42 ICBs, 33,755 small areas), generated once into
    ``ENGLAND_DIR`` and reused (``folder`` is not used: the workbook is 130 MB)."""
    from hiworkbook.demo.england import generate_england_demo

    return generate_england_demo(ENGLAND_DIR)


SCALES: dict[str, Callable[[Path], Path]] = {
    "demo": demo,
    "region": region,
    "england": england,
}
#: Scales whose reports are timed for one level only (the LTLAs of England).
LEVEL = {"england": "ltla"}


def _floor_one(args: tuple[str, str]) -> float:
    import papermill as pm

    from hiworkbook.engine import ipc_kernel_manager_class

    nb, cwd = args
    t = time.perf_counter()
    pm.execute_notebook(
        nb,
        None,
        kernel_name="python3",
        progress_bar=False,
        cwd=cwd,
        kernel_manager_class=ipc_kernel_manager_class(),
    )
    return time.perf_counter() - t


def floor(n: int, workers: int, folder: Path) -> float:
    """Wall seconds for ``n`` import-only notebooks, a fresh kernel each, on ``workers``."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(
        cells=[new_code_cell(FLOOR_IMPORTS)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )  # fmt: skip
    path = folder / "floor.ipynb"
    nbformat.write(nb, path)
    t = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_floor_one, [(str(path), str(folder))] * n))
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="demo")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--skip-fresh", action="store_true", help="time only the floor and warm kernels"
    )
    p.add_argument(
        "--data",
        type=Path,
        default=ENGLAND_DIR,
        help="--scale england: folder of the synthetic England workbook (made if missing)",
    )
    p.add_argument(
        "--places",
        type=int,
        default=0,
        help="time only the first N places (the wall time of all is projected)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="--scale england: keep the run folder here (default a temporary folder)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="--scale england: seconds before a place is stopped (default 600)",
    )
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.scale == "england":
        return bench_england(args)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["HIWORKBOOK_CACHE"] = str(tmp / "cache")
        from hiworkbook.batch import run_reports
        from hiworkbook.workspace import Workspace

        print(_machine(args.scale, args.workers))
        config = SCALES[args.scale](tmp)
        n = len(
            Workspace.from_config(config).places()
        )  # also writes the workspace cache

        wall = {"floor": floor(n, args.workers, tmp)}
        variants = (
            [("warm", True)] if args.skip_fresh else [("fresh", False), ("warm", True)]
        )
        for name, warm in variants:
            t = time.perf_counter()
            summary = run_reports(
                config,
                out_dir=tmp / name,
                workers=args.workers,
                progress=False,
                warm=warm,
            )
            wall[name] = time.perf_counter() - t
            assert not summary.failed, [f.error for f in summary.failed]
        per = {k: v / n for k, v in wall.items()}
        print(f"{n} places; seconds per place (batch wall time / places):")
        print(
            f"  floor: import-only notebook, fresh kernel each   {per['floor']:6.2f} s"
        )
        for k, what in (
            ("fresh", "report, fresh kernel each"),
            ("warm", "report, warm kernels"),
        ):
            if k in per:
                print(
                    f"  {k:5}: {what:40} {per[k]:6.2f} s   ×{per[k] / per['floor']:.2f} floor"
                )
        if "fresh" in per:
            print(f"  warm vs fresh: ×{per['fresh'] / per['warm']:.2f} faster")


def _machine(scale: str, workers: int) -> str:
    import pandas as pd

    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
         if ln.startswith("model name")),
        platform.processor(),
    ) if Path("/proc/cpuinfo").exists() else platform.processor()  # fmt: skip
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"CPU: {cpu}, {os.cpu_count()} cores, load {load:.1f}; Python {platform.python_version()}, "
        f"pandas {pd.__version__}; scale {scale}, {workers} workers"
    )


def bench_england(args: argparse.Namespace) -> None:
    """The issue's benchmark on synthetic England: LTLA reports on warm kernels against the floor."""
    import resource

    global ENGLAND_DIR
    ENGLAND_DIR = args.data.expanduser().resolve()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # a cache folder given in the environment is kept (validation is then timed warm)
        os.environ.setdefault("HIWORKBOOK_CACHE", str(tmp / "cache"))
        from hiworkbook.batch import run_reports
        from hiworkbook.workspace import Workspace

        print(_machine(args.scale, args.workers))
        t = time.perf_counter()
        config = england(tmp)
        gen = time.perf_counter() - t
        t, cpu = time.perf_counter(), time.process_time()
        ws = Workspace.from_config(
            config
        )  # validates and writes the cache, as `run` does
        validate_wall, validate_cpu = time.perf_counter() - t, time.process_time() - cpu
        # the run's disclosure plan (one suppression decision per count across every report,
        # every period) is built once per workbook and cached, as `run` does before its first
        # place: timed on its own so the per-report figure is the reports' own cost
        from hiworkbook import disclosure

        t, cpu = time.perf_counter(), time.process_time()
        disclosure.prepare(ws)
        plan_wall, plan_cpu = time.perf_counter() - t, time.process_time() - cpu
        ltlas = ws.places("ltla")["place_code"].tolist()
        codes = ltlas[: args.places] if args.places else ltlas
        n = len(codes)
        del ws

        # the floor before and after the run (two dozen notebooks each): the machine's speed
        # drifts by 10-30% over minutes, so the ratio is given against the lower of the two (the
        # stricter) and against their mean
        n_floor = min(n, 2 * args.workers * 6)
        floor_before = floor(n_floor, args.workers, tmp) / n_floor
        out = args.out.expanduser().resolve() if args.out else tmp / "warm"

        # every place's own result rows are computed inside the run, before its reports
        # (hiworkbook/level_results.py): counted in the per-report figure, and shown apart
        prepared: list[str] = []

        class _Prepared(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                prepared.append(record.getMessage())

        rows_log = logging.getLogger("hiworkbook.level_results")
        rows_log.addHandler(_Prepared(level=logging.INFO))
        rows_log.setLevel(logging.INFO)
        rows_log.propagate = False  # shown in the table, not also on stderr

        def run(**kw):  # noqa: ANN003, ANN202 - the LTLA run, timed
            t = time.perf_counter()
            summary = run_reports(
                config,
                out_dir=out,
                places=codes,
                level="ltla",
                workers=args.workers,
                progress=False,
                timeout=args.timeout,
                **kw,
            )
            return summary, time.perf_counter() - t

        summary, wall = run()
        assert not summary.failed, [f.error for f in summary.failed]
        per = wall / n
        floor_after = floor(n_floor, args.workers, tmp) / n_floor
        floor_s = min(floor_before, floor_after)
        biggest = max(summary.done, key=lambda o: o.bytes)
        nat = out / "map.html"
        # the same run again with resume: every report is up to date, nothing is made
        again, resume_s = run(resume=True)
        remade = len(again.outcomes) - len(again.skipped)
        t = time.perf_counter()
        from hiworkbook.national_map import national_map_from_workspace

        m = national_map_from_workspace(Workspace.from_config(config))
        map_s = time.perf_counter() - t
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows = [
            ("workbook", f"{config} ({'reused' if gen < 5 else f'generated in {gen:.0f} s'})"),
            ("validate + cache, or cache read (wall / CPU s)", f"{validate_wall:.1f} / {validate_cpu:.1f}"),
            ("disclosure plan, every period, or cache read (wall / CPU s)", f"{plan_wall:.1f} / {plan_cpu:.1f}"),
            ("floor: import-only notebook, fresh kernel each (before / after the run)",
             f"{floor_before:.2f} / {floor_after:.2f} s"),
            ("of the run: every place's own result rows, computed first",
             "; ".join(prepared) or "read from the cache"),
            (f"LTLA report, warm kernels ({n} LTLAs; the whole run / {n})", f"{per:.2f} s"),
            ("ratio to the lower floor (target ≤ 0.5)", f"×{per / floor_s:.2f}"),
            ("ratio to the mean floor", f"×{2 * per / (floor_before + floor_after):.2f}"),
            (f"wall for these {n} LTLAs", f"{wall:.0f} s"),
            ("second run with --resume: up to date / made again, wall",
             f"{len(again.skipped)} / {remade}, {resume_s:.1f} s"),
            ("wall for all 296 LTLAs" + (" (projected)" if n < len(ltlas) else ""),
             f"{per * len(ltlas) / 60:.1f} min"),
            ("largest LTLA report", f"{biggest.bytes / 1e6:.2f} MB ({biggest.place_code})"),
            ("national map (map.html) size", f"{(nat.stat().st_size if nat.is_file() else m.bytes) / 1e6:.2f} MB"),
            ("national map build", f"{m.seconds:.1f} s ({map_s:.1f} s with loading)"),
            ("peak memory: this process / largest worker", f"{own:.0f} / {child:.0f} MB"),
        ]  # fmt: skip
        w = max(len(k) for k, _ in rows)
        for k, v in rows:
            print(f"  {k:<{w}}  {v}")


if __name__ == "__main__":
    main()
