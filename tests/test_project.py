"""House rules that keep the project as documented: dependencies in step, notebooks clean, commands
where the README says they are."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    p
    for p in (ROOT / "notebooks").glob("**/*.ipynb")
    if "local" not in p.relative_to(ROOT / "notebooks").parts
    and ".ipynb_checkpoints" not in p.parts
)


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        _name(r)
        for r in pyproject["dependencies"] + pyproject["optional-dependencies"]["test"]
    }
    env = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    entries = re.findall(r"^\s+- (.+)$", env, re.M)
    listed = {
        _name(e)
        for e in entries
        if not e.endswith(":") and not e.startswith(("python", "pip", "-e"))
    }
    assert wanted - listed == set(), (
        f"in pyproject.toml but not environment.yml: {wanted - listed}"
    )
    assert listed - wanted == set(), (
        f"in environment.yml but not pyproject.toml: {listed - wanted}"
    )


@pytest.mark.parametrize(
    "path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "notebooks"))
)
def test_notebook_is_thin_and_clean(path: Path) -> None:
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(
        not c.get("outputs") and c.get("execution_count") is None for c in code
    ), "strip outputs"
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    for line in "".join(tagged[0]["source"]).splitlines():
        if line.strip():
            assert "#" in line, f"parameter without an inline comment: {line}"
            ast.parse(line.split("#")[0])  # a literal assignment
    for c in code:
        tree = ast.parse("".join(c["source"]))
        assert not any(
            isinstance(n, ast.FunctionDef | ast.ClassDef) for n in ast.walk(tree)
        ), "no def in notebooks"
        assert "sys.path" not in "".join(c["source"])


def test_readme_starts_with_the_two_commands() -> None:
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:25])
    assert "make demo" in head and "make test" in head
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_make_help_lists_every_target() -> None:
    out = subprocess.run(
        ["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    targets = re.findall(
        r"^([a-z][a-z-]+):.*## ", (ROOT / "Makefile").read_text(), re.M
    )
    assert targets and all(f"make {t}" in out for t in targets)


def test_generated_outputs_are_ignored() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert not [
        t for t in tracked if t.startswith("reports/") and t != "reports/README.md"
    ]
    assert not [t for t in tracked if t.startswith("data/demo/")]
