"""The command line: --help, init, validate (one readable list, exit 1, no traceback), places."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hiworkbook", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_help_lists_commands() -> None:
    out = _run("--help")
    assert out.returncode == 0
    for cmd in ("demo", "run", "validate", "places", "init", "generate-demo"):
        assert cmd in out.stdout
    assert "--parameter" in _run("run", "--help").stdout


def test_init_writes_a_template_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "wb" / "workbook.toml"
    assert _run("init", str(target)).returncode == 0
    text = target.read_text()
    assert "[files]" in text and "min_count" in text
    again = _run("init", str(target))
    assert again.returncode == 1 and "not overwritten" in again.stderr
    assert target.read_text() == text


def test_validate_ok_and_places(demo_config: Path) -> None:
    out = _run("validate", str(demo_config))
    assert out.returncode == 0, out.stderr
    assert "no fatal problems" in out.stdout and "600 small areas" in out.stdout
    places = _run("places", str(demo_config)).stdout
    assert "X06000001" in places and "X54000001" in places


def test_validate_lists_every_problem_without_traceback(
    demo_config: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "workbook.toml"
    text = demo_config.read_text().replace(
        'lookup = "lookup.csv"', 'lookup = "lookups.csv"'
    )
    text = text.replace("[disclosure]", "[disclosure]\nmin_count = -2\n[disclosur]")
    text = text.replace("min_count = 5", "")
    bad.write_text(text)
    # paths are relative to the config: link the demo's files beside the broken copy
    for f in demo_config.parent.iterdir():
        if f.name != "workbook.toml":
            (tmp_path / f.name).symlink_to(f)
    out = _run("validate", str(bad))
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "lookups.csv, which does not exist" in out.stderr
    assert "min_count is -2" in out.stderr
    assert "unknown section [disclosur]" in out.stderr
    assert out.stderr.startswith("3 problems must be fixed")
