"""Lesson 4: the gradient — quintile gap, SII and RII, and what their intervals mean."""

from teaching import IMPORTS, LOAD, PARAMETERS, code, exercise, header, md

LESSON = 4
CELLS = [
    header(LESSON),
    code(IMPORTS),
    code(PARAMETERS, tags=("parameters",)),
    code(LOAD),
    md(
        """
## From two ends to the whole gradient

The simplest measure of inequality compares the two ends: the **most deprived** quintile (Q1) and
the **least deprived** (Q5). Under-75 mortality by national deprivation quintile:
"""
    ),
    code(
        """
mortality = hw.teaching.lessons.quintile_values(results, "mortality_u75")
display(mortality)
display(hw.charts.quintile_chart(results, "mortality_u75"))
"""
    ),
    md(
        """
The **absolute gap** is least deprived minus most deprived — the same direction as the SII
below, so a negative gap means the value is higher in the most deprived areas. The **relative
gap** is least over most.
"""
    ),
    exercise(
        "gradient-gap",
        """
answer = hw.inequality.gap(mortality, "value", "imd_quintile")["absolute_gap"].iloc[0]
""",
    ),
    code('display(hw.teaching.lessons.explain_gap(results, "mortality_u75"))'),
    md(
        """
## The slope index of inequality (SII)

The gap ignores the three middle quintiles and how many people live in each. The **SII** uses
them all. Line the place's population up from the most deprived person (position 0) to the least
deprived (position 1); put each quintile at the middle of its share of the population; fit a
straight line through the quintile values, weighted by population. Then:

> **SII = fitted value at the least deprived end − fitted value at the most deprived end**

This is PHEindicatormethods' convention, and this project shows the SII with its sign everywhere.
A **negative SII** means the value is higher in more deprived areas (bad news for mortality); a
positive SII means it rises towards the least deprived end (bad news for, say, cancer screening).
Always say in words which end minus which. The interval is simulated: each quintile's value is
redrawn many times within its confidence interval and the line refitted.
"""
    ),
    code(
        """
sii = results.sii.set_index(["indicator_id", "sex"])
display(sii[["sii", "lower_ci", "upper_ci", "rii", "rii_lower_ci", "rii_upper_ci", "value_note"]])
display(hw.teaching.lessons.explain_sii(results, "mortality_u75"))
"""
    ),
    exercise(
        "gradient-sii",
        """
answer = results.sii.set_index("indicator_id").loc["hypertension_detection", "sii"]
""",
    ),
    md(
        """
## What the interval means

If the SII's 95% interval **excludes zero**, the data support a gradient: a flat line does not
fit. If it **includes zero**, these data do not show a clear gradient — which is *not* the same as
showing there is no inequality: with small numbers a real gradient can hide in a wide interval.
"""
    ),
    exercise(
        "gradient-significant",
        """
row = results.sii.set_index("indicator_id").loc["cancer_early_stage"]
answer = bool(row["lower_ci"] > 0 or row["upper_ci"] < 0)
""",
    ),
    md(
        """
## The relative index of inequality (RII)

The **RII** divides the SII by the place's average value, so places (or indicators) with
different averages can be compared: an RII of minus one half means the fitted line falls by half
the average from the most to the least deprived end.
"""
    ),
    exercise(
        "gradient-rii",
        """
answer = results.sii.set_index("indicator_id").loc["smi_health_checks", "rii"]
""",
    ),
    code('display(hw.teaching.lessons.explain_sii(results, "smi_health_checks"))'),
    md(
        """
## Take-aways

- Gap: least deprived minus most deprived quintile; simple, but ignores the middle.
- SII: the whole gradient, least deprived end minus most deprived end; keep its sign and say it
  in words.
- RII: the SII relative to the average.
- An interval that includes zero means "no clear gradient in these data", not "no inequality".
"""
    ),
]
