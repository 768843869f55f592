"""Lesson 2: counts, rates and confidence intervals; small numbers; suppression."""

from teaching import IMPORTS, LOAD, PARAMETERS, code, exercise, header, md

LESSON = 2
CELLS = [
    header(LESSON),
    code(IMPORTS),
    code(PARAMETERS, tags=("parameters",)),
    code(LOAD),
    md(
        """
## Counts, proportions and rates

- A **count** is a number of people or events (deaths, admissions, people on a register).
- A **proportion** is a count out of the people it could have happened to: people with diagnosed
  hypertension out of those expected to have it, shown as a percentage.
- A **rate** is events per population over a period: infant deaths per 1,000 live births,
  admissions per 100,000 residents.

Every value comes from a finite number of people, so it carries chance variation. A **95%
confidence interval** is the range of values consistent with the data: narrow when numbers are
large, wide when they are small. Here is every indicator for the place:
"""
    ),
    code(
        """
summary = results.summary()
display(summary[["indicator_id", "numerator", "denominator", "value", "lower_ci", "upper_ci", "unit"]])
"""
    ),
    md(
        """
### Proportions: the Wilson score interval

The textbook interval (value ± 1.96 standard errors) goes wrong near 0% and 100% and with small
denominators: it can even go below zero. PHE uses the **Wilson score** interval, which always stays
between 0% and 100%. A worked example with the place's smoking at delivery:
"""
    ),
    code(
        """
row = summary.set_index("indicator_id").loc["smoking_at_delivery"]
one = pd.DataFrame({"x": [row["numerator"]], "n": [row["denominator"]]})
display(hw.stats.proportion(one, "x", "n", multiplier=100))
"""
    ),
    exercise(
        "rates-proportion",
        """
row = summary.set_index("indicator_id").loc["hypertension_detection"]
one = pd.DataFrame({"x": [row["numerator"]], "n": [row["denominator"]]})
answer = hw.stats.proportion(one, "x", "n", multiplier=100)["value"].iloc[0]
""",
    ),
    exercise(
        "rates-wilson",
        """
row = summary.set_index("indicator_id").loc["smi_health_checks"]
one = pd.DataFrame({"x": [row["numerator"]], "n": [row["denominator"]]})
limits = hw.stats.proportion(one, "x", "n", multiplier=100)
answer = (limits["lower_ci"].iloc[0], limits["upper_ci"].iloc[0])
""",
    ),
    md(
        """
### Counts and rates: exact Poisson and Byar

Events such as deaths are counted, and a count's interval comes from the Poisson distribution.
PHE uses the **exact** Poisson limits below a count of 10 and **Byar's** approximation from 10 up
(they agree closely there). The table below compares them for a range of counts; the last column
shows how many times the count the upper limit is. Look at how fast it falls as the count grows.
"""
    ),
    code("display(hw.teaching.lessons.poisson_methods())"),
    md("Infant deaths in the place by national deprivation quintile:"),
    code('display(hw.teaching.lessons.quintile_values(results, "infant_mortality"))'),
    exercise(
        "rates-poisson-method",
        """
infant = hw.teaching.lessons.quintile_values(results, "infant_mortality")
deaths_q1 = infant.loc[infant["imd_quintile"] == 1, "numerator"].iloc[0]
answer = "exact" if deaths_q1 < 10 else "byar"
""",
    ),
    md(
        """
## Why small numbers mislead

Neighbourhood values rest on small numbers. Their intervals are wide, and the highest and lowest
values in any ranking are mostly the smallest areas — not because they are more extreme in truth,
but because chance moves small numbers further. The table groups neighbourhoods by the size of
their denominator:
"""
    ),
    code(
        """
display(hw.teaching.lessons.interval_widths(results, "smi_health_checks"))
display(hw.teaching.lessons.explain_small_numbers(results, "smi_health_checks"))
"""
    ),
    md(
        """
## Suppression

Small counts can identify people. The workbook's **disclosure rule** hides small counts (and, for
proportions, small complements), and when one hidden value could be recovered by subtraction it
hides a second one. Suppression is applied **once**, to the result table, so every map, chart,
table and sentence agrees. A suppressed value is not zero: it is *not shown*.
"""
    ),
    code(
        """
smoking = hw.teaching.lessons.small_area_values(results, "smoking_at_delivery")
display(smoking.head(10))
"""
    ),
    exercise(
        "rates-suppressed",
        """
answer = int(smoking["is_suppressed"].sum())
""",
    ),
    code(
        'display(hw.teaching.lessons.explain_suppression(results, "smoking_at_delivery"))'
    ),
    md(
        """
## Take-aways

- Every value has a confidence interval; quote it.
- Proportions: Wilson. Counts and rates: exact Poisson below ten events, Byar's from ten.
- Small numbers give wide intervals and crowd the top and bottom of rankings.
- Suppressed means *not shown*, never zero.
"""
    ),
]
