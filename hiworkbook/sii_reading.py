"""One reading of the slope index of inequality (SII), the same in every view and sentence.

The project keeps PHEindicatormethods' sign convention (``phe_sii``; Low & Low 2004): the SII is
the value of the fitted line at the **least deprived** end minus its value at the **most
deprived** end, so a negative SII means the value is higher in more deprived areas. Every chart
title, caption, sentence, card and table that shows an SII takes its words from here, so it shows
the same signed number with the same CI and says in words which end minus which — never the
absolute value with its sign dropped (tests/test_sii_reading.py checks a whole report).

Example: ``sii_statement(-257.5, -367.3, -146.6, "per 100,000")`` →
"SII −257.5 per 100,000 (95% CI −367.3 to −146.6), least deprived minus most deprived: the
modelled value is 257.5 lower at the least deprived end than at the most deprived end".
"""

from __future__ import annotations

import math

__all__ = [
    "CONVENTION",
    "MINUS",
    "fmt_signed",
    "sii_ci",
    "sii_meaning",
    "sii_statement",
    "sii_value",
]

#: The words that say which end minus which, used wherever an SII is shown.
CONVENTION = "least deprived minus most deprived"
#: The minus sign used in text (U+2212, read as "minus" by screen readers).
MINUS = "\u2212"


def _finite(v: float | None) -> bool:
    return (
        v is not None
        and not (isinstance(v, float) and math.isnan(v))
        and math.isfinite(v)
    )


def fmt_signed(value: float | None, decimals: int = 1) -> str:
    """A signed number with thousands separators and a true minus sign: ``"−1,257.5"``, ``"13.0"``.

    Parameters
    ----------
    value : float or None
    decimals : int

    Returns
    -------
    str
        ``"—"`` when the value is missing or infinite.
    """
    if not _finite(value):
        return "—"
    v = round(float(value), decimals)
    if v == 0:
        v = 0.0  # no "−0.0"
    s = f"{abs(v):,.{decimals}f}"
    return f"{MINUS}{s}" if v < 0 else s


def _unit_words(unit: str | None) -> str:
    """The unit of an SII: a gap in percentages is in percentage points."""
    if not unit:
        return ""
    if unit == "%":
        return " percentage points"
    return f" {unit}"


def sii_value(sii: float, unit: str | None = None) -> str:
    """The signed SII with its unit: ``"−261.9 per 100,000"``, ``"13.0 percentage points"``."""
    return f"{fmt_signed(sii)}{_unit_words(unit)}"


def sii_ci(lower: float | None, upper: float | None, confidence: str = "95%") -> str:
    """``"95% CI −401.9 to −86.5"``, or ``""`` when either bound is missing."""
    if not (_finite(lower) and _finite(upper)):
        return ""
    return f"{confidence} CI {fmt_signed(lower)} to {fmt_signed(upper)}"


def sii_meaning(sii: float, unit: str | None = None, noun: str = "value") -> str:
    """What the signed SII means, in words: "the modelled value is 261.9 per 100,000 lower at the
    least deprived end than at the most deprived end".

    Parameters
    ----------
    sii : float
        Least deprived minus most deprived (PHEindicatormethods' ``phe_sii``).
    unit : str, optional
    noun : str
        What is modelled ("value", "rate", "percentage").
    """
    if not _finite(sii):
        return ""
    if round(float(sii), 1) == 0:
        return (
            f"the modelled {noun} is the same at the least and the most deprived ends"
        )
    size = f"{abs(float(sii)):,.1f}{_unit_words(unit)}"
    more = "higher" if sii > 0 else "lower"
    return (
        f"the modelled {noun} is {size} {more} at the least deprived end than at the most "
        "deprived end"
    )


def sii_statement(
    sii: float,
    lower: float | None = None,
    upper: float | None = None,
    unit: str | None = None,
    *,
    meaning: bool = True,
    noun: str = "value",
    confidence: str = "95%",
) -> str:
    """The SII as every view states it (plain text; escape before putting it in HTML).

    "SII −261.9 per 100,000 (95% CI −401.9 to −86.5), least deprived minus most deprived: the
    modelled value is 261.9 per 100,000 lower at the least deprived end than at the most deprived
    end".

    Parameters
    ----------
    sii, lower, upper : float
        The SII and its confidence limits (least deprived minus most deprived).
    unit : str, optional
        The indicator's unit ("per 100,000", "%", "years").
    meaning : bool
        Add the sentence saying what the sign means.
    noun : str
        What is modelled, for the meaning.
    confidence : str
        The interval's level, e.g. "95%".
    """
    ci = sii_ci(lower, upper, confidence)
    out = f"SII {sii_value(sii, unit)}{f' ({ci})' if ci else ''}, {CONVENTION}"
    if meaning and _finite(sii):
        out += f": {sii_meaning(sii, unit, noun)}"
    return out
