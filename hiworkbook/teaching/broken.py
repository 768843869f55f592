"""A deliberately broken workbook for the "break it and fix it" lesson.

:func:`broken_workbook` writes a small synthetic demo region (two LTLAs, one period) and plants
problems in it, one of each kind analysts meet in real extracts: a misspelt file name in
``workbook.toml``, an unrecognised sex label, a negative count, a duplicated row and an age band
that is not an ESP 2013 band. :func:`validate_workbook` shows what hiworkbook says about it; the
learner fixes the files; :func:`remaining_problems` (and the ``broken-*`` exercises) verify each
fix against the clean region, regenerated in memory by :func:`hiworkbook.demo.build_region` —
nothing about the answers is stored in the folder.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import shutil
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = [
    "PROBLEMS",
    "BrokenProblem",
    "ValidationReport",
    "broken_workbook",
    "default_broken_dir",
    "remaining_problems",
    "validate_workbook",
]

log = logging.getLogger(__name__)

#: Parameters of the small region the broken workbook is made from.
REGION = {"n_ltla": 2, "n_small_areas": 40, "periods": ("2024",)}
MANIFEST = ".hiworkbook-broken.json"


def default_broken_dir() -> Path:
    """Where lesson 7 writes its broken workbook by default: ``broken_workbook/`` in the learner's
    copy of the course (``notebooks/local/teaching/``, git-ignored), so JupyterLab's file browser
    shows it beside the notebook."""
    from hiworkbook.teaching.course import learner_dir

    return learner_dir() / "broken_workbook"


@functools.lru_cache(maxsize=2)
def _clean_tables(seed: int) -> dict[str, str]:
    """The clean region's files as text, regenerated in memory (cached per process)."""
    from hiworkbook.demo import DEFAULT_SEED, generate_demo

    with tempfile.TemporaryDirectory() as tmp:
        cfg = generate_demo(Path(tmp) / "clean", seed=seed or DEFAULT_SEED, **REGION)
        folder = cfg.parent
        return {
            name: (folder / name).read_text(encoding="utf-8")
            for name in ("workbook.toml", "counts.csv", "population.csv")
        }


def _clean_frame(seed: int, name: str) -> pd.DataFrame:
    from io import StringIO

    return pd.read_csv(StringIO(_clean_tables(seed)[name]))


def _manifest(folder: Path) -> dict:
    m = folder / MANIFEST
    if not m.is_file():
        raise FileNotFoundError(
            f"{folder} is not a broken workbook written by hiworkbook.teaching.broken_workbook "
            f"({MANIFEST} is missing)."
        )
    return json.loads(m.read_text(encoding="utf-8"))


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    try:
        return pd.read_csv(folder / name)
    except (OSError, ValueError):
        return None


def _row_differs(folder: Path, name: str, row: int, seed: int) -> bool:
    got = _read(folder, name)
    clean = _clean_frame(seed, name)
    if got is None or len(got) <= row or list(got.columns) != list(clean.columns):
        return True
    a = got.iloc[row].astype(str).str.strip().tolist()
    b = clean.iloc[row].astype(str).str.strip().tolist()
    return a != b


@dataclass(frozen=True)
class BrokenProblem:
    """One planted problem: what the exercise asks, a hint, and how to tell it is fixed."""

    id: str
    question: str
    hint: str
    _remaining: Callable[[Path, dict], list[str]]

    def remaining(self, folder: str | Path) -> list[str]:
        """What is still wrong with this problem (empty when fixed)."""
        folder = Path(folder)
        return self._remaining(folder, _manifest(folder))


