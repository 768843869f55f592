"""notebooks/core20plus5.ipynb: the Core20PLUS5 view of a place."""

from nbformat.v4 import new_code_cell, new_markdown_cell

PARAMETERS = """\
config: str = ""  # workbook.toml; empty for the synthetic demo region
place_code: str = ""  # place code (LTLA, ICB ...); empty for the first place
period: str = ""  # period, such as 2024; empty for the workbook's default
indicators: list = []  # Core20PLUS5 indicator ids to show; empty for all with counts
confidence: float = 0.95  # confidence level of intervals and significance tests
output_dir: str = ""  # folder for CSVs of the tables; empty: the reports folder
"""

cells = [
    new_code_cell(
        "from IPython.display import display\n\nimport hiworkbook as hw",
        metadata={"tags": ["remove-cell"]},
    ),
    new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
    new_code_cell(
        "place = hw.load_place(config, place_code, period=period, indicators=indicators)\n"
        "c5 = hw.core20plus5.core20plus5(\n"
        "    place, period=period or None, confidence=confidence, indicators=indicators or None\n"
        ")\n"
        'display(hw.narrative.HTMLFragment(f"<h1>Core20PLUS5: {place.name}, {c5.period}</h1>"))'
    ),
    new_markdown_cell(
        "NHS England's Core20PLUS5 focuses on the most deprived 20% of England's population "
        "(**Core20**), groups each system chooses (**PLUS**) and five clinical areas for adults "
        "and five for children and young people."
    ),
    new_markdown_cell("## Core20: how many, and where they live"),
    new_code_cell(
        "display(c5.share_sentence())\ndisplay(hw.core20plus5.core20_map(place))"
    ),
    new_markdown_cell("## Core20 and PLUS groups against the rest, by clinical area"),
    new_code_cell(
        "display(c5.table())\ndisplay(c5.chart())\ndisplay(c5.sentences())",
        metadata={"tags": ["print-compact"]},
    ),
    # where the CSV files went: for the screen, not for the board paper
    new_markdown_cell("## Keep the numbers", metadata={"tags": ["print-omit"]}),
    new_code_cell(
        "saved = hw.export.save_tables(\n"
        "    c5.tables(),\n"
        '    output_dir or hw.export.default_dir("core20plus5", place.code),\n'
        "    synthetic=c5.synthetic,\n"
        ")\n"
        'display(hw.narrative.HTMLFragment(f"<p>Tables saved as CSV: {len(saved)} files.</p>"))',
        metadata={"tags": ["print-omit"]},
    ),
]

NOTEBOOKS = {"core20plus5.ipynb": cells}
