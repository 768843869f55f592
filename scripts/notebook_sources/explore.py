"""notebooks/explore.ipynb: explore one place by indicator, period and breakdown (ipywidgets)."""

from nbformat.v4 import new_code_cell, new_markdown_cell

PARAMETERS = """\
config: str = ""  # workbook.toml; empty for the synthetic demo region
place_code: str = ""  # place code (LTLA, ICB ...); empty for the first place
indicator: str = "hypertension_detection"  # indicator id shown first
period: str = ""  # period, such as 2024; empty for the workbook's default
breakdown: str = "imd_quintile"  # one of hw.breakdowns.BREAKDOWNS (see README)
confidence: float = 0.95  # confidence level of intervals and comparisons
output_dir: str = ""  # folder for CSVs of the tables; empty: the reports folder
interactive: bool = True  # show the ipywidgets explorer after the static views
"""

cells = [
    new_code_cell(
        "from IPython.display import display\n\nimport hiworkbook as hw",
        metadata={"tags": ["remove-cell"]},
    ),
    new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
    new_markdown_cell(
        "# Explore a place\n\n"
        "The views below show the parameters' choices and stay in the saved notebook. "
        "With a running kernel (JupyterLab: `make lab`), the explorer at the end changes place, "
        "indicator, period and breakdown without re-running cells."
    ),
    new_code_cell(
        "place = hw.load_place(config, place_code, period=period, indicators=[indicator])\n"
        "views = hw.explore.explore_views(\n"
        "    place, indicator, breakdown, period=period or None, confidence=confidence\n"
        ")\n"
        "views.display()"
    ),
    new_markdown_cell("## Keep the numbers"),
    new_code_cell(
        "saved = hw.export.save_tables(\n"
        "    views.tables(),\n"
        '    output_dir or hw.export.default_dir("explore", place.code),\n'
        "    synthetic=place.workspace.synthetic,\n"
        ")\n"
        'display(hw.narrative.HTMLFragment(f"<p>Tables saved as CSV: {len(saved)} files.</p>"))'
    ),
    new_markdown_cell(
        "## Explore interactively\n\n"
        "With a running kernel the dropdowns below redraw the sentence, map, chart and table. "
        "A saved or exported copy has no kernel: there the views above show the defaults."
    ),
    new_code_cell(
        "if interactive:\n"
        "    display(\n"
        "        hw.explore.explorer(\n"
        "            place, indicator, breakdown, period=period or None, confidence=confidence\n"
        "        )\n"
        "    )"
    ),
]

NOTEBOOKS = {"explore.ipynb": cells}
