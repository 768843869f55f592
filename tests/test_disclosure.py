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


# --------------------------------------------------------------------- policies and linked sets
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from hiworkbook.disclosure import (  # noqa: E402
    DisclosurePolicy,
    apply,
    linked_sets,
    recoverable,
    round_counts,
)


def _place(rows: list[tuple]) -> pd.DataFrame:
    """rows: (breakdown, category, area_code, numerator) of one proportion indicator."""
    return pd.DataFrame(
        [
            {
                "indicator_id": "a",
                "period": "2024",
                "sex": "persons",
                "breakdown": b,
                "category": c,
                "area_code": code,
                "measure": "proportion",
                "numerator": n,
                "denominator": 1000,
                "value": n / 10,
                "lower_ci": 0.0,
                "upper_ci": 1.0,
                "comparison": "similar",
                "value_note": "",
            }
            for b, c, code, n in rows
        ]
    )


NEST = {"imd_quintile": {"s1": "Q1", "s2": "Q1", "s3": "Q1", "s4": "Q2", "s5": "Q2"}}


def _demo_place(s1: int = 3) -> pd.DataFrame:
    # place 180 = Q1 (3 + 40 + 60) + Q2 (30 + 47); small areas s1..s5
    return _place(
        [
            ("area", "All", "P", 100 + s1 + 77),
            ("imd_quintile", "Q1", "P", 100 + s1),
            ("imd_quintile", "Q2", "P", 77),
            ("small_area", "s1", "s1", s1),
            ("small_area", "s2", "s2", 40),
            ("small_area", "s3", "s3", 60),
            ("small_area", "s4", "s4", 30),
            ("small_area", "s5", "s5", 47),
        ]
    )


def test_a_lone_small_area_in_a_quintile_is_protected() -> None:
    """The old rule linked only quintiles and ethnic groups: s1 (3) was the only suppressed small
    area and Q1 − s2 − s3 gave it back. Now the smallest other small area of Q1 goes too."""
    t = _demo_place()
    out = suppress(t, 5, nesting=NEST)
    assert out.loc[out["is_suppressed"], "category"].tolist() == ["s1", "s2"]
    assert "secondary" in out.loc[4, "value_note"]
    assert recoverable(out, out["is_suppressed"], nesting=NEST) == []
    # the unprotected pattern is caught by the audit
    only_s1 = t["category"] == "s1"
    assert recoverable(t, only_s1, nesting=NEST) == [3]


def test_recoverable_solves_linked_equations() -> None:
    """Two hidden cells in one set are safe alone, but a second set holding one of them with
    shown rows gives both away (10 = a + b + c with c shown; 6 = a + d with d shown)."""
    t = pd.DataFrame({"x": range(6)})
    sets = [[0, 1, 2, 3], [4, 1, 5]]  # T=a+b+c ; Q=a+d
    hidden = np.array([False, True, True, False, False, False])
    assert recoverable(t, hidden, sets) == [1, 2]
    assert recoverable(t, hidden, sets[:1]) == []


def test_secondary_suppression_is_never_recoverable_on_random_places() -> None:
    """Property: whatever the counts, no suppressed count can be worked out by subtraction."""
    rng = np.random.default_rng(11)
    for _ in range(60):
        n_small = int(rng.integers(2, 9))
        quint = rng.integers(1, 4, n_small)
        counts = rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40], n_small)
        eth = rng.choice([0, 2, 3, 7, 25], 3)
        rows = [("area", "All", "P", int(counts.sum()))]
        rows += [
            ("imd_quintile", f"Q{q}", "P", int(counts[quint == q].sum()))
            for q in sorted(set(quint))
        ]
        rows += [("ethnic_group", f"E{i}", "P", int(e)) for i, e in enumerate(eth)]
        rows += [("small_area", f"s{i}", f"s{i}", int(c)) for i, c in enumerate(counts)]
        nest = {"imd_quintile": {f"s{i}": f"Q{q}" for i, q in enumerate(quint)}}
        t = _place(rows)
        out = suppress(t, 5, nesting=nest)
        assert recoverable(out, out["is_suppressed"], nesting=nest) == []
        # every primary cell stays suppressed
        small = t["numerator"].between(1, 4)
        assert out.loc[small, "is_suppressed"].all()


def test_female_plus_male_is_persons() -> None:
    rows = []
    for sex, n in (("persons", 50), ("female", 3), ("male", 47)):
        r = _place([("area", "All", "P", n)])
        rows.append(r.assign(sex=sex))
    t = pd.concat(rows, ignore_index=True)
    assert linked_sets(t) == [[0, 1, 2]]
    out = suppress(t, 5)
    # persons − male would give female away: male (a part, not the total) is hidden too
    assert out["is_suppressed"].tolist() == [False, True, True]


