"""Benchmark hiworkbook.stats / hiworkbook.inequality on a synthetic England.

Run: ``.venv/bin/python benchmarks/bench_stats.py`` (or ``make bench``). Prints, for each method,
the vectorised time, the time of a straightforward per-group loop over the same data in the same
run, and their ratio. Figures are recorded in docs/benchmarks.md.

The data come from the demo generator scaled to England (``hiworkbook.demo.generate_england``:
33,755 small areas in 300 places, populations by sex and age, deaths and other counts with
deprivation gradients).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy

from hiworkbook import stats
from hiworkbook.demo import generate_england
from hiworkbook.inequality import sii

N_AREAS = 33_755
N_PLACES = 300


def synthetic_england(
    seed: int = 2024,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The demo generator scaled to England (``hiworkbook.demo.generate_england``), reshaped:
    small areas × 19 ESP bands (DSR), × 20 life-table bands (life expectancy), and one row per
    area (crude rates of deaths, hypertension detection as a proportion), with place and quintile.
    """
    eng = generate_england(N_AREAS, seed=seed)
    dep = eng["deprivation"]
    place_codes = {c: i for i, c in enumerate(sorted(dep["ltla_code"].unique()))}
    areas = pd.DataFrame(
        {
            "area": dep["lsoa21_code"].astype(str),
            "place": dep["ltla_code"].map(place_codes).astype(int),
            "quintile": ((dep["imd_decile"].astype(int) + 1) // 2),
        }
    )
    c = eng["counts"]
    deaths = c[c["indicator_id"] == "life_expectancy"]
    le = (
        deaths.groupby(["lsoa21_code", "age_band"], observed=True, as_index=False)[
            ["numerator", "denominator"]
        ]
        .sum()
        .rename(
            columns={
                "lsoa21_code": "area",
                "numerator": "deaths",
                "denominator": "population",
            }
        )
    )
    le["area"] = le["area"].astype(str)
    le["age_band"] = le["age_band"].astype(str)
    le = le.merge(areas, on="area")
    # ESP bands for the DSR: merge 0 and 1-4 into 0-4
    esp = le.assign(age_band=le["age_band"].replace({"0": "0-4", "1-4": "0-4"}))
    esp = esp.groupby(["area", "age_band"], as_index=False, sort=False)[
        ["deaths", "population"]
    ].sum()
    totals = le.groupby("area", sort=False)[["deaths", "population"]].sum()
    hyp = c[
        (c["indicator_id"] == "hypertension_detection") & (c["ethnic_group"] == "all")
    ]
    hyp = hyp.assign(area=hyp["lsoa21_code"].astype(str)).set_index("area")
    areas = areas.assign(
        x=areas["area"].map(totals["deaths"]),
        n=areas["area"].map(totals["population"]),
        y=areas["area"].map(hyp["numerator"]).astype(int),
        yn=areas["area"].map(hyp["denominator"]).astype(int),
    )
    return esp, le, areas


def timed(fn, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


# ------------------------------------------------------------------ per-group loops
def loop_dsr(esp: pd.DataFrame) -> pd.DataFrame:
    """A straightforward loop: the Dobson DSR area by area with pandas/numpy."""
    w = stats.ESP2013
    rows = []
    for area, g in esp.groupby("area", sort=True):
        wt = g["age_band"].map(w).to_numpy()
        x = g["deaths"].to_numpy(float)
        n = g["population"].to_numpy(float)
        with np.errstate(divide="ignore"):
            ratio = np.where(n > 0, wt / n, 0.0)
        o = x.sum()
        val = (x * ratio).sum() / wt.sum()
        var = (x * ratio**2).sum() / wt.sum() ** 2
        lo, hi = stats.byar_limits(np.array([o]), 0.95)
        se = np.sqrt(var / o) if o > 0 else np.nan
        rows.append(
            (
                area,
                val * 1e5,
                (val + se * (lo[0] - o)) * 1e5,
                (val + se * (hi[0] - o)) * 1e5,
            )
        )
    return pd.DataFrame(rows, columns=["area", "value", "lower_ci", "upper_ci"])


def loop_calls(fn, data: pd.DataFrame, key: str, **kw) -> pd.DataFrame:
    """Call the public function once per group (what a naive analyst loop would do)."""
    return pd.concat(
        [fn(g, **kw) for _, g in data.groupby(key, sort=True)], ignore_index=True
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--reps", type=int, default=100_000)
    ap.add_argument(
        "--full-loops",
        action="store_true",
        help="run the proportion/rate loops over all areas (default: 3,000, extrapolated)",
    )
    args = ap.parse_args()

    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
         if ln.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    import os

    print(f"CPU: {cpu}, {os.cpu_count()} cores")
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"scipy {scipy.__version__}"
    )
    t = time.perf_counter()
    esp, le, areas = synthetic_england(args.seed)
    print(f"synthetic England: {N_AREAS:,} areas, {len(esp):,} DSR rows, "
          f"{len(le):,} life-table rows ({time.perf_counter() - t:.1f} s)\n")  # fmt: skip

    results = []

    def report(name: str, fast: float, slow: float, note: str = "") -> None:
        results.append((name, fast, slow))
        print(
            f"{name:<46} {fast:8.3f} s   loop {slow:8.2f} s   ×{slow / fast:7.1f} {note}"
        )

    # DSR, all areas × 19 bands
    fast = timed(
        lambda: stats.dsr(esp, "deaths", "population", "age_band", group_by="area")
    )
    v = stats.dsr(esp, "deaths", "population", "age_band", group_by="area", min_count=0)
    lp = loop_dsr(esp)
    assert np.allclose(v["value"], lp["value"], equal_nan=True)
    slow = timed(lambda: loop_dsr(esp), repeat=1)
    report(f"DSR, {N_AREAS:,} areas × 19 bands", fast, slow)

    # proportions and rates, all areas
    for name, fn, x, n in (
        ("proportion", stats.proportion, "y", "yn"),
        ("rate", stats.rate, "x", "n"),
    ):
        fast = timed(lambda fn=fn, x=x, n=n: fn(areas, x, n, group_by="area"))
        sample = areas if args.full_loops else areas.iloc[:3000]
        slow = timed(
            lambda fn=fn, x=x, n=n, s=sample: loop_calls(fn, s, "area", x=x, n=n),
            repeat=1,
        )
        slow *= len(areas) / len(sample)
        report(f"{name}, {N_AREAS:,} areas", fast, slow)

    # life expectancy, 300 places
    le_place = le.groupby(["place", "age_band"], as_index=False, sort=False)[
        ["deaths", "population"]
    ].sum()
    fast = timed(
        lambda: stats.life_expectancy(
            le_place, "deaths", "population", "age_band", group_by="place"
        )
    )
    slow = timed(
        lambda: loop_calls(stats.life_expectancy, le_place, "place", deaths="deaths",
                           population="population", age_band="age_band"),
        repeat=1,
    )  # fmt: skip
    report(f"life expectancy, {N_PLACES} places", fast, slow)

    # SII, 300 places × 5 quintiles, rates (log scale), 100,000 simulations
    q = stats.dsr(
        esp.merge(areas[["area", "place", "quintile"]], on="area")
        .groupby(["place", "quintile", "age_band"], as_index=False)[["deaths", "population"]]
        .sum(),
        "deaths", "population", "age_band", group_by=["place", "quintile"],
    )  # fmt: skip
    kw = dict(value_type=1, multiplier=100_000, rii=True, reps=args.reps, seed=1)
    fast = timed(
        lambda: sii(q, "value", "lower_ci", "upper_ci", "denominator", "quintile",
                    group_by="place", **kw),
        repeat=1,
    )  # fmt: skip
    sample_places = q["place"].unique()
    qs = q[q["place"].isin(sample_places)]
    slow = timed(
        lambda: loop_calls(sii, qs, "place", value="value", lower_ci="lower_ci",
                           upper_ci="upper_ci", population="denominator",
                           quantile="quintile", **kw),
        repeat=1,
    )  # fmt: skip
    slow *= N_PLACES / len(sample_places)
    report(f"SII, {N_PLACES} places × {args.reps:,} simulations", fast, slow)

    # the textbook per-replicate loop (phe_sii-style), on one place, extrapolated
    one = q[q["place"] == q["place"].iloc[0]].sort_values("quintile")
    a = one["denominator"].to_numpy() / one["denominator"].sum()
    xmid = np.cumsum(a) - a / 2
    tv = np.log(one["value"].to_numpy())
    se = (np.log(one["upper_ci"]) - np.log(one["lower_ci"])).to_numpy() / (2 * 1.959964)
    X = np.column_stack([np.sqrt(a), xmid * np.sqrt(a)])
    rng = np.random.default_rng(1)
    n_rep = 2000
    t = time.perf_counter()
    for _ in range(n_rep):
        y = np.exp(rng.normal(tv, se)) * np.sqrt(a)
        np.linalg.lstsq(X, y, rcond=None)
    per_rep = (time.perf_counter() - t) / n_rep
    print(f"{'(per-replicate lstsq loop, extrapolated)':<46} "
          f"{per_rep * args.reps * N_PLACES:8.1f} s for {N_PLACES} places × {args.reps:,}")  # fmt: skip


if __name__ == "__main__":
    main()
