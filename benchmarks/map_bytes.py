"""Bytes of the benchmark maps: the self-contained page (Leaflet inlined) per place.

Prints, for the demo's LTLA and ICB places and for every local authority district of England
(real ONS boundaries, when ../shared/realdata is beside the project), the page size at each
simplification step of :data:`hiworkbook.maps.BUDGET_STEPS` and what the default budget picks.
Run: ``.venv/bin/python benchmarks/map_bytes.py [path/to/realdata]`` (figures in docs/views.md).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import hiworkbook as hw
from hiworkbook import benchmark as bm
from hiworkbook import maps
from hiworkbook.paths import project_root
from hiworkbook.validate import ProblemLog

logging.basicConfig(level=logging.WARNING)


def demo_sizes() -> None:
    """Benchmark maps of the demo's first LTLA and its ICB."""
    place = hw.load_place("", "")
    ws = place.workspace
    for code in ("X06000001", "X54000001"):
        p = ws.place(code)
        res = hw.place_results(p, indicators=["hypertension_detection"], sii_reps=1000)
        m = maps.benchmark_map(res, "hypertension_detection")
        kind = type(m).__name__
        stats = getattr(m, "_stats", {})
        print(
            f"demo {p.name} ({len(p.areas)} small areas): {kind} "
            f"{stats.get('bytes', 0):,} bytes at {stats.get('tolerance')} m"
        )


def england_sizes(real: Path | None = None) -> None:
    """England's districts (ONS BSC boundaries) under three budgets and two base tolerances."""
    real = real or project_root().parent / "shared" / "realdata"
    path = (
        real
        / "boundaries_england"
        / "Local_Authority_Districts_May_2024_Boundaries_UK_BSC.geojson"
    )
    if not path.exists():
        print("England LADs: ../shared/realdata not found, skipped")
        return
    from hiworkbook.io import load_boundaries

    b = load_boundaries(path, level="ltla", log=ProblemLog())
    b = b[b["ltla_code"].str.startswith("E")].reset_index(drop=True)
    rng = np.random.default_rng(1)
    cats = rng.choice(["better", "similar", "worse"], len(b))
    frame = b.rename(columns={"ltla_name": "area_name"}).assign(
        _cat=cats,
        _fill=[bm.category(c).colour for c in cats],
        _tip=[f"<b>{n}</b>" for n in b["ltla_name"]],
        _dash=False,
        _supp=False,
    )
    items = [
        (bm.category(k).colour, bm.category(k).label)
        for k in ("better", "similar", "worse")
    ]
    for budget in (maps.DEFAULT_MAX_BYTES, 1_000_000, 400_000):
        for tol in (10.0, 100.0):
            m = maps.budgeted_map(
                frame,
                code_col="ltla_code",
                title="England LADs",
                heading="test",
                items=items,
                tolerance=tol,
                max_bytes=budget,
            )
            s = getattr(m, "_stats", {})
            print(
                f"England {len(b)} LADs, base tolerance {tol:g} m, budget {budget:,}: "
                f"{type(m).__name__} {s['bytes'] if s else len(m.png()):,} bytes"
                + (
                    f" at {s['tolerance']:g} m, precision {s['precision']:g}°"
                    if s
                    else " (PNG)"
                )
            )


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    demo_sizes()
    england_sizes(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
