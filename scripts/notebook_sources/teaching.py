"""notebooks/teaching/: the course, learner and solution versions from one source per notebook.

Each lesson is a module in ``_teaching/`` defining ``LESSON`` (its number in
:data:`hiworkbook.teaching.COURSE`) and ``CELLS``, built with the helpers below. A cell made with
:func:`solution` is tagged ``solution``: the solution notebook keeps it, the learner notebook gets
an answer stub (``answer = ...  # your answer here``, tagged ``answer``) in its place. Cells made
with :func:`solution_md` are tagged ``solution-only`` and left out of the learner version. So the
two versions come from the same cells and cannot drift; ``tests/test_teaching.py`` checks the files
are exactly what this writes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell

from hiworkbook.teaching import COURSE, EXERCISES

HERE = Path(__file__).resolve().parent / "_teaching"
STUB = "answer = ...  # your answer here"

IMPORTS = "import pandas as pd\nfrom IPython.display import display\n\nimport hiworkbook as hw"
PARAMETERS = """\
config: str = ""  # workbook.toml; empty for the synthetic demo region
place_code: str = "X06000004"  # the place studied: Hollinvale, a demo LTLA
seed: int = 1  # seed of the SII simulation (same seed, same numbers)
"""
LOAD = """\
place = hw.load_place(config, place_code)
results = hw.place_results(place, seed=seed)
display(hw.narrative.title(results))"""


def md(text: str) -> dict:
    """A Markdown cell (both versions). Quote no results here: display them from code."""
    return new_markdown_cell(text.strip())


def code(src: str, tags: tuple[str, ...] = ()) -> dict:
    """A code cell (both versions)."""
    meta = {"tags": list(tags)} if tags else {}
    return new_code_cell(src.strip(), metadata=meta)


def solution(src: str, stub: str = STUB) -> dict:
    """A solution cell: the learner version shows ``stub`` instead."""
    cell = new_code_cell(src.strip(), metadata={"tags": ["solution"]})
    cell["_stub"] = stub.strip()
    return cell


def solution_md(text: str) -> dict:
    """Markdown only the solution version has (a worked answer's explanation)."""
    return new_markdown_cell(text.strip(), metadata={"tags": ["solution-only"]})


def exercise(
    exercise_id: str, src: str, stub: str = STUB, args: str = "results"
) -> list:
    """The question (from :data:`hiworkbook.teaching.EXERCISES`), the answer cell and its check."""
    ex = EXERCISES[exercise_id]
    tol = "" if ex.tolerance_text == "exact" else f" *(Checked {ex.tolerance_text}.)*"
    return [
        md(f"**Exercise `{exercise_id}`.** {ex.question}{tol}"),
        solution(src, stub),
        code(f'hw.teaching.check("{exercise_id}", answer, {args})'),
    ]


def header(number: int, place_note: bool = True) -> dict:
    """Title, planned minutes and objectives, from :data:`hiworkbook.teaching.COURSE`."""
    lesson = next(x for x in COURSE if x.number == number)
    objectives = "\n".join(f"- {o}" for o in lesson.objectives)
    data = (
        "It uses the **synthetic** demo region (invented places and people), so you can share, "
        "change and break it freely."
        if place_note
        else "Everything here is **synthetic**."
    )
    return md(
        f"# Lesson {number} · {lesson.title}\n\n*About {lesson.minutes} minutes.* {data}\n\n"
        f"**By the end you can:**\n\n{objectives}\n\n"
        "**Exercises** end with a check cell: run your answer cell, then the check. It says "
        "*Right* or *Not yet* with a hint — never the answer. Replace each `...` with your answer."
    )


def _load(module_path: Path):
    spec = importlib.util.spec_from_file_location(
        f"_teaching_{module_path.stem}", module_path
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _flatten(cells: list) -> list[dict]:
    out = []
    for c in cells:
        out.extend(_flatten(c) if isinstance(c, list) else [c])
    return out


def versions(cells: list) -> tuple[list[dict], list[dict]]:
    """(learner cells, solution cells) of one lesson's source cells."""
    learner, sol = [], []
    for c in _flatten(cells):
        tags = c.get("metadata", {}).get("tags", [])
        clean = {k: v for k, v in c.items() if k != "_stub"}
        sol.append(clean)
        if "solution-only" in tags:
            continue
        if "solution" in tags:
            learner.append(new_code_cell(c["_stub"], metadata={"tags": ["answer"]}))
        else:
            learner.append(clean)
    return learner, sol


# the lesson modules import the helpers above as ``teaching``
sys.modules["teaching"] = sys.modules[__name__]
NOTEBOOKS: dict[str, list] = {}
for _src in sorted(HERE.glob("lesson_*.py")):
    _mod = _load(_src)
    _lesson = next(x for x in COURSE if x.number == _mod.LESSON)
    _learner, _solution = versions(_mod.CELLS)
    NOTEBOOKS[f"teaching/{_lesson.filename}"] = _learner
    NOTEBOOKS[f"teaching/solutions/{_lesson.filename}"] = _solution
