"""Fingertips' comparison of a value's confidence interval with a comparator."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["POLARITIES", "compare"]

Polarity = Literal["high_is_good", "low_is_good", "no_judgement"]
POLARITIES: tuple[str, ...] = ("high_is_good", "low_is_good", "no_judgement")

_WORDS = {
    "no_judgement": ("higher", "lower"),
    "high_is_good": ("better", "worse"),
    "low_is_good": ("worse", "better"),
}


def compare(
    value: float | np.ndarray | pd.Series,
    lower_ci: float | np.ndarray | pd.Series,
    upper_ci: float | np.ndarray | pd.Series,
    comparator: float | np.ndarray | pd.Series,
    polarity: Polarity = "no_judgement",
) -> str | np.ndarray | pd.Series:
    """Compare each value with its comparator as Fingertips does.

    A value is significantly higher than the comparator when its lower
    confidence limit is above the comparator value, significantly lower when its
    upper limit is below it, and similar when the interval contains (or touches)
    it (PHE Technical Guide "Confidence intervals"; Fingertips "compared with
    benchmark" colouring).

    Parameters
    ----------
    value, lower_ci, upper_ci : scalar or array-like
        The value and its confidence limits (at the level to compare at, e.g.
        95% or 99.8%).
    comparator : scalar or array-like
        The benchmark value (e.g. England).
    polarity : {"no_judgement", "high_is_good", "low_is_good"}
        ``"no_judgement"`` gives "higher"/"similar"/"lower"; the others give
        "better"/"similar"/"worse".

    Returns
    -------
    str, numpy.ndarray or pandas.Series
        "higher"/"similar"/"lower" (or "better"/"similar"/"worse"), or
        "not compared" where the value, either limit or the comparator is
        missing. A str for scalar input, a Series (with the index of the first
        Series argument) when any argument is a Series, else an array.
    """
    if polarity not in _WORDS:
        raise ValueError(
            f"polarity must be one of {', '.join(POLARITIES)}, not {polarity!r}"
        )
    args = (value, lower_ci, upper_ci, comparator)
    index = next((a.index for a in args if isinstance(a, pd.Series)), None)
    scalar = all(np.ndim(a) == 0 for a in args)
    v, lo, hi, c = (_as_float(a) for a in args)
    v, lo, hi, c = np.broadcast_arrays(v, lo, hi, c)
    up_word, down_word = _WORDS[polarity]
    missing = np.isnan(v) | np.isnan(lo) | np.isnan(hi) | np.isnan(c)
    out = np.full(v.shape, "similar", dtype=object)
    with np.errstate(invalid="ignore"):
        out[lo > c] = up_word
        out[hi < c] = down_word
    out[missing] = "not compared"
    if scalar:
        return str(out[0])
    if index is not None:
        return pd.Series(out, index=index, name="comparison", dtype=object)
    return out


def _as_float(a: object) -> np.ndarray:
    """A 1-d float array (NaN for missing or non-numeric)."""
    s = pd.Series(np.ravel(np.asarray(a, dtype=object)))
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