def _toml_left(folder: Path, m: dict) -> list[str]:
    try:
        got = tomllib.loads((folder / "workbook.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return ["workbook.toml does not parse any more."]
    clean = tomllib.loads(_clean_tables(m["seed"])["workbook.toml"])
    if got.get("files") != clean.get("files"):
        return ["workbook.toml still names a file that is not in the folder."]
    return []


def _sex_left(folder: Path, m: dict) -> list[str]:
    if _row_differs(folder, "counts.csv", m["rows"]["sex"], m["seed"]):
        return ["counts.csv still has a sex value hiworkbook does not recognise."]
    return []


def _negative_left(folder: Path, m: dict) -> list[str]:
    if _row_differs(folder, "counts.csv", m["rows"]["negative"], m["seed"]):
        return ["counts.csv still has a count that is not the true count."]
    return []


def _duplicate_left(folder: Path, m: dict) -> list[str]:
    got = _read(folder, "counts.csv")
    clean = _clean_frame(m["seed"], "counts.csv")
    if got is None or len(got) != len(clean):
        return ["counts.csv does not have one row per combination yet."]
    return []


def _age_left(folder: Path, m: dict) -> list[str]:
    if _row_differs(folder, "population.csv", m["rows"]["age_band"], m["seed"]):
        return ["population.csv still has an age band that is not an ESP 2013 band."]
    return []


PROBLEMS: dict[str, BrokenProblem] = {
    p.id: p
    for p in (
        BrokenProblem(
            "toml",
            "Fix the file name workbook.toml gives for the population.",
            "Read the validation message about workbook.toml: it names the file it cannot "
            "find and suggests the one that is there.",
            _toml_left,
        ),
        BrokenProblem(
            "sex",
            "Fix the sex value counts.csv does not recognise.",
            "The message names the value and its row; the demo uses female, male or persons.",
            _sex_left,
        ),
        BrokenProblem(
            "negative",
            "Fix the negative count (in this exercise the extract flipped its sign).",
            "The message names the row of counts.csv; a count cannot be below zero.",
            _negative_left,
        ),
        BrokenProblem(
            "duplicate",
            "Remove the duplicated row of counts.csv.",
            "The message lists the rows that repeat the same indicator, period, area, sex, age "
            "band and ethnic group; keep one of them.",
            _duplicate_left,
        ),
        BrokenProblem(
            "age_band",
            "Fix the age band population.csv does not recognise.",
            "The message names the band and its row; ESP 2013 bands are '0-4', '5-9', … "
            "'85-89', '90+'.",
            _age_left,
        ),
    )
}


def broken_workbook(
    folder: str | Path | None = None, *, seed: int | None = None, overwrite: bool = True
) -> Path:
    """Write the broken workbook and return its ``workbook.toml``.

    Parameters
    ----------
    folder : str or Path, optional
        Where to write it (default :func:`default_broken_dir`). Replaced when ``overwrite`` and it
        is a broken workbook written here before; any other non-empty folder is refused.
    seed : int, optional
        Seed of the demo region (default the demo's).
    overwrite : bool, default True

    Returns
    -------
    Path
        The broken workbook's ``workbook.toml``.
    """
    from hiworkbook.demo import DEFAULT_SEED

    seed = int(seed or DEFAULT_SEED)
    folder = Path(folder) if folder else default_broken_dir()
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MANIFEST).is_file():
            raise FileExistsError(
                f"{folder} exists, is not empty and is not a broken workbook; choose another "
                "folder (nothing was changed)."
            )
        if not overwrite:
            return folder / "workbook.toml"
    clean = _clean_tables(seed)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        from hiworkbook.demo import generate_demo

        generate_demo(tmp / "region", seed=seed, **REGION)
        for f in (tmp / "region").iterdir():
            shutil.move(str(f), tmp / f.name)
        (tmp / "region").rmdir()
        (tmp / "manifest.json").unlink()  # it would vouch for the files we break
        counts = pd.read_csv(tmp / "counts.csv", dtype=str, keep_default_na=False)
        pop = pd.read_csv(tmp / "population.csv", dtype=str, keep_default_na=False)
        num = pd.to_numeric(counts["numerator"])
        # deterministic choices: the first rows that make each problem visible
        r_sex = int(counts.index[(counts["sex"] == "female") & (num > 0)][2])
        r_neg = int(counts.index[(counts["sex"] == "male") & (num > 2)][5])
        r_dup = int(counts.index[(counts["sex"] == "persons")][0])
        r_age = int(pop.index[pop["age_band"] == "85-89"][3])
        counts.loc[r_sex, "sex"] = "femal"
        counts.loc[r_neg, "numerator"] = "-" + counts.loc[r_neg, "numerator"]
        counts = pd.concat([counts, counts.loc[[r_dup]]], ignore_index=True)
        pop.loc[r_age, "age_band"] = "85-90"
        counts.to_csv(tmp / "counts.csv", index=False, lineterminator="\n")
        pop.to_csv(tmp / "population.csv", index=False, lineterminator="\n")
        toml = clean["workbook.toml"].replace(
            'population = "population.csv"', 'population = "populaton.csv"'
        )
        if toml == clean["workbook.toml"]:  # pragma: no cover - the template changed
            raise RuntimeError("could not plant the workbook.toml problem")
        (tmp / "workbook.toml").write_text(toml, encoding="utf-8")
        (tmp / "README.md").write_text(
            "# A broken workbook (synthetic)\n\nWritten by `hiworkbook.teaching.broken_workbook` "
            "for the course's lesson 7. Everything here is synthetic; several files have planted "
            "problems. Run `hiworkbook validate workbook.toml` to list them.\n",
            encoding="utf-8",
        )
        (tmp / MANIFEST).write_text(
            json.dumps(
                {
                    "generator": "hiworkbook.teaching.broken_workbook",
                    "seed": seed,
                    "region": {
                        k: list(v) if isinstance(v, tuple) else v
                        for k, v in REGION.items()
                    },
                    "rows": {
                        "sex": r_sex,
                        "negative": r_neg,
                        "duplicate": r_dup,
                        "age_band": r_age,
                    },
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        tmp.chmod(0o755)
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.debug("Wrote a broken workbook to %s", folder)
    return folder / "workbook.toml"


@dataclass(frozen=True)
class ValidationReport:
    """What hiworkbook says about a workbook: its problems, or that it validates."""

    folder: Path
    problems: tuple[str, ...]
    message: str

    @property
    def ok(self) -> bool:
        """True when nothing fatal was found."""
        return not self.problems

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#C00000"
        return (
            f'<pre class="hiw-validation" style="white-space:pre-wrap;border-left:4px solid '
            f'{colour};padding:6px 10px">{html.escape(self.message)}</pre>'
        )

    def __str__(self) -> str:
        return self.message


def validate_workbook(folder: str | Path) -> ValidationReport:
    """Validate a workbook folder as ``hiworkbook validate`` does, without a traceback.

    Parameters
    ----------
    folder : str or Path
        The folder holding ``workbook.toml`` (or the toml itself).

    Returns
    -------
    ValidationReport
        Every problem found (the :class:`~hiworkbook.validate.DataError` text), or a summary.
    """
    from hiworkbook.validate import DataError
    from hiworkbook.workspace import Workspace

    folder = Path(folder)
    toml = folder if folder.suffix == ".toml" else folder / "workbook.toml"
    try:
        ws = Workspace.from_config(toml, cache=False)
    except DataError as err:
        errors = tuple(str(p) for p in err.problems if p.severity == "error")
        return ValidationReport(toml.parent, errors, str(err))
    return ValidationReport(
        toml.parent,
        (),
        f"{toml.name}: no fatal problems. {len(ws.areas):,} small areas, "
        f"{len(ws.places())} places, periods with counts: {', '.join(ws.periods)}.",
    )


def remaining_problems(folder: str | Path) -> list[str]:
    """Everything still wrong with a broken workbook: validation errors, then data that differ
    from the clean region (empty when the workbook is fully fixed)."""
    folder = Path(folder)
    m = _manifest(folder)
    report = validate_workbook(folder)
    left = [f"The workbook does not validate yet: {p}" for p in report.problems]
    for p in PROBLEMS.values():
        left += p._remaining(folder, m)
    return left
