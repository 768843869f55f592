"""One reading of every number: the SII is stated with the same value and sign everywhere.

The convention (PHEindicatormethods' phe_sii, kept project-wide): SII = value at the least deprived
end minus value at the most deprived end. The formatter is checked against strings worked by hand;
the views are rendered from one demo PlaceResults and every SII they mention is read back.
"""

from __future__ import annotations

import html as htmllib
import re

import pytest

import hiworkbook as hw
from hiworkbook.sii_reading import (
    CONVENTION,
    fmt_signed,
    sii_ci,
    sii_meaning,
    sii_statement,
    sii_value,
)

M = "\u2212"


def test_fmt_signed_by_hand():
    assert fmt_signed(-257.46) == f"{M}257.5"
    assert fmt_signed(1257.5) == "1,257.5"
    assert fmt_signed(-0.04) == "0.0"  # no "−0.0"
    assert fmt_signed(float("nan")) == "—"
    assert fmt_signed(float("inf")) == "—"


def test_statement_matches_the_brief():
    # the project's worked example: SII −257.5 per 100,000 (95% CI −367.3 to −146.6)
    got = sii_statement(-257.5, -367.3, -146.6, "per 100,000")
    assert got == (
        f"SII {M}257.5 per 100,000 (95% CI {M}367.3 to {M}146.6), least deprived minus most "
        "deprived: the modelled value is 257.5 per 100,000 lower at the least deprived end than "
        "at the most deprived end"
    )


def test_percent_sii_is_in_percentage_points_and_positive_reads_higher():
    assert sii_value(13.04, "%") == "13.0 percentage points"
    assert sii_meaning(4.2, "years").startswith(
        "the modelled value is 4.2 years higher at the least deprived end"
    )
    assert sii_ci(1.0, float("nan")) == ""
    assert sii_statement(2.0, None, None, "%", meaning=False) == (
        f"SII 2.0 percentage points, {CONVENTION}"
    )


@pytest.fixture(scope="module")
def res(demo_workspace):
    return hw.place_results(demo_workspace.place("X06000001"), sii_reps=2000)


def _text(s: str) -> str:
    s = re.sub(r"<[^>]+>", " ", s)
    return re.sub(r"\s+", " ", htmllib.unescape(s))


_NUM = r"([\u2212\-]?\d[\d,]*\.\d)"
# "SII −261.9", "slope index of inequality (SII, least deprived minus most deprived) is −261.9"
# (the words of the meaning, "the modelled value is 261.9 lower at …", state its size in words)
_MENTION = re.compile(
    r"(?:\bSII\b|slope index of inequality)(?:(?!modelled)[^0-9\u2212\-]){0,80}?" + _NUM
)
_CI = re.compile(r"CI " + _NUM + " to " + _NUM)


def _norm(s: str) -> float:
    return float(s.replace(M, "-").replace(",", ""))


def _views_text(res, ind: str) -> list[str]:
    out = [
        _text(hw.narrative.headline(res, [ind]).html),
        _text(hw.narrative.gradient_sentence(res, ind).html),
    ]
    for chart in (
        hw.views.inequality_chart(res, ind),
        hw.charts.quintile_chart(res, ind),
    ):
        out += [chart.alt, chart.caption, _chart_title(chart)]
    return out


def _chart_title(chart) -> str:
    """A chart's title: an SVG drawing's title lines (wrapped at spaces) joined, or the
    matplotlib figure's left title."""
    if chart.drawing is not None:
        return " ".join(m.text for m in chart.drawing.find("title"))
    return chart.figure.axes[0].get_title(loc="left")


def test_every_view_states_the_same_signed_sii(res):
    s = res.sii[(res.sii["sex"] == "persons")].dropna(
        subset=["sii", "lower_ci", "upper_ci"]
    )
    checked = 0
    for _, row in s.head(3).iterrows():
        ind = row["indicator_id"]
        want = round(float(row["sii"]), 1)
        lo, hi = round(float(row["lower_ci"]), 1), round(float(row["upper_ci"]), 1)
        n_mentions = 0
        for text in _views_text(res, ind):
            flat = text.replace("\n", " ")
            mentions = _MENTION.findall(flat)
            n_mentions += len(mentions)
            if not mentions:
                continue
            for m in mentions:
                assert _norm(m) == pytest.approx(want, abs=0.051), (ind, m, flat)
            for a, b in _CI.findall(flat):
                if "SII" in flat or "slope index" in flat:
                    assert (_norm(a), _norm(b)) == pytest.approx((lo, hi), abs=0.051)
            assert CONVENTION in flat
            assert "modelled gap from the most" not in flat
            assert "negative means" not in flat
            checked += 1
        # headline, gradient sentence, and the title and caption of each chart
        assert n_mentions >= 6, ind
    assert checked >= 6


def test_key_number_cards_match_the_result_table(res):
    cards = {c["key"]: c for c in hw.narrative.key_numbers(res)}
    dep = res.deprivation
    total = float(dep["population"].sum())
    q1 = float(dep.loc[dep["imd_quintile"] == 1, "population"].sum())
    assert cards["residents"]["value"] == f"{total:,.0f}"
    assert cards["core20"]["value"] == f"{100 * q1 / total:.0f}%"
    summ = res.summary()
    n_worse = int((summ["comparison"] == "worse").sum())
    n_comp = int((summ["comparison"] != "not compared").sum())
    assert cards["worse"]["value"] == f"{n_worse} of {n_comp}"
    first = res.sii.dropna(subset=["sii", "lower_ci", "upper_ci"]).iloc[0]
    assert _norm(_NUM_RE.match(cards["gap"]["value"]).group(1)) == pytest.approx(
        round(float(first["sii"]), 1), abs=0.051
    )
    assert CONVENTION in cards["gap"]["label"]
    html = hw.narrative.headline(res).html
    assert html.index("hiw-cards") < html.index("residents.")  # cards before the prose


_NUM_RE = re.compile(_NUM)


def test_no_headline_sentence_lists_more_than_three_indicators(res):
    text = _text(hw.narrative.headline(res).html)
    names = [i.name.lower() for i in res.indicators.values()]
    for sentence in re.split(r"(?<=\.)\s", text):
        assert sum(n in sentence.lower() for n in names) <= 3, sentence
