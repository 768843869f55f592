"""Lesson 7: break it and fix it — a workbook with planted problems."""

from teaching import code, exercise, header, md

LESSON = 7
STUB = "answer = ...  # fix the file, then: answer = broken"
CELLS = [
    header(LESSON, place_note=False),
    code(
        "import pandas as pd\nfrom IPython.display import display\n\nimport hiworkbook as hw"
    ),
    code(
        'folder: str = ""  # where to write the broken workbook; empty for notebooks/local/teaching/broken_workbook',
        tags=("parameters",),
    ),
    md(
        """
## A workbook with problems

This writes a small synthetic workbook — the same kind of files you would name in your own
`workbook.toml` — with several problems planted in it, of the kinds real extracts have. Running
this cell again puts the problems back.
"""
    ),
    code(
        """
broken = hw.teaching.broken_workbook(folder or None).parent
display(sorted(p.name for p in broken.iterdir()))
"""
    ),
    md(
        """
## Read the messages

hiworkbook never stops at the first problem: it checks everything it can and lists every problem
once. Each says **which file**, **which column**, **which rows** (numbered as a spreadsheet
numbers them: the header is row 1), **what is wrong** and, after the arrow, **how to fix it**.
"""
    ),
    code("display(hw.teaching.validate_workbook(broken))"),
    md(
        """
Fix one problem at a time and run the validation again. You can edit the files in JupyterLab
(open the folder above in the file browser) or with a line of pandas. Some problems only show once
an earlier one is fixed: a file that cannot be found cannot be checked.
"""
    ),
    exercise(
        "broken-toml",
        """
toml = broken / "workbook.toml"
toml.write_text(toml.read_text().replace("populaton.csv", "population.csv"))
answer = broken
""",
        stub=STUB,
        args="broken",
    ),
    code("display(hw.teaching.validate_workbook(broken))"),
    exercise(
        "broken-sex",
        """
counts = pd.read_csv(broken / "counts.csv", dtype=str, keep_default_na=False)
counts.loc[counts["sex"] == "femal", "sex"] = "female"
counts.to_csv(broken / "counts.csv", index=False, lineterminator="\\n")
answer = broken
""",
        stub=STUB,
        args="broken",
    ),
    md(
        """
A negative count is impossible. In real life, ask whoever produced the extract; in this exercise
the extract flipped the sign, so the true count is the same number without the minus.
"""
    ),
    exercise(
        "broken-negative",
        """
counts = pd.read_csv(broken / "counts.csv", dtype=str, keep_default_na=False)
counts["numerator"] = counts["numerator"].str.lstrip("-")
counts.to_csv(broken / "counts.csv", index=False, lineterminator="\\n")
answer = broken
""",
        stub=STUB,
        args="broken",
    ),
    exercise(
        "broken-duplicate",
        """
counts = pd.read_csv(broken / "counts.csv", dtype=str, keep_default_na=False)
counts.drop_duplicates().to_csv(broken / "counts.csv", index=False, lineterminator="\\n")
answer = broken
""",
        stub=STUB,
        args="broken",
    ),
    exercise(
        "broken-age_band",
        """
population = pd.read_csv(broken / "population.csv", dtype=str, keep_default_na=False)
population.loc[population["age_band"] == "85-90", "age_band"] = "85-89"
population.to_csv(broken / "population.csv", index=False, lineterminator="\\n")
answer = broken
""",
        stub=STUB,
        args="broken",
    ),
    md("## Does it all validate now?"),
    code("display(hw.teaching.validate_workbook(broken))"),
    exercise(
        "broken-all",
        """
answer = broken
""",
        stub=STUB,
        args="broken",
    ),
    md(
        """
## What good data looks like

- Every file the workbook names exists, with the name it is given.
- One row per indicator, period, area, sex, age band and ethnic group; no repeats.
- Counts are whole numbers, never negative; sexes and age bands use the agreed labels.
- Codes are of one LSOA vintage throughout.
- Validate before any analysis: one list of every problem is quicker than one surprise at a time.
"""
    ),
]