def test_rounding_to_base_5_keeps_values_from_unrounded_counts() -> None:
    t = _place(
        [("area", "All", "P", n) for n in (0, 1, 2, 3, 7, 8, 12, 13, 1002)]
    ).assign(denominator=[1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008])
    t["value"] = t["numerator"] / t["denominator"] * 100
    out = round_counts(t, 5)
    # nearest multiple of 5, halves upwards (worked by hand)
    assert out["numerator"].tolist() == [0, 0, 0, 5, 5, 10, 10, 15, 1000]
    assert out["denominator"].tolist() == [
        1000,
        1000,
        1000,
        1005,
        1005,
        1005,
        1005,
        1005,
        1010,
    ]
    # counts of 5 or more (and zero) keep the value from the unrounded counts; counts of 1-4
    # take it from the rounded counts, so "0 of 1,000" is not printed beside 0.1% (1 event)
    big = ~t["numerator"].between(1, 4)
    assert out.loc[big, "value"].tolist() == t.loc[big, "value"].tolist()
    assert out.loc[~big, "value"].tolist() == pytest.approx([0.0, 0.0, 5 / 1005 * 100])
    assert out["is_rounded"].all()
    assert "unrounded" in out.loc[0, "value_note"]
    assert "computed from the rounded counts" in out.loc[1, "value_note"]
    assert round_counts(t, 10)["numerator"].tolist()[:5] == [0, 0, 0, 0, 10]


def test_published_comparator_values_are_not_rounded() -> None:
    t = _place([("comparator", "England", "E92000001", 1234)]).assign(
        method="published value"
    )
    assert round_counts(t, 5)["numerator"].tolist() == [1234]


def test_suppress_and_round() -> None:
    t = _demo_place()
    out = apply(t, DisclosurePolicy("suppress_and_round"), nesting=NEST)
    assert out["is_suppressed"].sum() == 2
    shown = out.loc[~out["is_suppressed"], "numerator"]
    assert (shown % 5 == 0).all() and out.loc[~out["is_suppressed"], "is_rounded"].all()
    assert out.loc[out["is_suppressed"], "numerator"].isna().all()
    plain = apply(t, DisclosurePolicy("round"), nesting=NEST)
    assert not plain["is_suppressed"].any() and plain["numerator"].tolist()[3] == 5


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ('policy = "surpress"', "Did you mean 'suppress'"),
        ('policy = "round"\nrounding_base = 0', "rounding_base is 0"),
        ("min_count = 2.5", "min_count is 2.5"),
        ("threshold = 5", "unknown key 'threshold'"),
    ],
)
def test_bad_disclosure_config_is_one_clear_problem(
    tmp_path, text: str, expect: str
) -> None:
    from hiworkbook.config import load_config
    from hiworkbook.validate import ProblemLog

    (tmp_path / "b.geojson").write_text("{}")
    (tmp_path / "d.csv").write_text("x")
    cfg = tmp_path / "workbook.toml"
    cfg.write_text(
        '[files]\nboundaries = "b.geojson"\ndeprivation = "d.csv"\nlookup = "d.csv"\n'
        f"[disclosure]\n{text}\n"
    )
    log = ProblemLog()
    load_config(cfg, log)
    msgs = [str(p) for p in log.errors]
    assert len(msgs) == 1 and expect.lower() in msgs[0].lower(), msgs
    assert "→" in msgs[0]  # with a fix


def test_policy_is_read_from_the_config(tmp_path) -> None:
    from hiworkbook.config import load_config

    (tmp_path / "b.geojson").write_text("{}")
    cfg = tmp_path / "workbook.toml"
    cfg.write_text(
        '[files]\nboundaries = "b.geojson"\ndeprivation = "b.geojson"\nlookup = "b.geojson"\n'
        '[disclosure]\npolicy = "suppress_and_round"\nmin_count = 10\nrounding_base = 5\n'
    )
    c = load_config(cfg)
    assert c.disclosure == DisclosurePolicy("suppress_and_round", 10, 5)
    assert c.min_count == 10
    assert (
        "1 to 9" in c.disclosure.describe() and "nearest 5" in c.disclosure.describe()
    )


def test_round_small_counts_take_value_and_ci_from_rounded_counts() -> None:
    """Under rounding, a rate or proportion of 1-4 events is computed from the rounded counts
    (NHS Digital's HES method computes percentages from rounded figures): reference values
    worked from the published formulas."""
    t = pd.DataFrame(
        {
            "breakdown": ["area"] * 3,
            "measure": ["proportion", "rate", "proportion"],
            "numerator": [2, 3, 480],
            "denominator": [1001, 1000, 1000],
            "value": [2 / 1001 * 100, 3 / 1000 * 1e5, 48.0],
            "lower_ci": [0.03, 61.9, 44.9],
            "upper_ci": [0.7, 876.0, 51.1],
            "confidence": 0.95,
            "value_note": "",
        }
    )
    out = round_counts(t, 5, small_below=5)
    # 2 of 1,001 -> 0 of 1,000: Wilson upper limit z^2 / (n + z^2), z = 1.959964
    z2 = 1.959964**2
    assert out.loc[0, "value"] == 0
    assert out.loc[0, "upper_ci"] == pytest.approx(z2 / (1000 + z2) * 100, rel=1e-5)
    # 3 per 1,000 -> 5 per 1,000 (per 100,000): exact Poisson limits for 5 events,
    # chi2(0.025, 10) / 2 = 1.623486 and chi2(0.975, 12) / 2 = 11.668332
    assert out.loc[1, "value"] == pytest.approx(500)
    assert out.loc[1, "lower_ci"] == pytest.approx(162.3486, rel=1e-5)
    assert out.loc[1, "upper_ci"] == pytest.approx(1166.8332, rel=1e-5)
    # 480 of 1,000 is not small: value and CI as computed from the unrounded counts
    assert out.loc[2, ["value", "lower_ci", "upper_ci"]].tolist() == [48.0, 44.9, 51.1]
    # no value beside a rounded denominator points back to 1-4 events
    implied = out["value"] * out["denominator"] / [100, 1e5, 100]
    assert not implied.round(6).between(1, 4).any()
