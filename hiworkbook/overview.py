"""Cross-place overview: each place's key figures, the run's index, a league table and a tartan rug.

Each place report leaves a small machine-readable ``summary.json`` beside it
(:func:`place_summary` → :func:`save_place_summary`, called by the place notebook's last cell when
its ``output_dir`` parameter is set). A batch run reads them back — no HTML is parsed — and writes:

- ``index.html``: a self-contained, sortable and searchable table of every place (status, Core20
  share, the slope index of inequality of the charted indicator, indicators significantly worse
  than the comparator, the Core20 and life-expectancy gaps) linked to each report, then a
  **tartan rug** (places × key measures, each cell coloured by the benchmark grammar with its word
  beside the colour) and a link to the national map;
- ``index.csv``: the same table;
- ``map.html``: every small area of the workbook on one map (:mod:`hiworkbook.national_map`).

In a notebook, the same views come from a list of summaries::

    rows = [hw.overview.place_summary(hw.place_results(hw.load_place(cfg, c))) for c in codes]
    hw.overview.league_table(rows)        # a DataFrame, ranked
    hw.overview.tartan_rug(rows)          # displays as HTML

Signs follow the project's convention: SII = value at the least deprived end minus value at the
most deprived end (PHEindicatormethods); gaps are "most deprived quintile (Core20) minus least
deprived quintile" for the Core20 gap and "least minus most deprived" for life expectancy (years
more lived at the least deprived end). Each cell says in words what its colour means.
"""

from __future__ import annotations

import html as _html
import json
import logging
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from hiworkbook.narrative import HTMLFragment

if TYPE_CHECKING:  # pragma: no cover
    from hiworkbook.results import PlaceResults

__all__ = [
    "SUMMARY_FILE",
    "place_summary",
    "save_place_summary",
    "read_summaries",
    "index_frame",
    "league_table",
    "tartan_rug",
    "render_run_index",
    "write_run_index",
]

log = logging.getLogger(__name__)

SUMMARY_FILE = "summary.json"
SUMMARY_VERSION = 1
LE_INDICATOR = "life_expectancy"
#: Cell words of the tartan rug and what they mean, in the benchmark grammar's order.
GAP_WORDS = {
    "worse": "worse in the most deprived",
    "similar": "no significant gap",
    "better": "better in the most deprived",
    "higher": "higher in the most deprived",
    "lower": "lower in the most deprived",
    "not compared": "not available",
    "suppressed": "suppressed (small numbers)",
}


# ----------------------------------------------------------------------------- one place


