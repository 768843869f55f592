"""Teaching: the course's self-checking exercises, computed explanations and a broken workbook.

The course is seven notebooks in ``notebooks/teaching/`` (learner versions) with solutions in
``notebooks/teaching/solutions/``, both generated from one source per notebook
(``scripts/notebook_sources/teaching.py``). Everything the notebooks compute or check lives here:

- :func:`check` — ``hw.teaching.check("rates-proportion", answer, results)`` says "Right" or
  "Not yet" with a hint, never the answer; expected answers are computed from the data at check
  time (:mod:`hiworkbook.teaching.exercises`);
- :mod:`hiworkbook.teaching.lessons` — the tables and Markdown explanations the notebooks show,
  every quoted number computed at run time;
- :func:`broken_workbook`, :func:`validate_workbook` — lesson 7's workbook with planted problems;
- :func:`reset` — restore a learner's copy (``hiworkbook teach reset``); :data:`COURSE` lists the
  notebooks with their objectives and planned minutes.
"""

from hiworkbook.teaching import lessons
from hiworkbook.teaching.broken import (
    broken_workbook,
    default_broken_dir,
    remaining_problems,
    validate_workbook,
)
from hiworkbook.teaching.course import (
    COURSE,
    DEFAULT_PLACE,
    Lesson,
    course_dir,
    learner_dir,
    reset,
)
from hiworkbook.teaching.exercises import EXERCISES, CheckResult, check, expected_answer

__all__ = [
    "COURSE",
    "DEFAULT_PLACE",
    "EXERCISES",
    "CheckResult",
    "Lesson",
    "broken_workbook",
    "check",
    "course_dir",
    "default_broken_dir",
    "expected_answer",
    "learner_dir",
    "lessons",
    "remaining_problems",
    "reset",
    "validate_workbook",
]
