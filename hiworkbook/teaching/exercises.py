"""Self-checking exercises: ``check(exercise_id, answer, results)`` says right or not yet.

Each exercise's expected answer is computed at check time from the data by package code (never a
stored literal), and compared with the learner's answer within a stated tolerance. A wrong answer
gets a hint — chosen by what the answer looks like (a proportion instead of a percentage, the sign
flipped, close but rounded differently) — and never the answer itself. A stub (``answer = ...``)
is "not yet", with a hint, so learner notebooks run top to bottom before anything is answered.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hiworkbook.teaching import lessons

if TYPE_CHECKING:  # pragma: no cover
    from hiworkbook.results import PlaceResults
    from hiworkbook.workspace import Place

__all__ = ["EXERCISES", "CheckResult", "Exercise", "check", "expected_answer"]


@dataclass(frozen=True)
class Exercise:
    """One self-checking exercise.

    Attributes
    ----------
    id : str
    lesson : int
    question : str
        The question as the notebook asks it (plain text).
    kind : {"number", "interval", "integer", "choice", "set", "bool", "headline", "workbook"}
    expected : callable
        ``expected(results) -> answer`` computed from the data (for ``"workbook"`` exercises,
        ``expected(folder) -> list of problems still there``).
    tolerance : float
        Absolute tolerance for numbers (each limit for intervals).
    tolerance_text : str
        The tolerance in words, shown with a right answer.
    hint : str
        The general hint given when the answer is wrong.
    """

    id: str
    lesson: int
    question: str
    kind: str
    expected: Callable[[Any], Any]
    hint: str
    tolerance: float = 0.0
    tolerance_text: str = "exact"
    hints: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    """What :func:`check` found: ``correct`` and a message (a hint when not correct).

    Truthy when correct. Displays as a coloured box in Jupyter (and in an HTML export); its
    plain-text form starts with "Right" or "Not yet", which is what tests read under Papermill.
    """

    exercise_id: str
    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        head = "✔ Right" if self.correct else "✘ Not yet"
        return f"{head} ({self.exercise_id}): {self.message}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        colour, bg, head = (
            ("#1a7f37", "#eef9f0", "✔ Right")
            if self.correct
            else ("#b35900", "#fff6e5", "✘ Not yet")
        )
        return (
            f'<div class="hiw-check" role="status" data-exercise="{html.escape(self.exercise_id)}" '
            f'data-correct="{str(self.correct).lower()}" style="border-left:5px solid {colour};'
            f'background:{bg};padding:8px 12px;margin:4px 0;font-family:system-ui,sans-serif">'
            f"<b>{head}</b> <span style='color:#555'>({html.escape(self.exercise_id)})</span>"
            f"<br>{html.escape(self.message)}</div>"
        )


# ---------------------------------------------------------------------- expected answers
def _summary_row(results: PlaceResults, indicator_id: str) -> pd.Series:
    s = results.summary()
    return s[s["indicator_id"] == indicator_id].iloc[0]


def _sii_row(results: PlaceResults, indicator_id: str) -> pd.Series:
    s = results.sii
    return s[s["indicator_id"] == indicator_id].iloc[0]


def _decile1_areas(results: PlaceResults) -> int:
    return int((results.place.areas["imd_decile"] == 1).sum())


def _top_core20(results: PlaceResults) -> str:
    t = lessons.core20_by_place(results.place.workspace)
    return str(t.loc[t["core20_pct"].idxmax(), "place_code"])


def _vintage(_: Any) -> int:
    from hiworkbook.io import detect_lsoa_vintage

    return int(detect_lsoa_vintage(["E01033769"]).vintage)


def _wilson(results: PlaceResults) -> tuple[float, float]:
    r = _summary_row(results, "smi_health_checks")
    from hiworkbook import stats

    df = pd.DataFrame({"x": [r["numerator"]], "n": [r["denominator"]]})
    out = stats.proportion(df, "x", "n", multiplier=100).iloc[0]
    return float(out["lower_ci"]), float(out["upper_ci"])


def _q1_infant_method(results: PlaceResults) -> str:
    place = results.place
    ws = place.workspace
    col = ws.area_col
    q1 = place.areas.loc[place.areas["imd_quintile"] == 1, col]
    c = ws.counts
    c = c[
        (c["indicator_id"] == "infant_mortality")
        & (c["period"].astype(str) == results.period)
        & c[col].isin(q1)
        & (c["ethnic_group"].astype(str) == "all")
    ]
    return "exact" if float(pd.to_numeric(c["numerator"]).sum()) < 10 else "byar"


def _suppressed(results: PlaceResults) -> int:
    v = lessons.small_area_values(results, "smoking_at_delivery")
    return int(v["is_suppressed"].sum())


def _crude(results: PlaceResults) -> float:
    t = lessons.crude_vs_standardised(
        results.place.workspace, "mortality_u75", results.period
    )
    return float(t.set_index("place_code").loc[results.place.code, "crude_rate"])


def _dsr(results: PlaceResults) -> float:
    return float(_summary_row(results, "mortality_u75")["value"])


def _oldest(results: PlaceResults) -> str:
    a = lessons.age_structure(results.place.workspace, results.period)
    return str(a.loc[a["pct_65_plus"].idxmax(), "place_code"])


def _dsr_not_calculated(results: PlaceResults) -> int:
    v = lessons.small_area_values(results, "mortality_u75")
    note = v["value_note"].fillna("").astype(str)
    return int(
        (v["value"].isna() & ~v["is_suppressed"] & note.str.contains("less than")).sum()
    )


def _gap(results: PlaceResults) -> float:
    from hiworkbook import inequality

    q = lessons.quintile_values(results, "mortality_u75")
    return float(inequality.gap(q, "value", "imd_quintile")["absolute_gap"].iloc[0])


def _sii_hyp(results: PlaceResults) -> float:
    return float(_sii_row(results, "hypertension_detection")["sii"])


def _sii_cancer_sig(results: PlaceResults) -> bool:
    r = _sii_row(results, "cancer_early_stage")
    return bool(r["lower_ci"] > 0 or r["upper_ci"] < 0)


def _rii(results: PlaceResults) -> float:
    return float(_sii_row(results, "smi_health_checks")["rii"])


def _equal_top(results: PlaceResults) -> int:
    t = lessons.class_comparison(results, "hypertension_detection")
    return int(t[t["scheme"] == "equal_interval"]["small_areas"].iloc[-1])


def _stay(results: PlaceResults) -> int:
    t = lessons.instability(results.place, "smoking_at_delivery", ("2023", "2024"))
    return int((t["top_2023"] & t["top_2024"]).sum())


def _n_worse(results: PlaceResults) -> int:
    v = lessons.small_area_values(results, "hypertension_detection")
    return int((v["comparison"] == "worse").sum())


def _worse_set(results: PlaceResults) -> set[str]:
    s = results.summary()
    return set(s.loc[s["comparison"] == "worse", "indicator_id"])


def _wording(results: PlaceResults) -> str:
    return str(_summary_row(results, "cancer_early_stage")["comparison"])


def _honest(results: PlaceResults) -> str:
    st = lessons.statements(results, "cancer_early_stage")
    from hiworkbook.narrative import indicator_sentence

    honest = indicator_sentence(_summary_row(results, "cancer_early_stage"))
    return next(k for k, v in st.items() if v == honest)


EXERCISES: dict[str, Exercise] = {}


def _add(ex: Exercise) -> None:
    EXERCISES[ex.id] = ex


_ONE_DP = (0.05 + 1e-9, "within 0.05 (to one decimal place)")
_ADD = [
    Exercise(
        "imd-decile1",
        1,
        "How many of the place's neighbourhoods are in national IMD decile 1?",
        "integer",
        _decile1_areas,
        "Count the rows of place.areas whose imd_decile is 1 (decile 1 = most deprived 10% "
        "in England).",
    ),
    Exercise(
        "imd-core20",
        1,
        "What percentage of the place's residents are in its Core20 population?",
        "number",
        lambda r: lessons.core20_share(r.place),
        "Core20 = national quintile 1 (deciles 1 and 2). Add up the population of those "
        "neighbourhoods and divide by the place's total population, then multiply by 100.",
        *_ONE_DP,
        hints={"areas": "Weight by population: count people, not neighbourhoods."},
    ),
    Exercise(
        "imd-top-core20",
        1,
        "Which LTLA of the demo region (its code) has the largest Core20 share?",
        "choice",
        _top_core20,
        "Use hw.teaching.lessons.core20_by_place(place.workspace) and find the largest "
        "core20_pct; answer with the place_code as a string.",
    ),
    Exercise(
        "imd-vintage",
        1,
        "Which LSOA vintage (2011 or 2021) does the code E01033769 belong to?",
        "integer",
        _vintage,
        "Ask hw.io.detect_lsoa_vintage([...]) — it knows ONS's complete lists of both sets.",
    ),
    Exercise(
        "rates-proportion",
        2,
        "What is the place's hypertension detection, as a percentage?",
        "number",
        lambda r: float(_summary_row(r, "hypertension_detection")["value"]),
        "Use hw.stats.proportion on the place's numerator and denominator with "
        "multiplier=100.",
        *_ONE_DP,
    ),
    Exercise(
        "rates-wilson",
        2,
        "What are the Wilson 95% limits (lower, upper) of the place's SMI health checks %?",
        "interval",
        _wilson,
        "Give a tuple (lower, upper) in percent: hw.stats.proportion(..., multiplier=100) "
        "returns lower_ci and upper_ci.",
        *_ONE_DP,
    ),
    Exercise(
        "rates-poisson-method",
        2,
        "Which interval does PHE use for the infant deaths in the most deprived quintile: "
        "'exact' or 'byar'?",
        "choice",
        _q1_infant_method,
        "PHE uses exact Poisson limits below a count of 10 and Byar's from 10. Look at the "
        "numerator of the Q1 row of the quintile table.",
    ),
    Exercise(
        "rates-suppressed",
        2,
        "How many neighbourhood values of smoking at delivery are suppressed?",
        "integer",
        _suppressed,
        "Count the rows with is_suppressed == True in the small-area table of "
        "smoking_at_delivery.",
    ),
    Exercise(
        "dsr-crude",
        3,
        "What is the place's crude under-75 mortality rate per 100,000?",
        "number",
        _crude,
        "Sum the under-75 deaths and the under-75 population over all age bands, then "
        "hw.stats.rate(..., multiplier=100000).",
        *_ONE_DP,
        hints={
            "dsr": "That is the standardised rate: the crude rate uses no standard weights."
        },
    ),
    Exercise(
        "dsr-value",
        3,
        "What is the place's under-75 mortality DSR per 100,000 (ESP 2013)?",
        "number",
        _dsr,
        "Use hw.stats.dsr on deaths and population by age band, with the ESP 2013 weights of "
        "the under-75 bands.",
        *_ONE_DP,
        hints={
            "dsr": "That is the crude rate: weight each band's rate by the standard."
        },
    ),
    Exercise(
        "dsr-oldest",
        3,
        "Which LTLA (its code) has the largest share of residents aged 65 and over?",
        "choice",
        _oldest,
        "Use hw.teaching.lessons.age_structure(place.workspace) and find the largest "
        "pct_65_plus.",
    ),
    Exercise(
        "dsr-too-few",
        3,
        "In how many of the place's neighbourhoods is no under-75 mortality DSR calculated "
        "because there are too few deaths?",
        "integer",
        _dsr_not_calculated,
        "PHE does not calculate a DSR from fewer than 10 events: count the small-area rows "
        "with no value whose value_note says so (suppressed rows are a different reason).",
    ),
    Exercise(
        "gradient-gap",
        4,
        "What is the absolute gap in under-75 mortality, least deprived minus most deprived "
        "quintile, per 100,000?",
        "number",
        _gap,
        "Use hw.inequality.gap on the quintile table: absolute_gap = least deprived minus "
        "most deprived.",
        *_ONE_DP,
    ),
    Exercise(
        "gradient-sii",
        4,
        "What is the SII of hypertension detection, in percentage points?",
        "number",
        _sii_hyp,
        "Read results.sii for hypertension_detection. Keep the sign: SII = least deprived "
        "end minus most deprived end.",
        *_ONE_DP,
    ),
    Exercise(
        "gradient-significant",
        4,
        "Does the 95% interval of the SII of cancers diagnosed early exclude zero? "
        "(True or False)",
        "bool",
        _sii_cancer_sig,
        "An interval excludes zero when both limits have the same sign.",
    ),
    Exercise(
        "gradient-rii",
        4,
        "What is the RII of SMI physical health checks?",
        "number",
        _rii,
        "Read the rii column of results.sii: the SII divided by the place's average.",
        0.005 + 1e-9,
        "within 0.005",
    ),
    Exercise(
        "maps-equal-top",
        5,
        "With five equal-interval classes, how many neighbourhoods are in the top class of "
        "hypertension detection?",
        "integer",
        _equal_top,
        "hw.teaching.lessons.class_comparison(results, 'hypertension_detection') lists both schemes; "
        "or call hw.maps.classify(values, 5, 'equal_interval').",
    ),
    Exercise(
        "maps-stay",
        5,
        "Of the neighbourhoods in the highest fifth for smoking at delivery in 2023, how many "
        "are still in the highest fifth in 2024?",
        "integer",
        _stay,
        "Use hw.teaching.lessons.instability(place) and count rows where top_2023 and "
        "top_2024 are both True.",
    ),
    Exercise(
        "maps-worse",
        5,
        "How many neighbourhoods are significantly worse than the place on hypertension "
        "detection?",
        "integer",
        _n_worse,
        "Count the small-area rows whose comparison is 'worse' (they are compared with the "
        "place's own value).",
    ),
    Exercise(
        "narrative-worse",
        6,
        "Which indicators (a set of ids) are significantly worse than England?",
        "set",
        _worse_set,
        "Read the comparison column of results.summary(): the ids whose comparison is "
        "'worse'. Give a set such as {'a', 'b'}.",
    ),
    Exercise(
        "narrative-wording",
        6,
        "Which Fingertips comparison word describes cancers diagnosed early against England?",
        "choice",
        _wording,
        "One of 'better', 'similar', 'worse': does the 95% interval include England's value?",
    ),
    Exercise(
        "narrative-honest",
        6,
        "Which of statements A, B and C can go to the board as it is?",
        "choice",
        _honest,
        "Reject a statement that claims a cause, or whose comparison word disagrees with "
        "the interval.",
    ),
    Exercise(
        "narrative-headline",
        6,
        "Write a one-sentence headline on under-75 mortality that passes the headline check.",
        "headline",
        lambda r: r,
        "Quote the value as the results give it, use Fingertips' wording, and claim no "
        "cause.",
    ),
]
for _ex in _ADD:
    _add(_ex)


def _register_broken() -> None:
    from hiworkbook.teaching import broken

    for pid, problem in broken.PROBLEMS.items():
        _add(
            Exercise(
                f"broken-{pid}",
                7,
                problem.question,
                "workbook",
                problem.remaining,
                problem.hint,
            )
        )
    _add(
        Exercise(
            "broken-all",
            7,
            "Does the whole workbook now validate, with the same numbers as the clean demo?",
            "workbook",
            broken.remaining_problems,
            "Run hw.teaching.validate_workbook(folder) and fix each problem it lists.",
        )
    )


_register_broken()


# ---------------------------------------------------------------------- checking
def expected_answer(exercise_id: str, results: Any = None) -> Any:
    """The expected answer of an exercise, computed now from the data (for tests and trainers).

    Parameters
    ----------
    exercise_id : str
    results : PlaceResults, Place or None
        The results the notebook computed; None = the demo's default place.
    """
    ex = _exercise(exercise_id)
    return ex.expected(_results(results))


def _exercise(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        from hiworkbook.validate import did_you_mean

        raise KeyError(
            f"No exercise '{exercise_id}'{did_you_mean(exercise_id, EXERCISES)}."
        )
    return EXERCISES[exercise_id]


_RESULTS_CACHE: dict[tuple, Any] = {}


def _results(results: Any) -> PlaceResults:
    """PlaceResults from PlaceResults, a Place (computed once per place) or None (the demo)."""
    from hiworkbook.results import PlaceResults, place_results

    if isinstance(results, PlaceResults):
        return results
    if results is None:
        from hiworkbook.teaching.course import DEFAULT_PLACE
        from hiworkbook.workspace import load_place

        results = load_place("", DEFAULT_PLACE)
    place: Place = results
    key = (str(place.workspace.config.path), place.code, place.period)
    if key not in _RESULTS_CACHE:
        _RESULTS_CACHE[key] = place_results(place, seed=1)
    return _RESULTS_CACHE[key]


def _is_stub(answer: Any) -> bool:
    return answer is ... or answer is None


def _as_float(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    try:
        f = float(str(x).replace(",", "").replace("%", "").replace("−", "-").strip())
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _number_hint(ans: float, exp: float, ex: Exercise, results: PlaceResults) -> str:
    tol = max(ex.tolerance, 1e-9)
    if exp != 0 and abs(ans + exp) <= tol:
        return "The size is right but the sign is not: check which end is subtracted from which."
    if abs(ans * 100 - exp) <= tol:
        return "That looks like a proportion between 0 and 1: give it as a percentage."
    if abs(ans / 100 - exp) <= tol and exp != 0:
        return "That looks 100 times too big: check the multiplier."
    if ex.id == "imd-core20":
        areas = 100 * float((results.place.areas["imd_quintile"] == 1).mean())
        if abs(ans - areas) <= tol:
            return ex.hints["areas"]
    if ex.id in ("dsr-crude", "dsr-value"):
        other = _dsr(results) if ex.id == "dsr-crude" else _crude(results)
        if abs(ans - other) <= tol:
            return ex.hints["dsr"]
    if exp != 0 and abs(ans - exp) <= 0.02 * abs(exp):
        return (
            "Close, but not within the tolerance: check the rounding and which rows you included. "
            + ex.hint
        )
    return ex.hint


def _judge(ex: Exercise, answer: Any, results: Any) -> tuple[bool, str]:
    if ex.kind == "workbook":
        folder = Path(answer) if isinstance(answer, str | Path) else None
        if folder is None or not folder.is_dir():
            return (
                False,
                "Answer with the folder of the broken workbook (a path). " + ex.hint,
            )
        left = ex.expected(folder)
        if not left:
            return True, "Fixed: the validation no longer reports this problem."
        return False, left[0] + " " + ex.hint
    r = _results(results)
    if ex.kind == "headline":
        if not isinstance(answer, str):
            return False, "Write the headline as text in quotes. " + ex.hint
        review = lessons.check_headline(answer, r, "mortality_u75")
        if not review.ok:
            return False, review.problems[0]
        facts = lessons.headline_facts(r, "mortality_u75")
        if not lessons._matches_any_value(answer, facts["value"]):
            return (
                False,
                "Quote the place's under-75 mortality rate (as the results round it).",
            )
        return True, "The headline's numbers and words agree with the results."
    exp = ex.expected(r)
    if ex.kind in ("number", "integer"):
        if (
            ex.kind == "integer"
            and isinstance(answer, float)
            and not answer.is_integer()
        ):
            return False, "Give a whole number. " + ex.hint
        ans = _as_float(answer)
        if ans is None:
            return False, "Give a number. " + ex.hint
        if abs(ans - float(exp)) <= ex.tolerance + 1e-9:
            tol = "" if ex.kind == "integer" else f" (accepted {ex.tolerance_text})"
            return True, f"Well done{tol}."
        return False, _number_hint(ans, float(exp), ex, r)
    if ex.kind == "interval":
        if not isinstance(answer, list | tuple) or len(answer) != 2:
            return False, "Give two numbers in brackets: (lower, upper). " + ex.hint
        a = [_as_float(x) for x in answer]
        if None in a:
            return False, "Both limits must be numbers. " + ex.hint
        lo, hi = a
        if lo > hi:
            return False, "The lower limit comes first."
        if abs(lo - exp[0]) <= ex.tolerance and abs(hi - exp[1]) <= ex.tolerance:
            return True, f"Well done (each limit accepted {ex.tolerance_text})."
        if abs(lo * 100 - exp[0]) <= ex.tolerance:
            return (
                False,
                "Those look like proportions between 0 and 1: give percentages.",
            )
        return False, ex.hint
    if ex.kind == "bool":
        if not isinstance(answer, bool | np.bool_):
            return False, "Answer True or False (no quotes). " + ex.hint
        ok = bool(answer) == bool(exp)
        return ok, ("Well done." if ok else ex.hint)
    if ex.kind == "choice":
        norm = str(answer).strip().strip("'\"").lower().replace("’", "'")
        ok = norm == str(exp).lower() or (
            ex.id == "rates-poisson-method" and norm.startswith(str(exp)[:4])
        )
        return ok, ("Well done." if ok else ex.hint)
    if ex.kind == "set":
        if isinstance(answer, str) or not hasattr(answer, "__iter__"):
            return (
                False,
                "Give a set of indicator ids, such as {'id_one', 'id_two'}. " + ex.hint,
            )
        got = {str(x) for x in answer}
        if got == exp:
            return True, "Well done."
        if got < exp:
            return False, "Some are missing. " + ex.hint
        if got > exp:
            return (
                False,
                "Too many: some of those are not significantly worse. " + ex.hint,
            )
        return False, ex.hint
    raise ValueError(f"unknown exercise kind {ex.kind!r}")  # pragma: no cover


def check(exercise_id: str, answer: Any, results: Any = None) -> CheckResult:
    """Check a learner's answer to an exercise.

    Parameters
    ----------
    exercise_id : str
        The exercise (:data:`EXERCISES`), as the notebook names it.
    answer : any
        The learner's answer. ``...`` (the stub) is "not yet".
    results : PlaceResults, Place or None
        What the notebook computed for its place; the expected answer is computed from it by
        package code at check time. None = the synthetic demo's default place. For lesson 7
        the answer is the workbook folder and this is not used.

    Returns
    -------
    CheckResult
        Truthy when right; displays a "Right" or "Not yet" box with a hint, never the answer.
    """
    ex = _exercise(exercise_id)
    if _is_stub(answer):
        return CheckResult(
            exercise_id,
            False,
            "Replace the ... with your answer, run that cell, then run this one. Hint: "
            + ex.hint,
        )
    correct, message = _judge(ex, answer, results)
    return CheckResult(exercise_id, bool(correct), message)
