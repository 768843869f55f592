"""Helpers for the batch tests: a tiny place notebook that can misbehave on purpose, a hook that
reads which kernel ran a place, and the process tree of a run (Linux ``/proc``)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

PARAMETERS = """\
config: str = ""  # workbook.toml
place_code: str = ""  # the place
failures: dict = {}  # place code -> "raise" | "hang" | "exit"
sleep: float = 0.0  # seconds each place takes
"""


def write_test_notebook(path: Path) -> Path:
    """A place notebook that imports nothing heavy. It prints its kernel's pid, says whether it
    saw a name left by an earlier notebook (``LEAK``), warns once, and fails as ``failures`` asks
    for its place: raise, hang, or kill its kernel."""
    nb = new_notebook(
        cells=[
            new_code_cell("import os\nimport time\nimport warnings"),
            new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
            new_code_cell(
                'print("LEAK" if "marker" in globals() else "fresh")\n'
                "marker = place_code\n"
                'warnings.warn("shown for every place")\n'
                'print("kernel", os.getpid())'
            ),
            new_code_cell(
                "time.sleep(sleep)\n"
                "mode = failures.get(place_code)\n"
                'if mode == "raise":\n'
                '    raise ValueError(f"broken place {place_code}")\n'
                'if mode == "hang":\n'
                "    time.sleep(3600)\n"
                'if mode == "exit":\n'
                "    os._exit(3)"
            ),
            new_markdown_cell("A test report."),
            new_code_cell("place_code"),
        ],
        metadata={
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3",
                "language": "python",
            }
        },
    )
    nbformat.write(nb, path)
    return path


def record_kernel(nb, outcome, html_path) -> None:
    """after_report hook: the kernel pid, leak flag and warning the notebook printed."""
    text = "".join(
        o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream"
    )  # fmt: skip
    m = re.search(r"kernel (\d+)", text)
    outcome.extra["kernel_pid"] = int(m.group(1)) if m else None
    outcome.extra["leak"] = "LEAK" in text
    outcome.extra["warned"] = "shown for every place" in text
    outcome.extra["html_exists"] = Path(html_path).is_file()


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (zombies count as gone)."""
    out = set()
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(p)
    return out


def wait_gone(pids: set[int], seconds: float) -> set[int]:
    """Wait up to ``seconds`` for ``pids`` to exit; return those still alive."""
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive(pids)
