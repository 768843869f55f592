"""Benchmark the computing (not the drawing) of one place report, in-process, on warm caches.

A warm kernel (:mod:`hiworkbook.engine`) keeps imported modules between places, so what a place
report costs there is its own work. This script times the compute steps of
``notebooks/place_profile.ipynb`` in the order the notebook runs them — loading the place, the
result table, the peers of the spine chart, the earlier periods of the trends, the trend markers
and gap tests, the life-expectancy gap and the place summary — for every place given (default:
every LTLA of the workbook), in one process, and prints CPU and wall seconds per step. The first
place pays for what is shared by every place of a run (the counts index, the peers of a level,
the comparators' values); the rows "first place" and "each further place" tell them apart.

Run: ``.venv/bin/python benchmarks/bench_place_compute.py [workbook.toml] [--places A,B]``.
Figures are recorded in docs/benchmarks.md ("Reports") with the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from pathlib import Path

STEPS = (
    "load_place",
    "place_results",
    "spine_table (peers)",
    "period_results (earlier periods)",
    "trend markers + gap tests",
    "le_gap",
    "place_summary",
)


def report_compute(config: str, code: str, times: dict[str, list[float]]) -> None:
    """The compute calls of one place report, timed step by step (CPU seconds)."""
    import hiworkbook as hw
    from hiworkbook import trends

    def step(name, fn):
        c0 = time.process_time()
        out = fn()
        times[name].append(time.process_time() - c0)
        return out

    inds = ["hypertension_detection", "mortality_u75", "smoking_at_delivery"]
    place = step("load_place", lambda: hw.load_place(config, code, indicators=inds))
    res = step("place_results", lambda: hw.place_results(place, seed=1))
    step("spine_table (peers)", lambda: hw.views.spine_table(res))
    periods = step(
        "period_results (earlier periods)",
        lambda: trends.period_results(place, seed=1, reuse=res),
    )

    def markers():
        trends.trend_markers(periods, breakdowns=("area",))
        trends.gap_trends(periods)
        trends.sii_by_period(periods, "mortality_u75")

    step("trend markers + gap tests", markers)
    step("le_gap", lambda: hw.lifegap.le_gap(place, "quintile", pool=3))
    step(
        "place_summary",
        lambda: hw.overview.place_summary(res, chart_indicator="mortality_u75"),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", nargs="?", default="data/demo/workbook.toml")
    ap.add_argument("--places", default="", help="comma-separated place codes")
    ap.add_argument("--level", default="ltla")
    args = ap.parse_args()
    from hiworkbook.workspace import Workspace

    ws = Workspace.from_config(args.config)
    codes = (
        args.places.split(",")
        if args.places
        else ws.places(args.level)["place_code"].tolist()
    )
    load = os.getloadavg()[0]
    times: dict[str, list[float]] = defaultdict(list)
    w0 = time.perf_counter()
    for code in codes:
        report_compute(args.config, code, times)
    wall = time.perf_counter() - w0
    print(f"{Path(args.config)}: {len(codes)} places, load average {load:.1f}")
    print(f"{'step':36s} {'first':>8s} {'further':>8s}  (CPU s)")
    first = further = 0.0
    for name in STEPS:
        v = times[name]
        rest = sum(v[1:]) / max(1, len(v) - 1)
        first += v[0]
        further += rest
        print(f"{name:36s} {v[0]:8.2f} {rest:8.2f}")
    print(f"{'total':36s} {first:8.2f} {further:8.2f}")
    print(f"wall time, all places: {wall:.1f} s")


if __name__ == "__main__":
    main()
