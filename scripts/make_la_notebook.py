"""Write notebooks/la_profile.ipynb from the cell sources below (no outputs).

The local-authority profile from published Fingertips values: a chosen LA against England, with
significance from the published confidence intervals. The notebook is the source of truth once
written; this script documents and regenerates its structure: `python scripts/make_la_notebook.py`.
"""

import logging
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]

PARAMETERS = """\
fingertips: str = ""  # path to a Fingertips export (web CSV or API layout)
metadata: str = ""  # Fingertips indicator metadata (polarity, comparison method)
boundaries: str = ""  # LAD boundaries
area_code: str = "E08000009"  # local authority code (E06, E07, E08, E09)
benchmark_code: str = "E92000001"  # benchmark area code; England by default
map_indicator: str = ""  # indicator id to map; empty for the first with LA values
period: str = ""  # period such as 2023; empty for each indicator's latest
"""

cells = [
    new_code_cell(
        "from IPython.display import display\n\nfrom hiworkbook import published",
        metadata={"tags": ["remove-cell"]},
    ),
    new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
    new_markdown_cell(
        "<!-- Validate everything before any work: one DataError lists every problem. "
        "Empty paths use ../shared/realdata when it is beside the project. -->"
    ),
    new_code_cell(
        "inputs = published.load_profile_inputs(\n"
        "    fingertips,\n"
        "    boundaries,\n"
        "    metadata,\n"
        "    area_code=area_code,\n"
        "    benchmark_code=benchmark_code,\n"
        "    map_indicator=map_indicator,\n"
        "    period=period,\n"
        ")\n"
        "display(published.title(inputs))",
    ),
    new_markdown_cell("## Headline"),
    new_code_cell("display(published.headline(inputs.profile))"),
    new_markdown_cell("## All indicators"),
    new_code_cell("display(published.profile_table(inputs.profile))"),
    new_markdown_cell("## Local authorities compared"),
    new_code_cell("display(published.la_map(inputs))"),
    new_code_cell("display(published.sources_footer(inputs))"),
]

nb = new_notebook(cells=cells)
nb.metadata["kernelspec"] = {
    "name": "python3",
    "display_name": "Python 3",
    "language": "python",
}
nb.metadata["language_info"] = {"name": "python"}
for i, c in enumerate(nb.cells):
    c["id"] = f"cell-{i:02d}"
out = ROOT / "notebooks" / "la_profile.ipynb"
nbformat.write(nb, out)
logging.basicConfig(level=logging.INFO, format="%(message)s")
logging.getLogger(__name__).info("wrote %s", out)
