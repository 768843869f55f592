"""Whatever data the analyst has, with real files: Trafford (E08000009) from IoD2019, LSOA 2011
boundaries, the mid-2020 population and the ONS lookup only — no counts, no comparator values —
gives a useful report through `hiworkbook run`; boundaries holding 20 of its 138 LSOAs are flagged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.realdata]

TRAFFORD = "E08000009"


def _workbook(folder: Path, r: Path, boundaries: str) -> Path:
    cfg = folder / "workbook.toml"
    cfg.write_text(
        f"""
[workbook]
name = "Trafford (deprivation only)"
[geography]
vintage = 2011
place_levels = ["ltla"]
[files]
boundaries = "{boundaries}"
lookup = "{r}/lookups/lookup_lsoa11_sicbl22_icb22_ltla22.csv.gz"
deprivation = "{r}/iod2019_england_lsoa11/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
population = {{ path = "{r}/population_lsoa/population20_lsoa11_england_wales.csv.gz", period = "2020" }}
"""
    )
    return cfg


@pytest.mark.slow
def test_trafford_deprivation_only_report(realdata: Path, tmp_path: Path) -> None:
    from hiworkbook.cli import main

    cfg = _workbook(
        tmp_path,
        realdata,
        f"{realdata}/boundaries_trafford/trafford_lsoa11_generalised.geojson",
    )
    out = tmp_path / "run"
    rc = main(
        [
            "run",
            str(cfg),
            "--places",
            TRAFFORD,
            "--out",
            str(out),
            "--workers",
            "1",
            "--no-progress",
        ]
    )
    assert rc == 0
    html = (out / TRAFFORD / "place_profile.html").read_text()
    text = re.sub(r"<[^>]+>", " ", html)
    # residents (mid-2020 estimate, about 237,000), the Core20 share, the map and quintile table
    m = re.search(
        r"Trafford \(lower-tier local authority, E08000009\) has\s+([\d,]+)\s+residents",
        text,
    )
    assert m and 230_000 < int(m.group(1).replace(",", "")) < 245_000
    assert "most deprived 20% in England" in text and "Core20" in text
    assert "neighbourhoods by national IMD decile" in html
    assert "Residents of Trafford by national deprivation quintile" in text
    # every indicator section is one sentence naming the files that would fill it
    assert html.count('class="hiw-missing"') >= 5
    assert "[files] counts" in html
    for bad in (
        "any of the 0 indicators",
        "areas have a value",
        "KeyError",
        "mortality_u75",
    ):
        assert bad not in text
    deprivation = out / TRAFFORD / f"{TRAFFORD}_2020_deprivation.csv"
    assert deprivation.is_file()


def test_boundaries_covering_part_of_trafford_are_flagged(
    realdata: Path, tmp_path: Path
) -> None:
    import geopandas as gpd

    from hiworkbook.workspace import Workspace

    b = gpd.read_file(
        realdata / "boundaries_trafford/trafford_lsoa11_generalised.geojson"
    )
    code = "area_code"
    b.sort_values(code).head(20).to_file(tmp_path / "part.geojson", driver="GeoJSON")
    cfg = _workbook(tmp_path, realdata, "part.geojson")
    ws = Workspace.from_config(cfg, cache=False)
    warn = [str(w) for w in ws.warnings if "not in the boundaries" in str(w)]
    assert len(warn) == 1, [str(w) for w in ws.warnings]
    assert (
        "Trafford (E08000009) has 138 small areas in the lookup but 118 of them"
        in warn[0]
    )
    assert re.search(r"E0100\d{4}", warn[0]) and "covering the whole place" in warn[0]
