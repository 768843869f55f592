"""notebooks/la_profile.ipynb: a local authority against England from published Fingertips values."""

from nbformat.v4 import new_code_cell, new_markdown_cell

LA_PARAMETERS = """\
config: str = ""  # workbook.toml naming a Fingertips export; empty: real data
area_code: str = "E08000009"  # local authority code (E06, E07, E08, E09)
benchmark_code: str = "E92000001"  # benchmark area code; England by default
map_indicator: str = ""  # indicator id to map; empty for the first compared
period: str = ""  # period such as 2023; empty for each indicator's latest
"""

LA_CELLS = [
    new_code_cell(
        "from IPython.display import display\n\nfrom hiworkbook import published",
        metadata={"tags": ["remove-cell"]},
    ),
    new_code_cell(LA_PARAMETERS, metadata={"tags": ["parameters"]}),
    new_markdown_cell(
        "<!-- Validate everything before any work: one DataError lists every problem. "
        "The workbook names the Fingertips export, its metadata and the LA boundaries. -->"
    ),
    new_code_cell(
        "inputs = published.load_workbook_profile(\n"
        "    config,\n"
        "    area_code,\n"
        "    benchmark_code=benchmark_code,\n"
        "    map_indicator=map_indicator,\n"
        "    period=period,\n"
        ")\n"
        "display(published.title(inputs))",
    ),
    new_markdown_cell("## Headline"),
    new_code_cell("display(published.headline(inputs.profile))"),
    new_markdown_cell("## All indicators: area profile"),
    new_code_cell(
        "display(published.profile_table(inputs.profile))\n"
        "display(published.spine_chart(inputs))",
        metadata={"tags": ["print-compact"]},
    ),
    new_markdown_cell("## Local authorities compared"),
    new_code_cell("display(published.la_map(inputs))"),
    new_code_cell("display(published.sources_footer(inputs))"),
]

NOTEBOOKS = {"la_profile.ipynb": LA_CELLS}
