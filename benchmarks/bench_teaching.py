"""Run time of every teaching notebook under Papermill (solution and learner versions) on the demo.

Run: ``.venv/bin/python benchmarks/bench_teaching.py``. The demo region is generated and validated
once (cached) before timing, as it is after the first lesson of a session; each notebook then runs
in a fresh kernel, as a learner's "Run all" would. Figures go in docs/teaching/README.md with the
machine's load at the time.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import papermill as pm

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["HIWORKBOOK_CACHE"] = str(tmp / "cache")
        from hiworkbook.demo import generate_demo
        from hiworkbook.teaching import COURSE
        from hiworkbook.workspace import Workspace

        config = generate_demo(tmp / "demo")
        Workspace.from_config(config)  # validate once; notebooks read the cache
        print(
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
            f"Python {platform.python_version()}"
        )
        print(f"{'notebook':46s} {'solution':>9s} {'learner':>9s}")
        total = {"solution": 0.0, "learner": 0.0}
        for lesson in COURSE:
            times = {}
            for version, folder in (
                ("solution", ROOT / "notebooks/teaching/solutions"),
                ("learner", ROOT / "notebooks/teaching"),
            ):
                params = (
                    {"folder": str(tmp / f"broken-{version}")}
                    if lesson.number == 7
                    else {"config": str(config)}
                )
                t = time.perf_counter()
                pm.execute_notebook(
                    str(folder / lesson.filename),
                    str(tmp / f"{version}-{lesson.filename}"),
                    parameters=params,
                    kernel_name="python3",
                    progress_bar=False,
                )
                times[version] = time.perf_counter() - t
                total[version] += times[version]
            print(
                f"{lesson.filename:46s} {times['solution']:8.1f}s {times['learner']:8.1f}s"
            )
        print(f"{'total':46s} {total['solution']:8.1f}s {total['learner']:8.1f}s")
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
