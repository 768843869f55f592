"""notebooks/indicator_deep_dive.ipynb: one indicator across a place's small areas — gradient,
SII over time, funnel plot, map, hot and cold spots."""

from nbformat.v4 import new_code_cell, new_markdown_cell

PARAMETERS = """\
config: str = ""  # workbook.toml; empty for the synthetic demo region
place_code: str = ""  # place code (LTLA, ICB ...); empty for the first place
indicator: str = "hypertension_detection"  # indicator id to study
period: str = ""  # period, such as 2024; empty for the workbook's default
comparator: str = ""  # comparator name or code; empty for England, else the parent
confidence: float = 0.95  # confidence level of the intervals
seed: int = 1  # seed of the SII simulations and Moran's I permutations
permutations: int = 999  # Moran's I permutations (smallest pseudo p 0.001)
fdr_alpha: float = 0.05  # false discovery rate of the hot/cold-spot test
smoothing: str = "auto"  # empirical Bayes: auto, global, local or none
min_events: float = 20  # auto smooths when an area expects fewer events than this
sii_reps: int = 100000  # simulations per SII confidence interval
output_dir: str = ""  # folder for the CSV tables; empty for the reports folder
"""

cells = [
    new_code_cell(
        "from IPython.display import display\n\nimport hiworkbook as hw",
        metadata={"tags": ["remove-cell"]},
    ),
    new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
    new_markdown_cell(
        "<!-- Validate everything before any work: one DataError lists every problem. -->"
    ),
    new_code_cell(
        "place = hw.load_place(config, place_code, period=period, indicators=[indicator])\n"
        "dd = hw.deepdive.deep_dive(\n"
        "    place,\n"
        "    indicator,\n"
        "    period=period or None,\n"
        "    comparator=comparator or None,\n"
        "    confidence=confidence,\n"
        "    seed=seed,\n"
        "    permutations=permutations,\n"
        "    fdr_alpha=fdr_alpha,\n"
        "    smoothing=smoothing,\n"
        "    min_events=min_events,\n"
        "    sii_reps=sii_reps,\n"
        ")\n"
        "display(dd.title())",
    ),
    new_markdown_cell("## The gradient by deprivation"),
    new_code_cell(
        "display(dd.decile_chart())\n"
        "display(dd.quintile_chart())\n"
        "display(dd.gradient_sentence())\n"
        "display(dd.gradient_table().round(2))",
        metadata={"tags": ["print-grid", "print-compact"]},
    ),
    new_markdown_cell("## Has the gradient moved?"),
    new_code_cell(
        "display(dd.sii_trend_chart())\ndisplay(dd.sii_periods.round(2))",
        metadata={"tags": ["print-compact"]},
    ),
    new_markdown_cell("## Small areas against the place: funnel plot"),
    new_code_cell("display(dd.funnel())"),
    new_markdown_cell("## The indicator by small area"),
    new_code_cell("display(dd.indicator_map())"),
    new_markdown_cell("## Hot and cold spots (local Moran's I)"),
    new_code_cell(
        "display(dd.lisa_map())\n"
        "display(dd.reading())\n"
        "display(dd.lisa_table(significant_only=True).round(3))",
        metadata={"tags": ["print-compact"]},
    ),
    # where the CSV files went: for the screen, not for the board paper
    new_markdown_cell("## Keep the numbers", metadata={"tags": ["print-omit"]}),
    new_code_cell(
        "saved = hw.export.save_tables(\n"
        "    dd.tables(),\n"
        '    output_dir or hw.export.default_dir("indicator_deep_dive", place.code),\n'
        "    synthetic=place.workspace.synthetic,\n"
        ")\n"
        'display(hw.narrative.Narrative(f"<p>{len(saved)} tables saved as CSV in '
        '{saved[0].parent}.</p>"))',
        metadata={"tags": ["print-omit"]},
    ),
    new_code_cell("display(hw.narrative.methods_footer(dd.results))"),
]

NOTEBOOKS = {"indicator_deep_dive.ipynb": cells}
