"""Write every notebook in notebooks/ from its cell sources (no outputs).

Each module in ``scripts/notebook_sources/`` defines ``NOTEBOOKS``, a mapping of a path relative to
``notebooks/`` to a list of nbformat cells. One module per notebook (or per family of notebooks,
such as a course whose learner and solution versions come from one source), so the notebooks'
structure is reviewed as Python. Regenerate with ``make notebooks``.
"""

import importlib.util
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook

ROOT = Path(__file__).resolve().parents[1]
SOURCES = Path(__file__).resolve().parent / "notebook_sources"


def write_notebook(relpath: str, cells: list) -> Path:
    """Write ``notebooks/<relpath>`` with a python3 kernelspec and stable cell ids."""
    nb = new_notebook(cells=[nbformat.from_dict(dict(c)) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i:02d}"
    out = ROOT / "notebooks" / relpath
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


def load_sources() -> dict[str, list]:
    """Every notebook the sources define: ``{path relative to notebooks/: cells}``."""
    notebooks: dict[str, list] = {}
    for src in sorted(SOURCES.glob("[!_]*.py")):
        spec = importlib.util.spec_from_file_location(f"_nbsrc_{src.stem}", src)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        for rel, cells in module.NOTEBOOKS.items():
            if rel in notebooks:
                raise SystemExit(f"{src.name}: {rel} is defined twice")
            notebooks[rel] = cells
    return notebooks


if __name__ == "__main__":
    for rel, cells in load_sources().items():
        print(write_notebook(rel, cells))
