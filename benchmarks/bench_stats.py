"""Benchmark hiworkbook.stats / hiworkbook.inequality on a synthetic England.

Run: ``.venv/bin/python benchmarks/bench_stats.py`` (or ``make bench``). Prints, for each method,
the vectorised time, the time of a straightforward per-group loop over the same data in the same
run, and their ratio. Figures are recorded in docs/benchmarks.md.

The data are generated here with ``numpy.random.default_rng(seed)`` (plausible ESP-banded
populations and Poisson deaths for 33,755 small areas grouped into 300 places) so the benchmark
does not depend on the demo generator.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hiworkbook import stats  # noqa: E402
from hiworkbook.inequality import sii  # noqa: E402

N_AREAS = 33_755
N_PLACES = 300
# rough England age profile (share of population by ESP band) and death rates per person-year
AGE_SHARE = np.array([5.5, 6.0, 6.2, 5.8, 5.9, 6.4, 6.8, 7.0, 6.7, 6.4, 6.6, 6.9, 6.6,
                      5.7, 5.0, 4.8, 3.5, 2.5, 1.6, 0.9])  # fmt: skip
LE_BANDS = list(stats.LIFE_TABLE_BANDS)
DEATH_RATE = np.array([0.0038, 0.00012, 0.00008, 0.0001, 0.00025, 0.0004, 0.0005, 0.0007,
                       0.001, 0.0015, 0.0023, 0.0035, 0.0055, 0.0085, 0.013, 0.021, 0.035,
                       0.06, 0.105, 0.2])  # fmt: skip


def synthetic_england(seed: int = 2024) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Small areas × 20 life-table bands: deaths and population, with place and quintile."""
    rng = np.random.default_rng(seed)
    area_pop = rng.normal(1700, 300, N_AREAS).clip(1000, 3500)
    dep = rng.normal(0, 1, N_AREAS)
    place = np.sort(rng.integers(0, N_PLACES, N_AREAS))
    share = AGE_SHARE / AGE_SHARE.sum()
    shares = rng.dirichlet(share * 200, N_AREAS)
    pop = rng.poisson(area_pop[:, None] * shares)
    risk = np.exp(0.25 * dep)[:, None] * DEATH_RATE
    deaths = rng.poisson(pop * risk)
    deaths = np.minimum(deaths, pop)
    codes = np.char.add("X01", np.char.zfill(np.arange(1, N_AREAS + 1).astype(str), 6))
    le = pd.DataFrame(
        {
            "area": np.repeat(codes, 20),
            "place": np.repeat(place, 20),
            "age_band": np.tile(LE_BANDS, N_AREAS),
            "deaths": deaths.ravel(),
            "population": pop.ravel(),
        }
    )
    # ESP bands for the DSR: merge 0 and 1-4 into 0-4
    esp = le.assign(age_band=le["age_band"].replace({"0": "0-4", "1-4": "0-4"}))
    esp = esp.groupby(["area", "age_band"], as_index=False, sort=False)[
        ["deaths", "population"]
    ].sum()
    areas = pd.DataFrame(
        {
            "area": codes,
            "place": place,
            "quintile": pd.qcut(-dep, 5, labels=False) + 1,
            "x": deaths.sum(axis=1),
            "n": pop.sum(axis=1),
        }
    )
    areas["y"] = rng.binomial(areas["n"], 0.2)
    return esp, le.assign(quintile=np.repeat(areas["quintile"].to_numpy(), 20)), areas


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
    for name, fn, x in (
        ("proportion", stats.proportion, "y"),
        ("rate", stats.rate, "x"),
    ):
        fast = timed(lambda fn=fn, x=x: fn(areas, x, "n", group_by="area"))
        sample = areas if args.full_loops else areas.iloc[:3000]
        slow = timed(
            lambda fn=fn, x=x, s=sample: loop_calls(fn, s, "area", x=x, n="n"), repeat=1
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
