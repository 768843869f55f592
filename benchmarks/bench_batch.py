"""Benchmark batch report generation: warm kernels against fresh kernels and against the floor.

In one run, on the same workers:

- **floor**: a notebook that only imports what a place report imports (pandas, geopandas, folium,
  matplotlib, hiworkbook and the modules the report uses), run with Papermill in a fresh kernel
  each — the least a fresh-kernel report can cost;
- **fresh**: every place's report with a fresh kernel each (``run_reports(warm=False)``);
- **warm**: every place's report on warm kernels (``run_reports()``, the default).

It prints seconds per place (wall time of the batch / places) and each figure's ratio to the floor.
The issue's target is warm ≤ 0.5 × floor.

Run: ``.venv/bin/python benchmarks/bench_batch.py [--scale demo|region] [--workers 2]``.
Scales are the functions in ``SCALES`` (each writes a workbook and returns its path), so a larger
one is one more entry. Figures are recorded in docs/benchmarks.md with the machine.
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


SCALES: dict[str, Callable[[Path], Path]] = {"demo": demo, "region": region}


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
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["HIWORKBOOK_CACHE"] = str(tmp / "cache")
        import pandas as pd

        from hiworkbook.batch import run_reports
        from hiworkbook.workspace import Workspace

        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
             if ln.startswith("model name")),
            platform.processor(),
        ) if Path("/proc/cpuinfo").exists() else platform.processor()  # fmt: skip
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"CPU: {cpu}, {os.cpu_count()} cores, load {load:.1f}; Python {platform.python_version()}, "
            f"pandas {pd.__version__}; scale {args.scale}, {args.workers} workers"
        )
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
            print(
                f"  {k:5}: {what:40} {per[k]:6.2f} s   ×{per[k] / per['floor']:.2f} floor"
            )
        print(f"  warm vs fresh: ×{per['fresh'] / per['warm']:.2f} faster")


if __name__ == "__main__":
    main()
