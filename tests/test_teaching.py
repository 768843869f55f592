"""The teaching course: learner and solution notebooks come from one source and carry no outputs;
every solution runs under Papermill with every check right; every learner stub is "not yet";
check() gives hints, never answers; the broken workbook's problems are reported and their fixes
verified; reset restores only the course notebooks."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COURSE_DIR = ROOT / "notebooks" / "teaching"
LEARNER = sorted(COURSE_DIR.glob("0*.ipynb"))
SOLUTIONS = sorted((COURSE_DIR / "solutions").glob("0*.ipynb"))
CHECK_RE = re.compile(r'hw\.teaching\.check\("([\w-]+)"')


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def _check_ids(path: Path) -> list[str]:
    return [
        m.group(1)
        for c in _nb(path)["cells"]
        if c["cell_type"] == "code"
        for m in CHECK_RE.finditer(_src(c))
    ]


# ---------------------------------------------------------------- one source, no drift
def test_course_has_seven_lessons_in_both_versions() -> None:
    from hiworkbook.teaching import COURSE

    names = [x.filename for x in COURSE]
    assert [p.name for p in LEARNER] == names
    assert [p.name for p in SOLUTIONS] == names


def test_notebooks_are_exactly_what_the_source_generates(tmp_path: Path) -> None:
    """`make notebooks` (sources, then ruff format) reproduces the committed files byte for byte."""
    spec = importlib.util.spec_from_file_location(
        "_make_notebooks_test", ROOT / "scripts" / "make_notebooks.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.ROOT = tmp_path
    teaching = {
        rel: cells
        for rel, cells in mod.load_sources().items()
        if rel.startswith("teaching/")
    }
    assert len(teaching) == 14
    for rel, cells in teaching.items():
        mod.write_notebook(rel, cells)
    subprocess.run(
        [sys.executable, "-m", "ruff", "format", "-q", str(tmp_path / "notebooks")],
        check=True,
    )
    for rel in teaching:
        got = (tmp_path / "notebooks" / rel).read_text(encoding="utf-8")
        assert got == (ROOT / "notebooks" / rel).read_text(encoding="utf-8"), (
            f"notebooks/{rel} differs from its source: run `make notebooks`"
        )


@pytest.mark.parametrize(
    "path", LEARNER + SOLUTIONS, ids=lambda p: p.parent.name + "/" + p.name
)
def test_stored_without_outputs(path: Path) -> None:
    for c in _nb(path)["cells"]:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None


@pytest.mark.parametrize("learner", LEARNER, ids=lambda p: p.name)
def test_learner_differs_from_solution_only_in_answer_cells(learner: Path) -> None:
    sol = COURSE_DIR / "solutions" / learner.name
    lc, sc = _nb(learner)["cells"], _nb(sol)["cells"]
    sc = [c for c in sc if "solution-only" not in c["metadata"].get("tags", [])]
    assert len(lc) == len(sc)
    n_answers = 0
    for a, b in zip(lc, sc, strict=True):
        if "solution" in b["metadata"].get("tags", []):
            n_answers += 1
            assert a["metadata"]["tags"] == ["answer"]
            assert re.search(r"^answer = \.\.\.", _src(a), re.M), _src(a)
        else:
            assert _src(a) == _src(b)
    assert n_answers == len(_check_ids(learner)) >= 3
    assert not any("solution" in _src(c) for c in lc if c["cell_type"] == "code")


def test_every_exercise_is_in_exactly_one_notebook() -> None:
    from hiworkbook.teaching import EXERCISES

    ids = [i for p in LEARNER for i in _check_ids(p)]
    assert sorted(ids) == sorted(EXERCISES)
    for p in LEARNER:
        lesson = int(p.name[:2])
        assert all(EXERCISES[i].lesson == lesson for i in _check_ids(p))


# Definitions a lesson may state in words (method thresholds, vintages, the ESP's name, list
# structure); anything else that looks like a number in Markdown is a typed result.
_ALLOWED = [
    r"Lesson \d",
    r"\*About \d+ minutes\.\*",
    r"\b(?:LSOA|ESP|IMD|IoD) ?(?:2011|2013|2019|2021|2025)\b",
    r"\bIoD20(?:19|25)\b",
    r"\b2021 Census\b",
    r"\bCore20(?:PLUS5)?\b",
    r"\b(?:95|20|10)%",
    r"\b1\.96\b",
    r"\b1,000\b",
    r"\b100,000\b",
    r"\bdeciles? (?:1|2|10)\b(?: and 2)?",
    r"\bquintile 1\b",
    r"\bQ[15]\b",
    r"\brank 1\b",
    r"\bposition [01]\b",
    r"\b(?:count of|from|fewer than) 10\b",
    r"\bunder-75\b",
    r"\(1 = highest\)",
    r"\blesson 5\b",
    r"row 1\b",
    r"\b85-90\b|\b85-89\b",
    r"\*\(Checked within [^*]*\*",
    r"\b[EX]0\d{7}\b",
    r"\b(?:19|20)\d\d\b",  # years (periods, editions)
    r"\b0% and 100%",
    r"\baged 65\b",
    r"\b[Uu]nder-75\b",
]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_markdown_quotes_no_typed_results(path: Path) -> None:
    """Every number the text quotes is computed: Markdown cells hold no figures, only words and
    the definitions above; figures come from code (``Explanation`` objects, tables)."""
    for c in _nb(path)["cells"]:
        if c["cell_type"] != "markdown":
            continue
        text = _src(c)
        for pat in _ALLOWED:
            text = re.sub(pat, "", text)
        text = re.sub(r"`[^`]*`", "", text)  # code names such as `broken-toml`
        assert not re.search(r"\d", text), f"a typed number in Markdown: {text!r}"


# ---------------------------------------------------------------- check()
@pytest.fixture(scope="module")
def results(demo_workspace):
    from hiworkbook import place_results
    from hiworkbook.teaching import DEFAULT_PLACE

    return place_results(demo_workspace.place(DEFAULT_PLACE), seed=1)


def test_every_stub_is_not_yet_with_a_hint(results) -> None:
    from hiworkbook.teaching import EXERCISES, check

    for ex_id in EXERCISES:
        res = check(ex_id, ..., results)
        assert not res and res.correct is False
        assert "Replace the ..." in res.message and "Hint:" in res.message
        assert "✘ Not yet" in str(res)
        assert 'data-correct="false"' in res._repr_html_()


def _as_text(value) -> list[str]:
    if isinstance(value, float):
        return [f"{value:.1f}", f"{value:.2f}", f"{value:.3f}"]
    if isinstance(value, tuple):
        return [t for v in value for t in _as_text(v)]
    if isinstance(value, set):
        return sorted(value)
    return [str(value)]


def test_expected_answers_pass_and_wrong_ones_get_hints_not_answers(results) -> None:
    from hiworkbook.teaching import EXERCISES, check, expected_answer

    for ex_id, ex in EXERCISES.items():
        if ex.kind in ("workbook", "headline"):
            continue
        exp = expected_answer(ex_id, results)
        assert check(ex_id, exp, results), ex_id
        wrong = {
            "number": lambda e: e + 11,
            "integer": lambda e: e + 3,
            "interval": lambda e: (e[0] - 1, e[1] + 1),
            "bool": lambda e: not e,
            "choice": lambda e: "none of these",
            "set": lambda e: set(e) | {"life_expectancy", "infant_mortality"},
        }[ex.kind](exp)
        res = check(ex_id, wrong, results)
        assert not res, ex_id
        assert res.message
        for t in _as_text(exp):
            if len(t) > 1 and t not in ex.hint and t not in ex.question:
                assert t not in res.message, f"{ex_id} reveals the answer {t}"


def test_numeric_hints_diagnose_common_slips(results) -> None:
    from hiworkbook.teaching import check, expected_answer

    gap = expected_answer("gradient-gap", results)
    assert "sign" in check("gradient-gap", -gap, results).message
    core = expected_answer("imd-core20", results)
    assert "percentage" in check("imd-core20", core / 100, results).message
    crude = expected_answer("dsr-crude", results)
    assert "crude rate" in check("dsr-value", crude, results).message
    assert check("imd-core20", round(core, 1), results)  # one decimal place is accepted
    assert not check("imd-core20", round(core, 1) + 0.1, results)
    assert "whole number" in check("imd-decile1", 2.5, results).message
    assert "True or False" in check("gradient-significant", "yes", results).message


def test_tolerance_is_stated_with_a_right_answer(results) -> None:
    from hiworkbook.teaching import EXERCISES, check, expected_answer

    res = check(
        "rates-proportion", expected_answer("rates-proportion", results), results
    )
    assert EXERCISES["rates-proportion"].tolerance_text in res.message


def test_unknown_exercise_suggests_a_close_one() -> None:
    from hiworkbook.teaching import check

    with pytest.raises(KeyError, match="did you mean 'rates-wilson'"):
        check("rates-wilsen", 1)


# ---------------------------------------------------------------- headline review
def test_headline_check_flags_wrong_numbers_words_and_causes(results) -> None:
    from hiworkbook.teaching import check
    from hiworkbook.teaching.lessons import check_headline

    s = results.summary().set_index("indicator_id").loc["mortality_u75"]
    assert (
        s["comparison"] == "similar"
    )  # the demo place's default, which the lesson relies on
    good = (
        f"In {results.period}, under-75 mortality in {results.place.name} was "
        f"{s['value']:.1f} per 100,000, similar to England ({s['comparator_value']:.1f})."
    )
    assert check_headline(good, results, "mortality_u75").ok
    assert check("narrative-headline", good, results)
    typo = good.replace(f"{s['value']:.1f}", f"{s['value'] + 7:.1f}")
    assert "not a number in the results" in str(
        check_headline(typo, results, "mortality_u75")
    )
    worse = good.replace("similar to", "significantly worse than")
    assert "do not call it worse" in str(
        check_headline(worse, results, "mortality_u75")
    )
    causal = good[:-1] + ", because of deprivation."
    review = check_headline(causal, results, "mortality_u75")
    assert any("claims a cause" in p for p in review.problems)
    assert not check("narrative-headline", causal, results)
    hyp = results.summary().set_index("indicator_id").loc["hypertension_detection"]
    assert hyp["comparison"] == "worse"
    weak = f"Hypertension detection was {hyp['value']:.1f}%, worse than England."
    assert any(
        "significantly" in p
        for p in check_headline(weak, results, "hypertension_detection").problems
    )


def test_sii_sentence_keeps_the_sign_and_says_which_end(results) -> None:
    from hiworkbook.teaching.lessons import signed_sii_sentence

    s = results.sii.set_index("indicator_id").loc["mortality_u75", "sii"]
    assert s < 0  # higher mortality in more deprived areas
    text = signed_sii_sentence(results, "mortality_u75")
    assert text.startswith(f"SII −{abs(s):,.1f} per 100,000")
    assert "lower at the least deprived end than at the most deprived end" in text
    assert "least deprived minus most deprived" in text


def test_poisson_table_matches_the_published_formulas() -> None:
    """Exact limits for 0 and 4 events worked by hand from the chi-squared definition (PHE
    Technical Guide): upper(0) = -ln(0.025) = 3.6889; lower(4) = chi2(0.025, 8)/2 = 1.0899,
    upper(4) = chi2(0.975, 10)/2 = 10.2416."""
    from hiworkbook.teaching.lessons import poisson_methods

    t = poisson_methods((0, 4, 10)).set_index("count")
    assert t.loc[0, "exact_upper"] == pytest.approx(3.6889, abs=1e-4)
    assert t.loc[4, "exact_lower"] == pytest.approx(1.0899, abs=1e-4)
    assert t.loc[4, "exact_upper"] == pytest.approx(10.2416, abs=1e-4)
    assert t["phe_method"].tolist() == ["Exact", "Exact", "Byar's"]


# ---------------------------------------------------------------- the broken workbook
@pytest.fixture(scope="module")
def broken_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hiworkbook.teaching import broken_workbook

    return broken_workbook(tmp_path_factory.mktemp("teach") / "broken").parent


def test_broken_workbook_reports_its_planted_problems(broken_dir: Path) -> None:
    from hiworkbook.teaching import validate_workbook
    from hiworkbook.teaching.broken import PROBLEMS

    report = validate_workbook(broken_dir)
    assert not report.ok
    text = str(report)
    assert "populaton.csv" in text and "population.csv" in text  # did you mean
    assert "'femal'" in text and "negative" in text.lower() and "duplicate" in text
    for pid, p in PROBLEMS.items():
        assert p.remaining(broken_dir), pid
    assert (
        "Synthetic" in (broken_dir / "README.md").read_text()
        or "synthetic" in (broken_dir / "README.md").read_text()
    )


def test_fixes_are_verified_and_wrong_fixes_are_not(
    broken_dir: Path, tmp_path: Path
) -> None:
    import pandas as pd

    from hiworkbook.teaching import check, remaining_problems, validate_workbook

    d = tmp_path / "copy"
    shutil.copytree(broken_dir, d)
    toml = d / "workbook.toml"
    toml.write_text(toml.read_text().replace("populaton.csv", "population.csv"))
    assert check("broken-toml", d)
    assert "85-90" in str(validate_workbook(d))  # now the population file is read
    counts = pd.read_csv(d / "counts.csv", dtype=str, keep_default_na=False)
    counts.loc[counts["sex"] == "femal", "sex"] = (
        "male"  # a wrong fix: still not the data
    )
    counts.to_csv(d / "counts.csv", index=False, lineterminator="\n")
    assert not check("broken-sex", d)
    counts.loc[counts["sex"] == "male", "sex"] = "male"
    counts = pd.read_csv(d / "counts.csv", dtype=str, keep_default_na=False)
    counts["numerator"] = counts["numerator"].str.lstrip("-")
    counts = counts.drop_duplicates()
    counts.to_csv(d / "counts.csv", index=False, lineterminator="\n")
    assert check("broken-negative", d) and check("broken-duplicate", d)
    assert not check("broken-all", d)
    pop = pd.read_csv(d / "population.csv", dtype=str, keep_default_na=False)
    pop.loc[pop["age_band"] == "85-90", "age_band"] = "85-89"
    pop.to_csv(d / "population.csv", index=False, lineterminator="\n")
    assert check("broken-age_band", d)
    left = remaining_problems(
        d
    )  # the wrong sex made a real duplicate, and is still wrong
    assert len(left) == 2 and "duplicate rows" in left[0]
    assert left[1] == "counts.csv still has a sex value hiworkbook does not recognise."


def test_broken_workbook_never_replaces_other_folders(tmp_path: Path) -> None:
    from hiworkbook.teaching import broken_workbook

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        broken_workbook(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


# ---------------------------------------------------------------- reset and the CLI
def test_reset_restores_only_the_course_notebooks(tmp_path: Path) -> None:
    from hiworkbook.teaching import COURSE, reset

    dest = tmp_path / "learner"
    assert len(reset(dest)) == len(COURSE)
    first = dest / COURSE[0].filename
    first.write_text("my edits")
    (dest / "my_notes.md").write_text("notes")
    assert reset(dest, keep_existing=True) == []
    assert first.read_text() == "my edits"
    written = reset(dest, lessons=[1])
    assert written == [first]
    assert first.read_bytes() == (COURSE_DIR / COURSE[0].filename).read_bytes()
    assert (dest / "my_notes.md").read_text() == "notes"
    backups = list((dest / ".reset-backup").rglob(COURSE[0].filename))
    assert len(backups) == 1 and backups[0].read_text() == "my edits"


def test_cli_teach_reset_and_help(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "hiworkbook", *args], capture_output=True, text=True
        )

    assert "reset" in run("teach", "--help").stdout
    out = run("teach", "reset", str(tmp_path / "c"), "--lesson", "2")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "c" / "02_counts_rates_and_intervals.ipynb").is_file()
    bad = run("teach", "reset", str(tmp_path / "c"), "--lesson", "9")
    assert bad.returncode == 1 and "no lesson 9" in bad.stderr
    assert "Traceback" not in bad.stderr


# ---------------------------------------------------------------- running the course
def _run(path: Path, out: Path, demo_config: Path, tmp: Path):
    import papermill as pm

    params = (
        {"folder": str(tmp / "broken")}
        if path.name.startswith("07")
        else {"config": str(demo_config)}
    )
    return pm.execute_notebook(
        str(path),
        str(out),
        parameters=params,
        kernel_name="python3",
        progress_bar=False,
    )


def _check_outputs(nb) -> list[str]:
    out = []
    for c in nb.cells:
        if c.cell_type == "code" and CHECK_RE.search(c.source):
            texts = [
                o.get("data", {}).get("text/plain", "") for o in c.get("outputs", [])
            ]
            out.append("\n".join(texts))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_runs_under_papermill_and_every_check_is_right(
    path: Path, demo_config: Path, tmp_path: Path
) -> None:
    nb = _run(path, tmp_path / path.name, demo_config, tmp_path)
    errors = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    checks = _check_outputs(nb)
    assert len(checks) == len(_check_ids(path))
    for ex_id, text in zip(_check_ids(path), checks, strict=True):
        assert f"✔ Right ({ex_id})" in text, text


@pytest.mark.slow
@pytest.mark.parametrize("path", LEARNER, ids=lambda p: p.name)
def test_learner_runs_and_every_check_says_not_yet(
    path: Path, demo_config: Path, tmp_path: Path
) -> None:
    nb = _run(path, tmp_path / path.name, demo_config, tmp_path)
    checks = _check_outputs(nb)
    assert len(checks) == len(_check_ids(path))
    for ex_id, text in zip(_check_ids(path), checks, strict=True):
        assert f"✘ Not yet ({ex_id})" in text, text
