"""The indicator deep dive shows what it should: funnel outliers, the decile gradient, the SII in
every period, hot spots on smoothed rates; the notebook runs on the demo and on Trafford."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from hiworkbook.indicators import Indicator
from hiworkbook.results import RESULT_COLUMNS, PlaceResults

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "indicator_deep_dive.ipynb"


def _funnel_results() -> PlaceResults:
    """20 small areas of 1,000 people at 10%, one planted at 20%, one suppressed."""
    ind = Indicator("p", "Planted proportion", "proportion", 100, "%", "low_is_good")
    rows = []
    for i in range(20):
        x = 200 if i == 7 else 100
        rows.append(
            {
                "breakdown": "small_area",
                "area_code": f"S{i:02d}",
                "area_name": f"Area {i}",
                "numerator": x,
                "denominator": 1000,
                "value": x / 10,
                "is_suppressed": False,
            }
        )
    rows.append(
        {
            "breakdown": "small_area",
            "area_code": "S99",
            "area_name": "Tiny",
            "numerator": np.nan,
            "denominator": np.nan,
            "value": np.nan,
            "is_suppressed": True,
        }
    )
    rows.append(
        {
            "breakdown": "area",
            "area_code": "P",
            "area_name": "Place",
            "numerator": 2100,
            "denominator": 20000,
            "value": 10.5,
            "is_suppressed": False,
        }
    )
    t = pd.DataFrame(rows).assign(indicator_id="p", sex="persons", category="x")
    for c in RESULT_COLUMNS:
        if c not in t:
            t[c] = pd.NA
    place = SimpleNamespace(name="Place", code="P", workspace=None)
    return PlaceResults(
        place,
        "2024",
        t[RESULT_COLUMNS],
        pd.DataFrame(),
        pd.DataFrame(),
        "",
        indicators={"p": ind},
    )


def test_funnel_plot_flags_the_planted_outlier() -> None:
    from hiworkbook.charts import funnel_plot

    ch = funnel_plot(_funnel_results(), "p")
    ax = ch.figure.axes[0]
    assert [t.get_text() for t in ax.texts] == [
        "Area 7"
    ]  # only the outlier is labelled
    # 20% of 1,000 against 10.5%: far beyond the 99.8% limit (10.5 + 3.09 sqrt(.105 .895/1000)
    # * 100 = 13.5%); 10% is inside the 95% limits (10.5 -/+ 1.9)
    assert "1 area(s) lie above and 0 below the 99.8%" in ch.caption
    assert "0 more outside the 95% limits only" in ch.caption
    assert "1 small area(s) left out (1 suppressed" in ch.caption
    assert "Area 7" in ch.alt and "Tiny" not in ch.alt
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == 20  # the suppressed area is not drawn


def test_funnel_plot_none_for_dsr() -> None:
    from hiworkbook.charts import funnel_plot

    r = _funnel_results()
    r.indicators["p"] = Indicator("p", "X", "dsr", 100000, "per 100,000", "low_is_good")
    assert funnel_plot(r, "p") is None


def test_sii_words_keep_the_sign() -> None:
    from hiworkbook.deepdive import sii_words

    ind = Indicator("x", "X", "proportion", 100, "%", "high_is_good")
    s = sii_words({"sii": 11.9, "lower_ci": 8.5, "upper_ci": 15.2}, ind)
    assert s.startswith("SII 11.9 percentage points (95% CI 8.5 to 15.2)")
    assert "higher at the least deprived end" in s
    s = sii_words({"sii": -2.0, "lower_ci": -4.0, "upper_ci": 1.0}, ind)
    assert s.startswith("SII \u22122.0 percentage points (95% CI \u22124.0 to 1.0)")
    assert "lower at the least deprived end" in s and "no clear gradient" in s


def test_a_report_does_not_import_esda() -> None:
    code = (
        "import sys, hiworkbook.charts, hiworkbook.maps, hiworkbook.narrative, "
        "hiworkbook.tables, hiworkbook.results, hiworkbook.deepdive, hiworkbook.spatial; "
        "print(any(m.split('.')[0] in ('esda', 'libpysal') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.fixture(scope="module")
def demo_place(demo_config: Path):
    import hiworkbook as hw

    return hw.load_place(demo_config, "")


def test_deep_dive_on_the_demo(demo_place, tmp_path: Path) -> None:
    from hiworkbook import export
    from hiworkbook.deepdive import deep_dive

    dd = deep_dive(
        demo_place, "hypertension_detection", sii_reps=2000, permutations=199
    )
    # SII by period: one row per period with counts
    periods = sorted(demo_place.workspace.periods)
    assert dd.sii_periods["period"].tolist() == periods
    assert dd.sii_periods["sii"].notna().all()
    # the current period's SII is the result table's
    now = dd.sii_periods.set_index("period").loc[dd.period, "sii"]
    assert now == pytest.approx(dd.results.sii["sii"].iloc[0])
    # deciles partition the place: their counts add up to the place's
    area = dd.results.for_indicator("hypertension_detection", "area").iloc[0]
    assert dd.deciles["numerator"].sum() == pytest.approx(area["numerator"])
    assert set(dd.gradient["grouping"]) == {"decile", "quintile"}
    # unsmoothed here (every area expects >= 20 events), so LISA ran on the table's values
    assert dd.smoothing == "none"
    used = dd.areas.dropna(subset=["lisa_value"])
    assert np.allclose(used["lisa_value"], used["value"])
    saved = export.save_tables(dd.tables(), tmp_path, synthetic=True)
    names = {p.stem for p in saved}
    assert {
        "gradient_by_decile_and_quintile",
        "sii_by_period",
        "hot_cold_spots",
        "funnel",
    } <= names
    assert "synthetic" in (tmp_path / "sii_by_period.csv").read_text()
    html = dd.lisa_map().to_html()
    assert "High-High (hot spot)" in html and "Not significant" in html


def test_small_counts_are_smoothed_and_not_shown(demo_place) -> None:
    from hiworkbook.deepdive import deep_dive

    dd = deep_dive(demo_place, "mortality_u75", sii_reps=2000, permutations=199)
    assert dd.smoothing == "global" and "empirical-Bayes" in dd.lisa_variable
    sup = dd.areas["is_suppressed"]
    assert sup.any()
    # suppressed areas keep a class but never a value
    assert dd.areas.loc[sup, "lisa_value"].isna().all()
    assert dd.areas.loc[sup, "cluster"].notna().all()
    # smoothed standardised ratios sit around the place (100), pulled in from the crude ratios
    v = dd.areas.loc[~sup, "lisa_value"]
    assert 50 < v.median() < 150
    assert "Funnel" not in str(dd.funnel())  # no funnel for a DSR: a sentence says why


def test_deep_dive_refuses_bad_settings_at_once(demo_place) -> None:
    from hiworkbook.deepdive import deep_dive
    from hiworkbook.validate import DataError

    with pytest.raises(DataError) as err:
        deep_dive(
            demo_place,
            "hypertension_detectoin",
            smoothing="bayes",
            fdr_alpha=5,
            sii_reps=10,
        )
    text = str(err.value)
    assert "hypertension_detection" in text  # did you mean
    assert "smoothing" in text and "fdr_alpha" in text and "sii_reps" in text


@pytest.mark.slow
def test_notebook_runs_on_the_demo(demo_config: Path, tmp_path: Path) -> None:
    import papermill as pm

    nb = pm.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / "out.ipynb"),
        parameters={
            "config": str(demo_config),
            "output_dir": str(tmp_path / "t"),
            "sii_reps": 10000,
        },
        kernel_name="python3",
        progress_bar=False,
    )
    errors = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    text = (tmp_path / "out.ipynb").read_text()
    assert "Synthetic" in text and "hot and cold spots" in text
    assert len(list((tmp_path / "t").glob("*.csv"))) >= 6


@pytest.mark.slow
@pytest.mark.realdata
def test_notebook_runs_on_trafford(realdata: Path, tmp_path: Path) -> None:
    import papermill as pm
    from test_realdata_trafford import _workbook_2021

    cfg = _workbook_2021(tmp_path, realdata)
    nb = pm.execute_notebook(
        str(NOTEBOOK),
        str(tmp_path / "out.ipynb"),
        parameters={
            "config": str(cfg),
            "place_code": "E08000009",
            "indicator": "census_bad_health",
            "output_dir": str(tmp_path / "t"),
            "sii_reps": 10000,
        },
        kernel_name="python3",
        progress_bar=False,
    )
    errors = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    spots = pd.read_csv(tmp_path / "t" / "hot_cold_spots.csv")
    assert len(spots) == 139
    moran = pd.read_csv(tmp_path / "t" / "global_moran.csv").iloc[0]
    # bad health clusters in Trafford's more deprived neighbourhoods: strong positive
    # autocorrelation, and hot spots sit in more deprived deciles than cold spots
    assert moran["morans_i"] > 0.3 and moran["p_permutation"] <= 0.01
    hot = spots[spots["cluster"] == "High-High (hot spot)"]
    cold = spots[spots["cluster"] == "Low-Low (cold spot)"]
    assert len(hot) and len(cold)
    assert hot["imd_decile"].mean() < cold["imd_decile"].mean()
