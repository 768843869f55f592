"""Benchmark trends and the life-expectancy gap on the demo region: one period's result table vs
every period's (``trends.period_results``, with and without reusing the report's own period), the
recent-trend markers, and the life-expectancy gap decomposition (quintile 1 vs 5, by cause).

Run: ``.venv/bin/python benchmarks/bench_trends.py`` (or ``make bench``). Figures are recorded in
docs/benchmarks.md with the machine they were measured on.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from pathlib import Path


def best(fn, n: int = 3) -> tuple[float, object]:
    out, times = None, []
    for _ in range(n):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["HIWORKBOOK_CACHE"] = str(tmp / "cache")
        from hiworkbook import lifegap, trends
        from hiworkbook.demo import generate_demo
        from hiworkbook.results import place_results
        from hiworkbook.workspace import Workspace

        print(f"{os.cpu_count()} cores; Python {platform.python_version()}")
        ws = Workspace.from_config(generate_demo(tmp / "demo"))
        place = ws.place("X06000001")
        n_ind = len(ws.indicators)
        one, res = best(lambda: place_results(place))
        print(f"result table, latest period ({n_ind} indicators)   {one:6.2f} s")
        allp, pr = best(lambda: trends.period_results(place), n=2)
        print(
            f"period_results, {len(pr.periods)} periods                  {allp:6.2f} s"
            f"   ({allp / one:4.2f} × one period)"
        )
        reuse, _ = best(lambda: trends.period_results(place, reuse=res), n=2)
        print(f"period_results reusing the latest period        {reuse:6.2f} s")
        mk, _ = best(lambda: trends.trend_markers(pr))
        print(f"recent-trend markers, every indicator           {mk:6.3f} s")
        gp, _ = best(lambda: lifegap.le_gap(place, "quintile"))
        print(f"LE gap Q1 vs Q5 by age and cause (3 periods)    {gp:6.3f} s")


if __name__ == "__main__":
    main()
