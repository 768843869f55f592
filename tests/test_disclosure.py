"""Small-number suppression: primary, complement and secondary suppression, comparators untouched."""

from __future__ import annotations

import pandas as pd

from hiworkbook.disclosure import suppress


def _table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "indicator_id",
            "sex",
            "breakdown",
            "category",
            "measure",
            "numerator",
            "denominator",
            "value",
        ],
    ).assign(lower_ci=0.0, upper_ci=1.0, comparison="similar", value_note="")


def test_primary_and_complement() -> None:
    t = _table(
        [
            (
                "a",
                "persons",
                "small_area",
                "x1",
                "proportion",
                3,
                50,
                6.0,
            ),  # 1..4 events: suppressed
            (
                "a",
                "persons",
                "small_area",
                "x2",
                "proportion",
                0,
                50,
                0.0,
            ),  # zero shown
            (
                "a",
                "persons",
                "small_area",
                "x3",
                "proportion",
                48,
                50,
                96.0,
            ),  # complement 2: suppressed
            (
                "a",
                "persons",
                "small_area",
                "x4",
                "proportion",
                5,
                50,
                10.0,
            ),  # threshold itself shown
            (
                "a",
                "persons",
                "comparator",
                "England",
                "proportion",
                2,
                9,
                22.0,
            ),  # never suppressed
        ]
    )
    out = suppress(t, min_count=5)
    assert out["is_suppressed"].tolist() == [True, False, True, False, False]
    assert out.loc[0, ["numerator", "value", "lower_ci"]].isna().all()
    assert out.loc[0, "comparison"] == "not compared"
    assert "fewer than 5" in out.loc[0, "value_note"]
    # the input is not modified
    assert t["numerator"].tolist()[0] == 3


def test_secondary_suppression_protects_a_lone_suppressed_category() -> None:
    t = _table(
        [
            ("a", "persons", "ethnic_group", "Asian", "proportion", 40, 100, 40.0),
            ("a", "persons", "ethnic_group", "Black", "proportion", 2, 10, 20.0),
            ("a", "persons", "ethnic_group", "Mixed", "proportion", 12, 30, 40.0),
            ("a", "persons", "ethnic_group", "White", "proportion", 300, 900, 33.0),
        ]
    )
    out = suppress(t, min_count=5)
    assert out["is_suppressed"].tolist() == [False, True, True, False]
    assert "secondary" in out.loc[2, "value_note"]


def test_two_suppressed_need_no_secondary_and_zero_threshold_is_off() -> None:
    t = _table(
        [
            ("a", "persons", "ethnic_group", "Asian", "proportion", 1, 100, 1.0),
            ("a", "persons", "ethnic_group", "Black", "proportion", 2, 10, 20.0),
            ("a", "persons", "ethnic_group", "White", "proportion", 300, 900, 33.0),
        ]
    )
    assert suppress(t, 5)["is_suppressed"].tolist() == [True, True, False]
    assert not suppress(t, 0)["is_suppressed"].any()
