"""The teaching course: its notebooks, their objectives, and resetting a learner's copy.

The course lives in ``notebooks/teaching/`` (learner versions) and ``notebooks/teaching/solutions/``
(solution versions), both written by ``scripts/make_notebooks.py`` from one source per notebook, so
they cannot drift. Learners work on a copy (default ``notebooks/local/teaching/``, git-ignored);
:func:`reset` restores it in one command (``hiworkbook teach reset``).
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hiworkbook import paths

__all__ = [
    "COURSE",
    "DEFAULT_PLACE",
    "Lesson",
    "course_dir",
    "learner_dir",
    "lesson",
    "reset",
]

log = logging.getLogger(__name__)

#: The demo place every notebook studies by default: Hollinvale, the LTLA of the synthetic region
#: with people in every national deprivation quintile (so gaps and gradients can be measured).
DEFAULT_PLACE = "X06000004"


@dataclass(frozen=True)
class Lesson:
    """One notebook of the course.

    Attributes
    ----------
    number : int
        Position in the course (1-7).
    slug : str
        File name stem after the number: ``notebooks/teaching/<nn>_<slug>.ipynb``.
    title : str
    minutes : int
        Planned length of the session, in minutes.
    objectives : tuple of str
        What a learner can do afterwards.
    """

    number: int
    slug: str
    title: str
    minutes: int
    objectives: tuple[str, ...]

    @property
    def filename(self) -> str:
        """``<nn>_<slug>.ipynb``."""
        return f"{self.number:02d}_{self.slug}.ipynb"


COURSE: tuple[Lesson, ...] = (
    Lesson(
        1,
        "health_inequalities_and_deprivation",
        "What health inequalities are, and how deprivation is measured",
        25,
        (
            "Say what makes a difference in health an inequality.",
            "Read an Index of Multiple Deprivation rank, decile and quintile for a neighbourhood.",
            "Work out a place's Core20 population: the people living in England's most deprived 20% of neighbourhoods.",
            "Explain why an LSOA 2011 file must not be mixed with LSOA 2021 data, and recognise the refusal message.",
        ),
    ),
    Lesson(
        2,
        "counts_rates_and_intervals",
        "Counts, rates and confidence intervals",
        25,
        (
            "Calculate a proportion with a Wilson score interval and a rate with an exact Poisson or Byar interval.",
            "Explain why small numbers give wide intervals and unstable values.",
            "Explain small-number suppression and find suppressed values in a result table.",
        ),
    ),
    Lesson(
        3,
        "age_standardisation",
        "Age standardisation",
        25,
        (
            "Explain why a crude rate misleads when places have different age structures.",
            "Calculate a directly standardised rate with the European Standard Population 2013.",
            "Say when not to standardise (too few events, one age band, no age split).",
        ),
    ),
    Lesson(
        4,
        "measuring_the_gradient",
        "Measuring the gradient: gaps, SII and RII",
        25,
        (
            "Calculate the absolute and relative gap between the most and least deprived quintiles.",
            "Read the slope index of inequality with its sign: least deprived minus most deprived.",
            "Read the relative index of inequality, and say what a confidence interval that includes zero means.",
        ),
    ),
    Lesson(
        5,
        "maps_that_do_not_mislead",
        "Maps that do not mislead",
        25,
        (
            "Compare quantile, equal-interval and benchmark classifications of the same values.",
            "Show how small numbers make neighbourhood maps unstable from year to year.",
            "Find clusters of neighbourhoods significantly worse than the place, and say what they do not show.",
        ),
    ),
    Lesson(
        6,
        "writing_for_a_board",
        "Writing the narrative honestly for a board",
        25,
        (
            "Use Fingertips' wording of significance ('significantly worse than', 'similar to').",
            "Say when numbers are too small to support a statement.",
            "Keep correlation apart from causation.",
            "Write a headline and check every number and claim in it against the results.",
        ),
    ),
    Lesson(
        7,
        "break_it_and_fix_it",
        "Break it and fix it: what good data looks like",
        20,
        (
            "Read hiworkbook's validation messages: file, column, rows, values and fix.",
            "Fix a workbook with planted problems and confirm it validates.",
        ),
    ),
)


def lesson(number: int) -> Lesson:
    """The course's lesson with this number (1-7)."""
    for item in COURSE:
        if item.number == int(number):
            return item
    raise ValueError(
        f"There is no lesson {number}; the course has lessons 1 to {len(COURSE)}."
    )


def course_dir() -> Path:
    """Folder of the learner notebooks as generated (``notebooks/teaching``)."""
    return paths.project_root() / "notebooks" / "teaching"


def learner_dir() -> Path:
    """Default folder of a learner's working copy (``notebooks/local/teaching``, git-ignored)."""
    return paths.project_root() / "notebooks" / "local" / "teaching"


def reset(
    dest: str | Path | None = None,
    *,
    lessons: list[int] | None = None,
    keep_existing: bool = False,
    backup: bool = True,
) -> list[Path]:
    """Restore a learner's copy of the course notebooks, touching nothing else in the folder.

    Each course notebook (learner version, no outputs) is copied into ``dest``; other files there
    (the learner's own notes, the broken workbook of lesson 7) are left alone. A notebook that is
    replaced is first moved to ``dest/.reset-backup/<UTC time>/`` unless ``backup`` is False.

    Parameters
    ----------
    dest : str or Path, optional
        The learner's folder; default :func:`learner_dir`.
    lessons : list of int, optional
        Only these lessons (default all).
    keep_existing : bool, default False
        Copy only notebooks that are missing (``make teach`` uses this, so opening the course never
        overwrites a learner's work).
    backup : bool, default True
        Keep the replaced notebooks in ``.reset-backup``.

    Returns
    -------
    list of Path
        The notebooks written.

    Raises
    ------
    FileNotFoundError
        If the course notebooks are not in :func:`course_dir` (run ``make notebooks``).
    """
    src_dir = course_dir()
    dest = Path(dest) if dest else learner_dir()
    chosen = [lesson(n) for n in lessons] if lessons else list(COURSE)
    missing = [x.filename for x in chosen if not (src_dir / x.filename).is_file()]
    if missing:
        raise FileNotFoundError(
            f"Course notebooks not found in {src_dir}: {', '.join(missing)}. "
            "Run `make notebooks` to write them."
        )
    dest.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    written = []
    for item in chosen:
        target = dest / item.filename
        if target.exists():
            if keep_existing:
                continue
            if backup:
                keep = dest / ".reset-backup" / stamp
                keep.mkdir(parents=True, exist_ok=True)
                shutil.move(str(target), keep / item.filename)
        # copy beside the target, then rename: a reader never sees half a notebook
        tmp = dest / f".{item.filename}.tmp"
        shutil.copyfile(src_dir / item.filename, tmp)
        tmp.replace(target)
        written.append(target)
        log.info("restored %s", target)
    return written
