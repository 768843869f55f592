"""Benchmark the report route on the demo region: workspace loading (cold vs cached), one place's
result table, and a batch of every demo place with 1 and 2 worker processes.

Run: ``.venv/bin/python benchmarks/bench_reports.py`` (or ``make bench``). Figures are recorded in
docs/benchmarks.md with the machine they were measured on.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["HIWORKBOOK_CACHE"] = str(tmp / "cache")
        from hiworkbook.batch import run_reports
        from hiworkbook.demo import generate_demo
        from hiworkbook.results import place_results
        from hiworkbook.workspace import Workspace

        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
             if ln.startswith("model name")),
            platform.processor(),
        )  # fmt: skip
        print(
            f"CPU: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, pandas {pd.__version__}"
        )

        t = time.perf_counter()
        config = generate_demo(tmp / "demo")
        print(
            f"generate demo region (600 areas, 3 periods)   {time.perf_counter() - t:6.2f} s"
        )

        t = time.perf_counter()
        Workspace.from_config(config, cache=False)
        cold = time.perf_counter() - t
        Workspace.from_config(config)  # writes the cache
        t = time.perf_counter()
        ws = Workspace.from_config(config)
        warm = time.perf_counter() - t
        print(f"load + validate workspace, cold                {cold:6.2f} s")
        print(
            f"load workspace from cache                      {warm:6.2f} s   ×{cold / warm:5.1f}"
        )

        place = ws.place("X06000001")
        t = time.perf_counter()
        place_results(place)
        print(
            f"result table for one LTLA (8 indicators)      {time.perf_counter() - t:6.2f} s"
        )

        runs = {}
        for workers in (1, 2):
            t = time.perf_counter()
            summary = run_reports(
                config, out_dir=tmp / f"run{workers}", workers=workers, progress=False
            )
            runs[workers] = time.perf_counter() - t
            sizes = [o.bytes for o in summary.outcomes]
            print(
                f"batch, {len(sizes)} places, {workers} worker(s)              {runs[workers]:6.2f} s"
                f"   ({runs[workers] / len(sizes):.2f} s/report, {sum(sizes) / len(sizes) / 1e6:.2f} MB/report)"
            )
        print(
            f"speed-up with 2 workers                        ×{runs[1] / runs[2]:5.2f}"
        )


if __name__ == "__main__":
    main()
