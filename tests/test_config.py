"""workbook.toml parsing: every problem reported at once, paths relative to the config."""

from __future__ import annotations

from pathlib import Path

import pytest

from hiworkbook.config import TEMPLATE, load_config
from hiworkbook.indicators import load_indicators
from hiworkbook.validate import DataError, ProblemLog


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "workbook.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for f in ("b.gpkg", "d.csv"):
        (tmp_path / "sub" / f).write_text("x")
    cfg = load_config(
        _write(
            tmp_path / "sub",
            '[geography]\nvintage = 2011\n[files]\nboundaries = "b.gpkg"\ndeprivation = { path = "d.csv", sheet = "Data" }\n',
        )
    )
    assert cfg.file("boundaries").path == (tmp_path / "sub" / "b.gpkg").resolve()
    assert cfg.file("deprivation").options["sheet"] == "Data"
    assert cfg.area_col == "lsoa11_code"


def test_all_problems_listed_once(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        '[geografy]\nx = 1\n[geography]\nvintage = 2015\nplace_levels = ["ltla", "lsoa"]\n'
        '[files]\nboundaries = "missing.geojson"\ndepravation = "d.csv"\n[disclosure]\nmin_count = -1\n',
    )
    with pytest.raises(DataError) as err:
        load_config(p)
    msg = str(err.value)
    assert "unknown section [geografy] (did you mean 'geography'?)" in msg
    assert "vintage is 2015" in msg
    assert "place_levels has 'lsoa'" in msg
    assert "missing.geojson, which does not exist" in msg
    assert "unknown key 'depravation' (did you mean 'deprivation'?)" in msg
    assert "does not name a 'deprivation' file" in msg
    assert "min_count is -1" in msg
    assert len(err.value.problems) >= 7


def test_missing_config_and_bad_toml(tmp_path: Path) -> None:
    log = ProblemLog()
    assert load_config(tmp_path / "nope.toml", log) is None
    assert "does not exist" in str(log) and "hiworkbook init" in str(log)
    log = ProblemLog()
    assert load_config(_write(tmp_path, "[files\nboundaries = 1"), log) is None
    assert "is not valid TOML" in str(log)


def test_template_parses(tmp_path: Path) -> None:
    import tomllib

    raw = tomllib.loads(TEMPLATE)
    assert raw["geography"]["vintage"] == 2021
    assert raw["disclosure"]["min_count"] == 5


def test_builtin_indicators_cover_core20plus5() -> None:
    inds = load_indicators()
    assert len(inds) >= 8
    assert {i.core20plus5 for i in inds.values()} >= {
        "maternity",
        "smi",
        "respiratory",
        "cancer",
        "hypertension",
    }
    assert {i.measure for i in inds.values()} >= {
        "proportion",
        "rate",
        "dsr",
        "life_expectancy",
    }
    assert sum("ethnic_group" in i.breakdowns for i in inds.values()) >= 2


def test_bad_indicator_file(tmp_path: Path) -> None:
    p = tmp_path / "ind.toml"
    p.write_text(
        '[[indicator]]\nid = "a"\nname = "A"\nmeasure = "ratee"\nmultiplier = 1\nunit = "x"\npolarity = "low_is_good"\n'
        '[[indicator]]\nid = "b"\nname = "B"\nmeasure = "rate"\nmultiplier = 1\nunit = "x"\npolarity = "low_is_good"\ncolour = 1\n'
    )
    with pytest.raises(DataError) as err:
        load_indicators(p)
    assert "measure 'ratee' (did you mean 'rate'?)" in str(err.value)
    assert "unknown field 'colour'" in str(err.value)
