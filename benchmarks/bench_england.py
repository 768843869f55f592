"""Synthetic England at full size: generation time and size, national map bytes and build time.

Usage::

    .venv/bin/python benchmarks/bench_england.py [DIR]      # DIR default /tmp/hiw-bench-england

Generates ``hiworkbook generate-demo --scale england DIR`` (skipped when DIR already holds it; the
time is then the one recorded in the manifest run), then builds the national map of every small
area from the written files, as ``hiworkbook run`` does. Prints one table; record it with the
machine in docs/benchmarks.md.
"""

from __future__ import annotations

import logging
import resource
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    import geopandas as gpd
    import pandas as pd

    from hiworkbook.demo.england import generate_england_demo
    from hiworkbook.national_map import national_map

    logging.basicConfig(level=logging.WARNING)
    out = Path(argv[1] if len(argv) > 1 else "/tmp/hiw-bench-england")
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    toml = generate_england_demo(out)
    gen_wall, gen_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())

    t1 = time.perf_counter()
    lsoa = gpd.read_file(out / "boundaries.gpkg", layer="lsoa", engine="pyogrio")
    lookup = pd.read_csv(out / "lookup.csv", usecols=["lsoa21_code", "ltla_code"])
    dep = pd.read_csv(out / "deprivation.csv", usecols=["lsoa21_code", "imd_decile"])
    areas = lsoa.merge(lookup, on="lsoa21_code").merge(dep, on="lsoa21_code")
    read_s = time.perf_counter() - t1
    cpu1 = time.process_time()
    m = national_map(areas, synthetic=True)
    map_cpu = time.process_time() - cpu1
    path = m.save(out.parent / "england_national_map.html")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rows = [
        ("workbook", str(toml)),
        ("small areas", f"{len(areas):,}"),
        ("LTLAs / ICBs", f"{areas['ltla_code'].nunique()} / {pd.read_csv(out / 'lookup.csv', usecols=['icb_code'])['icb_code'].nunique()}"),
        ("generation wall s (0 if reused)", f"{gen_wall:.1f}"),
        ("generation CPU s (0 if reused)", f"{gen_cpu:.1f}"),
        ("workbook size MB", f"{size / 1e6:.0f}"),
        ("read boundaries+lookup s", f"{read_s:.1f}"),
        ("national map build wall s", f"{m.seconds:.1f}"),
        ("national map build CPU s", f"{map_cpu:.1f}"),
        ("national map MB", f"{m.bytes / 1e6:.2f}"),
        ("national map file", str(path)),
        ("peak RSS MB", f"{peak:.0f}"),
    ]  # fmt: skip
    w = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{w}}  {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
