"""Keep what a notebook shows: every table it displays written as CSV beside its output.

The exploring notebooks (``explore``, ``core20plus5``) end with one call::

    hw.export.save_tables(views.tables(), output_dir)

so an analyst keeps the numbers behind each view. Files are written atomically (a temporary file
renamed into place), so a failed run never leaves half a CSV.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

import pandas as pd

from hiworkbook import paths

_log = logging.getLogger(__name__)

__all__ = ["save_tables", "default_dir"]


def default_dir(notebook: str, place_code: str) -> Path:
    """Where a notebook's tables go when its ``output_dir`` parameter is empty:
    ``<reports>/<notebook>/<place_code>`` (``HIWORKBOOK_OUTPUT`` sets ``<reports>``)."""
    return paths.output_dir() / notebook / place_code


def save_tables(
    tables: dict[str, pd.DataFrame],
    output_dir: str | Path,
    *,
    synthetic: bool = False,
) -> list[Path]:
    """Write each table to ``<output_dir>/<name>.csv`` (UTF-8, no index), atomically.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        File stem (letters, digits, ``_`` and ``-``; other characters become ``_``) → table.
        Geometry columns are dropped.
    output_dir : str or Path
        Created if missing.
    synthetic : bool, default False
        Add a ``data_note`` column saying the numbers are synthetic demonstration data, so the
        label travels with the file.

    Returns
    -------
    list of Path
        The files written, in the order given.
    """
    out_dir = Path(output_dir).expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", str(name)).strip("_") or "table"
        frame = pd.DataFrame(table).drop(columns=["geometry"], errors="ignore")
        if synthetic:
            frame = frame.assign(data_note="synthetic demonstration data")
        target = out_dir / f"{stem}.csv"
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{stem}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                frame.to_csv(fh, index=False)
            Path(tmp).replace(target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(target)
    _log.info("wrote %d table(s) to %s", len(written), out_dir)
    return written
