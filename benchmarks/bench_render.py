"""Benchmark the drawing side of one place report on the demo region (LTLA X06000001).

The computations (result table, every period's results, the life-expectancy gap) are done once
and not timed. Then, in one process and one run:

* each report section that draws (spine chart, compare-areas chart, inequality chart,
  ethnicity panel, pyramid, scatter, trends section, LE-gap section, the two folium maps) is
  built and turned into its HTML, as the notebook does, best of ``--repeat`` runs;
* every matplotlib chart of the report is rendered to PNG two ways on the same figures: the
  old route (``fig.tight_layout()`` at the figure's own dpi, then
  ``savefig(dpi=110, bbox_inches="tight")``, two more draws) and the current
  :meth:`hiworkbook.charts.Chart.png` (layout and draw once, crop), with the pixel size of both
  pictures and the largest per-pixel difference between them.

Run: ``.venv/bin/python benchmarks/bench_render.py [--repeat 3]``. Figures are recorded in
docs/benchmarks.md with the machine and its load.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np


def best(fn, n: int) -> tuple[float, object]:
    out, times = None, []
    for _ in range(n):
        t = time.process_time()
        out = fn()
        times.append(time.process_time() - t)
    return min(times), out


def legacy_png(fig, dpi: int = 110) -> bytes:
    """The route before: tight layout at the figure's dpi, then a two-pass tight savefig."""
    fig.set_dpi(100)
    engine = fig.get_layout_engine()
    fig.set_layout_engine("none")
    if engine is not None and type(engine).__name__ == "TightLayoutEngine":
        fig.tight_layout(**{k: v for k, v in engine.get().items() if k == "rect"})
    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None}
    )
    fig.set_layout_engine(engine)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["HIWORKBOOK_CACHE"] = str(tmp / "cache")
        from PIL import Image

        import hiworkbook as hw
        from hiworkbook import charts
        from hiworkbook.demo import generate_demo
        from hiworkbook.workspace import Workspace

        print(
            f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}; "
            f"Python {platform.python_version()}"
        )
        config = generate_demo(tmp / "demo")
        Workspace.from_config(config)  # validated once, cached
        place = hw.load_place(str(config), "X06000001")
        results = hw.place_results(place, seed=1)
        periods = hw.trends.period_results(place, reuse=results, seed=1)
        gap = hw.lifegap.le_gap(place, "quintile", pool=3)
        lvl = "95"

        def html(obj) -> str:
            return obj._repr_html_() if hasattr(obj, "_repr_html_") else str(obj)

        sections = {
            "deprivation map (folium)": lambda: hw.maps.deprivation_map(
                place.areas, code_col=place.workspace.area_col, outline=place.outline()
            ),
            "spine chart": lambda: hw.views.spine_chart(results, level=lvl),
            "benchmark map (folium)": lambda: hw.maps.benchmark_map(
                results, "hypertension_detection", level=lvl, outline=place.outline()
            ),
            "compare-areas chart": lambda: hw.views.compare_areas_chart(
                results, "hypertension_detection", level=lvl
            ),
            "inequality chart": lambda: hw.views.inequality_chart(
                results, "mortality_u75", level=lvl
            ),
            "ethnicity panel": lambda: hw.charts.ethnicity_panel(
                results, ["hypertension_detection", "smi_health_checks"], level=lvl
            ),
            "population pyramid": lambda: hw.views.population_pyramid(results),
            "scatter chart": lambda: hw.views.scatter_chart(
                results, "hypertension_detection", "smi_health_checks"
            ),
            "trends section": lambda: hw.trendviews.trends_section(
                periods, ["mortality_u75", "life_expectancy"], "mortality_u75"
            ),
            "LE-gap section": lambda: hw.lifegap.gap_section(gap),
        }
        made: list = []
        init = charts.Chart.__init__

        def record(self, *a, **k) -> None:
            init(self, *a, **k)
            made.append(self)

        charts.Chart.__init__ = record

        print(f"\n{'section (built + to HTML)':34s} {'best s':>8s} {'HTML kB':>8s}")
        total = 0.0
        for name, make in sections.items():
            sec, out = best(lambda make=make: html(make()), args.repeat)
            total += sec
            print(f"{name:34s} {sec:8.3f} {len(out) / 1e3:8.0f}")
        print(f"{'all drawing sections':34s} {total:8.3f}")

        if not hasattr(charts, "_render_png"):  # an older hiworkbook: sections only
            return

        def build() -> list:
            made.clear()
            for make in sections.values():
                make()
            return list(made)

        # fresh figures for each route and repeat (a report draws each figure once)
        olds, news, t_old, t_new = {}, {}, {}, {}
        for _ in range(args.repeat):
            for _route, fn, times, outs in (
                ("old", legacy_png, t_old, olds),
                ("new", lambda f: charts._render_png(f, 110), t_new, news),
            ):
                for k, c in enumerate(build()):
                    t = time.process_time()
                    outs[k] = fn(c.figure)
                    times[k] = min(times.get(k, np.inf), time.process_time() - t)
                    outs.setdefault(
                        ("label", k), c.alt.split(" in ")[0].split(" for ")[0][:44]
                    )
        print(
            f"\n{len(t_old)} matplotlib charts in the report, PNG at 110 dpi (layout + draw):"
        )
        print(
            f"{'chart':44s} {'old s':>7s} {'new s':>7s} {'old px':>10s} {'new px':>10s} "
            f"{'old kB':>7s} {'new kB':>7s} {'max diff':>8s}"
        )
        for k in t_old:
            ia = np.asarray(Image.open(io.BytesIO(olds[k])).convert("RGB"), dtype=int)
            ib = np.asarray(Image.open(io.BytesIO(news[k])).convert("RGB"), dtype=int)
            diff = f"{np.abs(ia - ib).max():8d}" if ia.shape == ib.shape else "   shape"
            print(
                f"{olds['label', k]:44s} {t_old[k]:7.3f} {t_new[k]:7.3f} "
                f"{ia.shape[1]:>4d}×{ia.shape[0]:<5d} {ib.shape[1]:>4d}×{ib.shape[0]:<5d} "
                f"{len(olds[k]) / 1e3:7.1f} {len(news[k]) / 1e3:7.1f} {diff}"
            )
        a, b = sum(t_old.values()), sum(t_new.values())
        print(f"{'all charts':44s} {a:7.3f} {b:7.3f}   ×{a / b:.2f}")


if __name__ == "__main__":
    main()