def _f(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _pick_sex(sexes: Iterable[str]) -> str | None:
    s = list(dict.fromkeys(sexes))
    if not s:
        return None
    return "persons" if "persons" in s else sorted(s)[-1]


def _direction(
    deprived_minus_least: float, polarity: str | None, significant: bool
) -> str:
    """Benchmark word for a gap "most deprived minus least deprived" (positive = higher in the
    most deprived) given the indicator's polarity."""
    if not significant:
        return "similar"
    if polarity == "low_is_good":
        return "worse" if deprived_minus_least > 0 else "better"
    if polarity == "high_is_good":
        return "worse" if deprived_minus_least < 0 else "better"
    return "higher" if deprived_minus_least > 0 else "lower"


def _quintile_gap(
    results: PlaceResults, indicator_id: str, *, least_minus_most: bool = False
) -> dict[str, Any]:
    """Q1 (Core20) and Q5 values of one indicator, their difference and its benchmark word.

    Significance: the two 95% confidence intervals do not overlap (Fingertips' rule for
    comparing two values each with a CI).
    """
    from hiworkbook.results import QUINTILE_LABELS

    q = results.for_indicator(indicator_id, "imd_quintile")
    ind = results.indicators.get(indicator_id)
    out: dict[str, Any] = {"assessment": "not compared", "gap": None, "sex": None}
    sex = _pick_sex(q["sex"]) if len(q) else None
    if sex is None or ind is None:
        return out
    q = q[q["sex"] == sex]
    most = q[q["category"] == QUINTILE_LABELS[1]]
    least = q[q["category"] == QUINTILE_LABELS[5]]
    out["sex"] = sex
    if not len(most) or not len(least):
        return out
    if bool(most["is_suppressed"].any() or least["is_suppressed"].any()):
        out["assessment"] = "suppressed"
        return out
    v1, v5 = _f(most["value"].iloc[0]), _f(least["value"].iloc[0])
    if v1 is None or v5 is None:
        return out
    l1, u1 = _f(most["lower_ci"].iloc[0]), _f(most["upper_ci"].iloc[0])
    l5, u5 = _f(least["lower_ci"].iloc[0]), _f(least["upper_ci"].iloc[0])
    significant = None not in (l1, u1, l5, u5) and (l1 > u5 or l5 > u1)
    d = v1 - v5
    out.update(
        most=v1,
        least=v5,
        gap=(-d if least_minus_most else d),
        unit=ind.unit,
        assessment=_direction(d, ind.polarity, bool(significant)),
    )
    return out


def place_summary(
    results: PlaceResults,
    *,
    chart_indicator: str | None = None,
    le_indicator: str = LE_INDICATOR,
    le_gap: Any = "auto",
) -> dict[str, Any]:
    """The key figures of one place report, as plain JSON-ready values.

    Parameters
    ----------
    results : PlaceResults
        From :func:`hiworkbook.place_results` (disclosure control already applied: suppressed
        values are never copied here).
    chart_indicator : str, optional
        The indicator whose slope index of inequality the report charts (default as the report
        chooses, :meth:`PlaceResults.pick` with role "gradient").
    le_indicator : str
        Life expectancy indicator id for the life-expectancy gap.
    le_gap : LEGap, "auto" or None
        A :func:`hiworkbook.lifegap.le_gap` decomposition to name the gap's largest contributor
        from; "auto" (default) makes the most vs least deprived quintile one (Arriaga, by cause
        where the workbook has deaths by cause, else by age); None for none.

    Returns
    -------
    dict
        ``place_code``, ``place_name``, ``level``, ``period``, ``comparator``, ``synthetic``,
        ``population``, ``core20_population``, ``core20_share`` (share of residents in England's
        most deprived 20% of small areas), ``n_indicators`` / ``n_worse`` / ``n_better`` /
        ``n_similar`` (indicator × sex rows of the report's table, as the headline counts them),
        ``worse`` (their labels), ``sii_*`` (the charted indicator's SII — least deprived minus
        most deprived end — with CI, unit, sex and benchmark word ``sii_assessment``),
        ``core20_gap_*`` (the charted indicator in Core20 minus the least deprived quintile),
        ``le_gap_*`` (life expectancy, least minus most deprived quintile, years) and
        ``le_gap_largest_contributor`` (the cause, or age group, adding most years to the gap).

    Notes
    -----
    An SII is "worse" when its 95% CI excludes 0 and the fitted line is unfavourable to the most
    deprived end given the indicator's polarity; "higher"/"lower" for indicators without polarity.
    Quintile gaps are significant when the two CIs do not overlap.
    """
    place = results.place
    dep = results.deprivation
    total = float(dep["population"].sum()) if len(dep) else 0.0
    q1 = dep.loc[dep["imd_quintile"] == 1, "population"]
    q1_pop = float(q1.iloc[0]) if len(q1) else 0.0
    summary = results.summary()
    shown = summary[~summary["is_suppressed"].astype(bool)]

    def label(r: pd.Series) -> str:
        return str(r["indicator_name"]) + (
            "" if r["sex"] == "persons" else f" ({r['sex']}s)"
        )

    worse = shown[shown["comparison"] == "worse"]
    out: dict[str, Any] = {
        "summary_version": SUMMARY_VERSION,
        "place_code": place.code,
        "place_name": place.name,
        "level": place.level,
        "period": str(results.period),
        "comparator": results.primary_comparator,
        "synthetic": bool(place.workspace.synthetic) if place.workspace else False,
        "population": int(round(total)),
        "core20_population": int(round(q1_pop)),
        "core20_share": (q1_pop / total) if total else None,
        "n_indicators": int(len(summary)),
        "n_compared": int(
            shown["comparison"].isin(["better", "similar", "worse"]).sum()
        ),
        "n_worse": int(len(worse)),
        "n_better": int((shown["comparison"] == "better").sum()),
        "n_similar": int((shown["comparison"] == "similar").sum()),
        "worse": [label(r) for _, r in worse.iterrows()],
    }
    chart = results.pick(chart_indicator, role="gradient")
    ind = results.indicators.get(chart) if chart else None
    out.update(
        sii_indicator_id=chart,
        sii_indicator_name=ind.name if ind else None,
        sii_unit=ind.unit if ind else None,
        sii_polarity=ind.polarity if ind else None,
        sii=None,
        sii_lower_ci=None,
        sii_upper_ci=None,
        sii_sex=None,
        sii_assessment="not compared",
    )
    if chart and len(results.sii):
        s = results.sii[results.sii["indicator_id"] == chart]
        sex = _pick_sex(s["sex"])
        s = s[s["sex"] == sex]
        if len(s) and _f(s["sii"].iloc[0]) is not None:
            sii = float(s["sii"].iloc[0])
            lo, hi = _f(s["lower_ci"].iloc[0]), _f(s["upper_ci"].iloc[0])
            sig = lo is not None and hi is not None and (lo > 0 or hi < 0)
            out.update(
                sii=sii,
                sii_lower_ci=lo,
                sii_upper_ci=hi,
                sii_sex=sex,
                # SII = least − most deprived, so "most minus least" is −SII
                sii_assessment=_direction(-sii, ind.polarity if ind else None, sig),
            )
    if chart:
        g = _quintile_gap(results, chart)
        out.update(
            core20_gap=g.get("gap"),
            core20_value=g.get("most"),
            least_deprived_value=g.get("least"),
            core20_gap_sex=g.get("sex"),
            core20_gap_assessment=g["assessment"],
        )
    else:
        out.update(
            core20_gap=None,
            core20_value=None,
            least_deprived_value=None,
            core20_gap_sex=None,
            core20_gap_assessment="not compared",
        )
    le = (
        _quintile_gap(results, le_indicator, least_minus_most=True)
        if le_indicator in results.indicators
        else {"assessment": "not compared", "gap": None, "sex": None}
    )
    out.update(
        le_gap_years=le.get("gap"),
        le_gap_sex=le.get("sex"),
        le_gap_assessment=le["assessment"],
        le_gap_largest_contributor=(
            _largest_contributor(_le_decomposition(results, le_gap), le.get("sex"))
            if le.get("sex")
            else None
        ),
    )
    return out


def _le_decomposition(results: PlaceResults, le_gap: Any) -> Any:
    """The life-expectancy gap decomposition to name the largest contributor from: the one
    given, or (``"auto"``) :func:`hiworkbook.lifegap.le_gap` between the place's most and least
    deprived quintiles, or None when it cannot be made."""
    if le_gap is None or le_gap is False:
        return None
    if le_gap != "auto":
        return le_gap
    try:
        from hiworkbook import lifegap

        return lifegap.le_gap(results.place, "quintile", period=results.period)
    except Exception as exc:  # noqa: BLE001 - the summary is written without it
        log.info("no life-expectancy gap decomposition for the summary: %s", exc)
        return None


def _largest_contributor(gap: Any, sex: str | None) -> str | None:
    """ "<cause or age group> (+x.x of y.y years, periods)" for the largest contribution to the
    gap for ``sex`` (by cause when causes were available, else by broad age group)."""
    if gap is None or not sex:
        return None
    try:
        if not gap.ok(sex):
            return None
        row = gap.summary[gap.summary["sex"] == sex].iloc[0]
        parts = gap.by_cause(sex) if bool(row.get("by_cause")) else gap.by_age(sex)
        parts = parts.dropna()
        if parts.empty:
            return None
        name = parts.abs().idxmax()
        periods = list(gap.periods)
        span = periods[0] if len(periods) == 1 else f"{periods[0]}–{periods[-1]}"
        what = "" if bool(row.get("by_cause")) else "ages "
        return (
            f"{what}{name} ({float(parts[name]):+.1f} of {float(row['gap']):.1f} years, "
            f"{sex}s, {span})"
        )
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return None


def save_place_summary(
    results: PlaceResults,
    output_dir: str | Path | None,
    *,
    chart_indicator: str | None = None,
) -> Path | None:
    """Write :func:`place_summary` as ``summary.json`` in ``output_dir`` (atomically).

    Parameters
    ----------
    results : PlaceResults
    output_dir : str or Path or None
        The place's report folder; empty or None writes nothing (a notebook run by hand).
    chart_indicator : str, optional

    Returns
    -------
    Path or None
    """
    if not output_dir:
        return None
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    data = place_summary(results, chart_indicator=chart_indicator)
    path = folder / SUMMARY_FILE
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{SUMMARY_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, allow_nan=False)
        Path(name).chmod(0o644)
        Path(name).replace(path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return path


def read_summaries(
    run_dir: str | Path, outcomes: Sequence[Mapping[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """The ``summary.json`` of each place of a run, by place code.

    Parameters
    ----------
    run_dir : str or Path
    outcomes : sequence of mapping, optional
        The run's places (``place_code`` and ``report``); default every ``*/summary.json``.

    Returns
    -------
    dict
        Unreadable summaries are skipped (logged).
    """
    run_dir = Path(run_dir)
    if outcomes is None:
        files = sorted(run_dir.glob(f"*/{SUMMARY_FILE}"))
    else:
        files = []
        for o in outcomes:
            rep = o.get("report")
            folder = (
                (run_dir / rep).parent if rep else run_dir / str(o.get("place_code"))
            )
            files.append(folder / SUMMARY_FILE)
    out: dict[str, dict[str, Any]] = {}
    for f in files:
        if not f.is_file():
            continue
        try:
            d = json.loads(f.read_text(encoding="utf-8"))
            out[str(d["place_code"])] = d
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable place summary %s (%s)", f, exc)
    return out


# ----------------------------------------------------------------------------- tables


_COLUMNS = {
    "place_code": "place_code",
    "place_name": "place_name",
    "level": "level",
    "status": "status",
    "report": "report",
    "population": "population",
    "core20_share": "core20_share",
    "sii_indicator_name": "sii_indicator",
    "sii_sex": "sii_sex",
    "sii": "sii_least_minus_most_deprived",
    "sii_lower_ci": "sii_lower_ci",
    "sii_upper_ci": "sii_upper_ci",
    "sii_unit": "sii_unit",
    "sii_assessment": "sii_assessment",
    "n_worse": "n_worse_than_comparator",
    "n_compared": "n_compared",
    "comparator": "comparator",
    "core20_gap": "core20_gap_most_minus_least_deprived",
    "core20_gap_assessment": "core20_gap_assessment",
    "le_gap_years": "le_gap_years_least_minus_most_deprived",
    "le_gap_sex": "le_gap_sex",
    "le_gap_assessment": "le_gap_assessment",
    "le_gap_largest_contributor": "le_gap_largest_contributor",
    "error": "error",
}


def index_frame(
    summaries: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]],
    outcomes: Sequence[Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """One row per place: run status (when ``outcomes`` are given) and key figures.

    Parameters
    ----------
    summaries : mapping of code to summary, or sequence of summaries
    outcomes : sequence of mapping, optional
        The run's places (``place_code``, ``place_name``, ``level``, ``status``, ``report``,
        ``error``); places without a summary get empty figures.

    Returns
    -------
    pandas.DataFrame
        Columns named with their meaning and sign (``sii_least_minus_most_deprived``,
        ``core20_gap_most_minus_least_deprived``, ``le_gap_years_least_minus_most_deprived`` …).
    """
    if not isinstance(summaries, Mapping):
        summaries = {str(s["place_code"]): s for s in summaries}
    rows = []
    if outcomes is None:
        outcomes = [
            {
                "place_code": c,
                "place_name": s.get("place_name"),
                "level": s.get("level"),
                "status": "ok",
            }
            for c, s in summaries.items()
        ]
    for o in outcomes:
        code = str(o.get("place_code"))
        s = summaries.get(code, {}) if o.get("status") == "ok" else {}
        row = {**s, **{k: o.get(k) for k in ("place_code", "place_name", "level")}}
        row.update(status=o.get("status"), report=o.get("report"), error=o.get("error"))
        rows.append({new: row.get(old) for old, new in _COLUMNS.items()})
    return pd.DataFrame(rows, columns=list(_COLUMNS.values()))


_RANK_BY = {
    "sii": "sii_least_minus_most_deprived",
    "core20_share": "core20_share",
    "n_worse": "n_worse_than_comparator",
    "core20_gap": "core20_gap_most_minus_least_deprived",
    "le_gap": "le_gap_years_least_minus_most_deprived",
}


def league_table(
    summaries: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]],
    by: str = "le_gap",
    *,
    ascending: bool | None = None,
) -> pd.DataFrame:
    """Places ranked on one key measure (rank 1 = largest inequality, by default).

    Parameters
    ----------
    summaries : mapping or sequence of :func:`place_summary` dicts
    by : {"le_gap", "sii", "core20_gap", "core20_share", "n_worse"}
        The measure. Default ranking puts the widest life-expectancy gap, the largest Core20
        share and the most indicators worse first; for the SII and the Core20 gap the order
        depends on the indicator's polarity, so give ``ascending`` (SII is least minus most
        deprived: for a "low is good" indicator the most negative SII is the widest gap).
    ascending : bool, optional

    Returns
    -------
    pandas.DataFrame
        :func:`index_frame`'s columns with ``rank`` first (ties share the lowest rank; places
        without the measure last, unranked).
    """
    if by not in _RANK_BY:
        raise ValueError(f"by must be one of {sorted(_RANK_BY)}, not {by!r}")
    df = index_frame(summaries)
    col = _RANK_BY[by]
    if ascending is None:
        items = summaries.values() if isinstance(summaries, Mapping) else summaries
        high_good = {s.get("sii_polarity") for s in items} == {"high_is_good"}
        if by == "sii":  # least − most: the widest unfavourable gap first
            ascending = not high_good
        elif by == "core20_gap":  # most − least
            ascending = high_good
        else:
            ascending = False
    vals = pd.to_numeric(df[col], errors="coerce")
    df = df.assign(_v=vals).sort_values("_v", ascending=ascending, na_position="last")
    rank = df["_v"].rank(method="min", ascending=ascending)
    df.insert(0, "rank", rank.astype("Int64"))
    return df.drop(columns="_v").reset_index(drop=True)


# ----------------------------------------------------------------------------- HTML


def _e(x: Any) -> str:
    return "" if x is None else _html.escape(str(x), quote=True)


def _fmt(v: Any, unit: str | None = None, signed: bool = False) -> str:
    x = _f(v)
    if x is None:
        return "—"
    s = f"{x:+,.1f}" if signed else f"{x:,.1f}"
    s = s.replace("-", "−")
    if unit == "%":
        return s + (" pp" if signed else "%")
    if unit == "years":
        return s + " years"
    return s


def _colours() -> dict[str, tuple[str, str]]:
    from hiworkbook.tables import COMPARISON_COLOURS

    c = dict(COMPARISON_COLOURS)
    c.setdefault("not compared", ("#FFFFFF", "#333333"))
    c["suppressed"] = ("#E0E0E0", "#1A1A1A")
    return c


def _cell(value: str, assessment: str, detail: str = "") -> str:
    bg, fg = _colours().get(assessment, _colours()["not compared"])
    word = GAP_WORDS.get(assessment, assessment)
    title = f' title="{_e(detail)}"' if detail else ""
    return (
        f'<td class="hiw-rug-cell hiw-cmp-{_e(assessment.replace(" ", "-"))}" '
        f'style="background:{bg};color:{fg}"{title}>'
        f'<span class="hiw-rug-value">{_e(value)}</span>'
        f'<span class="hiw-rug-word">{_e(word)}</span></td>'
    )


def tartan_rug(
    summaries: Mapping[str, Mapping[str, Any]] | Sequence[Mapping[str, Any]],
    *,
    hrefs: Mapping[str, str] | None = None,
    caption: str = "Inequality within each place on the key measures",
) -> HTMLFragment:
    """A tartan rug: one row per place, one column per key measure, each cell coloured by the
    benchmark grammar (worse / similar / better for the most deprived, or higher / lower where
    an indicator has no polarity; not available; suppressed) with the value and the word.

    Columns: the SII of the charted indicator (least deprived minus most deprived end), the
    Core20 gap of that indicator (most deprived quintile minus least deprived quintile), the
    life-expectancy gap (years, least minus most deprived quintile) and its largest contributor
    where a gap decomposition is available, and the indicators significantly worse than the
    comparator.

    Parameters
    ----------
    summaries : mapping or sequence of :func:`place_summary` dicts
    hrefs : mapping of place code to a relative link, optional
        Each place's report.
    caption : str

    Returns
    -------
    HTMLFragment
    """
    if not isinstance(summaries, Mapping):
        summaries = {str(s["place_code"]): s for s in summaries}
    hrefs = hrefs or {}
    from hiworkbook.report import _safe_href

    names = {
        s.get("sii_indicator_name")
        for s in summaries.values()
        if s.get("sii_indicator_name")
    }
    ind = names.pop() if len(names) == 1 else "the charted indicator"
    rows = []
    for code, s in sorted(
        summaries.items(), key=lambda kv: (kv[1].get("level", ""), kv[0])
    ):
        href = _safe_href(hrefs.get(code))
        name = _e(s.get("place_name") or code)
        place = f'<a href="{href}">{name}</a>' if href else name
        unit = s.get("sii_unit")
        sii_detail = (
            f"SII {_fmt(s.get('sii'), None, True)} (95% CI {_fmt(s.get('sii_lower_ci'))} to "
            f"{_fmt(s.get('sii_upper_ci'))}) {unit or ''}: least deprived minus most deprived end"
            if s.get("sii") is not None
            else ""
        )
        n_worse = s.get("n_worse")
        worse_assess = (
            "not compared"
            if n_worse is None or not s.get("n_compared")
            else ("worse" if n_worse else "similar")
        )
        worse_word = (
            f"{n_worse} of {s.get('n_compared')} worse than {s.get('comparator')}"
            if n_worse is not None and s.get("n_compared")
            else "not available"
        )
        contributor = s.get("le_gap_largest_contributor")
        rows.append(
            "<tr>"
            f'<th scope="row">{place}<span class="hiw-rug-code">{_e(code)}</span></th>'
            + _cell(
                _fmt(s.get("sii"), unit if unit == "%" else None, True),
                s.get("sii_assessment") or "not compared",
                sii_detail,
            )
            + _cell(
                _fmt(s.get("core20_gap"), unit, True),
                s.get("core20_gap_assessment") or "not compared",
            )
            + _cell(
                _fmt(s.get("le_gap_years"), "years", True),
                (
                    {"worse": "worse", "better": "better", "similar": "similar"}.get(
                        s.get("le_gap_assessment") or "", s.get("le_gap_assessment")
                    )
                    or "not compared"
                ),
            )
            + (
                f'<td class="hiw-rug-cell">{_e(contributor)}</td>'
                if contributor
                else '<td class="hiw-rug-cell hiw-cmp-not-compared">not available</td>'
            )
            + f'<td class="hiw-rug-cell" style="background:{_colours()[worse_assess][0]};'
            f'color:{_colours()[worse_assess][1]}">{_e(worse_word)}</td>'
            "</tr>"
        )
    legend = "".join(
        f'<li><span class="hiw-swatch" style="background:{_colours()[k][0]}" '
        f'aria-hidden="true"></span>{_e(GAP_WORDS[k])}</li>'
        for k in (
            "worse",
            "similar",
            "better",
            "higher",
            "lower",
            "not compared",
            "suppressed",
        )
    )
    html = f"""<figure class="hiw-rug">
<table class="hiw-table hiw-rug-table">
<caption>{_e(caption)}</caption>
<thead><tr><th scope="col">Place</th>
<th scope="col">SII of {_e(ind)}<br><span class="hiw-rug-sub">least minus most deprived end</span></th>
<th scope="col">Core20 gap in {_e(ind)}<br><span class="hiw-rug-sub">most minus least deprived quintile</span></th>
<th scope="col">Life expectancy gap<br><span class="hiw-rug-sub">least minus most deprived quintile</span></th>
<th scope="col">Largest contributor to the life expectancy gap</th>
<th scope="col">Indicators significantly worse than the comparator</th></tr></thead>
<tbody>
{"".join(rows)}
</tbody></table>
<figcaption>Each cell says in words what its colour means. Significance: SII 95% confidence
interval excludes zero; quintile gaps: the two 95% confidence intervals do not overlap. "Worse in
the most deprived" means the most deprived areas fare significantly worse than the least deprived,
given whether a high value is good or bad.
<ul class="hiw-legend-list">{legend}</ul></figcaption>
</figure>"""
    return HTMLFragment(html)


_SORT_SCRIPT = r"""
(function () {
  var table = document.getElementById("hiw-places");
  if (!table) return;
  var tbody = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  var status = document.getElementById("hiw-places-status");
  function key(row, i) {
    var c = row.cells[i], v = c.getAttribute("data-sort");
    if (v === null) v = c.textContent.trim();
    var n = parseFloat(v);
    return (v !== "" && !isNaN(n) && isFinite(v)) ? n : v.toLowerCase();
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    var b = th.querySelector("button");
    if (!b) return;
    b.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(tbody.rows);
      rows.sort(function (a, b) {
        var x = key(a, i), y = key(b, i);
        if (x === "" || x === "—") return 1;
        if (y === "" || y === "—") return -1;
        if (typeof x !== typeof y) { x = String(x); y = String(y); }
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function (r) { tbody.appendChild(r); });
      status.textContent = "Sorted by " + b.textContent.trim() + (asc ? ", ascending" : ", descending") + ".";
    });
  });
  var search = document.getElementById("hiw-search");
  search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase(), shown = 0;
    Array.prototype.forEach.call(tbody.rows, function (r) {
      var hit = !q || r.textContent.toLowerCase().indexOf(q) !== -1;
      r.hidden = !hit;
      if (hit) shown++;
    });
    status.textContent = shown + " of " + tbody.rows.length + " places shown.";
  });
})();
"""


def render_run_index(
    frame: pd.DataFrame,
    summaries: Mapping[str, Mapping[str, Any]],
    *,
    title: str,
    synthetic: bool,
    generated: str,
    map_href: str | None = None,
) -> str:
    """The run's ``index.html``: a sortable, searchable table of every place, the tartan rug and
    a link to the national map. Self-contained (a few lines of inline script, no CDN); all text
    escaped; links relative only.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`index_frame` of the run.
    summaries : mapping of code to summary
    title : str
    synthetic : bool
    generated : str
    map_href : str, optional
        Relative link to the national map page.

    Returns
    -------
    str
    """
    from hiworkbook.assets import assert_self_contained
    from hiworkbook.report import (
        SYNTHETIC_TEXT,
        _env,
        _safe_href,
        _version,
        static_css,
    )

    n_ok = int((frame["status"] == "ok").sum())
    rows = []
    for r in frame.itertuples(index=False):
        r = r._asdict()
        ok = r["status"] == "ok"
        href = _safe_href(r["report"]) if ok else None
        share = _f(r["core20_share"])
        sii = _f(r["sii_least_minus_most_deprived"])
        rows.append(
            {
                "code": r["place_code"] or "",
                "name": r["place_name"] or "",
                "level": r["level"] or "",
                "status": r["status"] or "",
                "ok": ok,
                "href": href,
                "pdf": _safe_href(r.get("pdf")) if ok and r.get("pdf") else None,
                "error": r["error"] or "",
                "core20": "—" if share is None else f"{100 * share:.1f}%",
                "core20_sort": "" if share is None else f"{share:.6f}",
                "sii": "—" if sii is None else _fmt(sii, None, True),
                "sii_sort": "" if sii is None else f"{sii:.6f}",
                "sii_ci": (
                    ""
                    if sii is None or _f(r["sii_lower_ci"]) is None
                    else f"95% CI {_fmt(r['sii_lower_ci'])} to {_fmt(r['sii_upper_ci'])}"
                ),
                "sii_word": GAP_WORDS.get(r["sii_assessment"] or "", "")
                if sii is not None
                else "",
                "n_worse": "—"
                if r["n_worse_than_comparator"] is None
                or pd.isna(r["n_worse_than_comparator"])
                else f"{int(r['n_worse_than_comparator'])} of {int(r['n_compared'] or 0)}",
                "n_worse_sort": ""
                if r["n_worse_than_comparator"] is None
                or pd.isna(r["n_worse_than_comparator"])
                else str(int(r["n_worse_than_comparator"])),
            }
        )
    names = {s.get("sii_indicator_name") for s in summaries.values()} - {None}
    sii_name = names.pop() if len(names) == 1 else "the charted indicator"
    hrefs = {
        str(r["place_code"]): r["report"]
        for _, r in frame.iterrows()
        if r["status"] == "ok"
    }
    rug = (
        tartan_rug({c: s for c, s in summaries.items() if c in hrefs}, hrefs=hrefs).html
        if summaries
        else ""
    )
    page = (
        _env()
        .get_template("run_index.html.j2")
        .render(
            entries=rows,
            n_ok=n_ok,
            n_failed=len(rows) - n_ok,
            sii_name=sii_name,
            rug=rug,
            map_href=_safe_href(map_href) if map_href else None,
            script=_SORT_SCRIPT,
            title=title,
            subtitle=f"Generated {generated}",
            synthetic=synthetic,
            synthetic_text=SYNTHETIC_TEXT,
            footer=None,
            generated=None,
            heading_in_body=False,
            css=static_css(),
            version=_version(),
            body="",
        )
    )
    assert_self_contained(page, what="index")
    return page


def write_run_index(
    run_dir: str | Path,
    outcomes: Sequence[Mapping[str, Any]],
    ws: Any,
    *,
    title: str,
    generated: str,
    national_map: bool = True,
) -> Path:
    """Write the run's ``index.html``, ``index.csv`` and (``national_map``) ``map.html``.

    Parameters
    ----------
    run_dir : str or Path
    outcomes : sequence of mapping
        One per place (``dataclasses.asdict(PlaceOutcome)``).
    ws : Workspace
        For the synthetic flag and the national map.
    title, generated : str
    national_map : bool, default True
        Also draw every small area of the workbook on one map (skipped with a log line if it
        cannot be made).

    Returns
    -------
    Path
        ``index.html``.
    """
    from hiworkbook.report import write_html

    run_dir = Path(run_dir)
    summaries = read_summaries(
        run_dir, [o for o in outcomes if o.get("status") == "ok"]
    )
    frame = index_frame(summaries, outcomes)
    frame["pdf"] = [
        Path(r).with_suffix(".pdf").as_posix()
        if s == "ok" and r and (run_dir / r).with_suffix(".pdf").is_file()
        else None
        for r, s in zip(frame["report"], frame["status"], strict=True)
    ]
    map_href = None
    if national_map:
        try:
            from hiworkbook.national_map import national_map_from_workspace

            national_map_from_workspace(ws).save(run_dir / "map.html")
            map_href = "map.html"
        except Exception as exc:  # noqa: BLE001 - the index must still be written
            log.warning("national map not written: %s", exc)
    html = render_run_index(
        frame,
        summaries,
        title=title,
        synthetic=bool(getattr(ws, "synthetic", False)),
        generated=generated,
        map_href=map_href,
    )
    csv_path = run_dir / "index.csv"
    fd, name = tempfile.mkstemp(dir=run_dir, prefix=".index.csv.", suffix=".tmp")
    os.close(fd)
    try:
        frame.to_csv(name, index=False, lineterminator="\n")
        Path(name).chmod(0o644)
        Path(name).replace(csv_path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return write_html(html, run_dir / "index.html")
