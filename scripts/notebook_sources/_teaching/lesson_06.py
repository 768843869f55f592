"""Lesson 6: writing the narrative honestly for a board."""

from teaching import IMPORTS, LOAD, PARAMETERS, code, exercise, header, md, solution_md

LESSON = 6
CELLS = [
    header(LESSON),
    code(IMPORTS),
    code(PARAMETERS, tags=("parameters",)),
    code(LOAD),
    md(
        """
## Fingertips' language of significance

Boards read public-health data through Fingertips, so use its words:

- **significantly worse than England** (or better, higher, lower) — only when the 95% interval of
  the value lies wholly on one side of England's value;
- **similar to England** — when the interval includes England's value. *Similar* does not mean
  *the same*: it means these data cannot tell them apart.

The table colours each indicator as Fingertips would; the sentences below it are written from the
same numbers.
"""
    ),
    code(
        """
display(hw.tables.indicator_table(results))
display(hw.teaching.lessons.fingertips_sentences(results))
"""
    ),
    exercise(
        "narrative-worse",
        """
summary = results.summary()
answer = set(summary.loc[summary["comparison"] == "worse", "indicator_id"])
""",
    ),
    exercise(
        "narrative-wording",
        """
answer = results.summary().set_index("indicator_id").loc["cancer_early_stage", "comparison"]
""",
    ),
    md(
        """
## Small numbers

- Quote the interval, or at least the significance, with every value.
- "Not significantly different" with small numbers is weak evidence of no difference.
- A suppressed value cannot be quoted, even rounded, even in words ("fewer than five").
- Avoid ranking small areas ("the worst neighbourhood in the borough"): the ranking is mostly
  noise (lesson 5).

## Correlation is not causation

A gradient by deprivation shows that an indicator is **associated** with deprivation. It does not
show that deprivation *causes* it, nor which of the many things that come with deprivation
(income, housing, access to services, smoking, the age and ethnicity mix) matters. And area data
describe areas, not the individuals in them. Write "higher in the most deprived areas", not
"caused by deprivation".

Three statements about cancers diagnosed early, written from the numbers:
"""
    ),
    code(
        'display(hw.teaching.lessons.explain_statements(results, "cancer_early_stage"))'
    ),
    exercise(
        "narrative-honest",
        """
answer = "C"
""",
    ),
    solution_md(
        """
*Solution note.* A claims a cause the data cannot show; B's comparison word disagrees with the
interval; C is Fingertips' wording of the same numbers.
"""
    ),
    md(
        """
## Your headline

Write one sentence for the board on **under-75 mortality** in the place. The check reads every
number in it against the results (rounded as you wrote it), checks your significance words against
the interval, and flags causal language. These are the numbers you may quote:
"""
    ),
    code(
        """
facts = pd.Series(hw.teaching.lessons.headline_facts(results, "mortality_u75"), name="value")
display(facts.round(3).to_frame())
display(hw.teaching.lessons.explain_sii(results, "mortality_u75"))
"""
    ),
    exercise(
        "narrative-headline",
        """
row = results.summary().set_index("indicator_id").loc["mortality_u75"]
answer = (
    f"In {results.period}, under-75 mortality in {place.name} was {row['value']:.1f} per 100,000, "
    f"similar to England ({row['comparator_value']:.1f})."
)
""",
        stub='answer = ...  # your headline, in quotes: "In ..., under-75 mortality ..."',
    ),
    md("What a reviewer would say about your headline:"),
    code(
        """
if isinstance(answer, str):
    display(hw.teaching.lessons.check_headline(answer, results, "mortality_u75"))
"""
    ),
    md(
        """
## Take-aways

- "Significantly worse than" only when the interval excludes the comparator; otherwise "similar to".
- Quote intervals; never quote suppressed values; do not rank small areas.
- Deprivation gradients are associations: say "higher in", not "caused by".
- Check every number in a headline against the results before it goes to the board.
"""
    ),
]
