"""Machine-readable figures written beside a report, so analysts can reuse the numbers and checks
need not read HTML.

:func:`save_results` writes a place's result table — the same table every view of the report is
drawn from, with disclosure control already applied (:mod:`hiworkbook.disclosure`), so a file
never holds a number the report withholds — as CSV (UTF-8, one header row, empty cells for
missing or suppressed values) and, when pyarrow is installed, as Parquet. The slope index of
inequality and the population by deprivation quintile are written beside it. Files are written
atomically (a temporary file renamed into place): a failed run never leaves half a file.

:func:`save_tables` keeps what an exploring notebook shows: every table it displays written as CSV
beside its output (``explore``, ``core20plus5``, ``indicator_deep_dive`` end with
``hw.export.save_tables(views.tables(), output_dir)``).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
from pathlib import Path

import pandas as pd

from hiworkbook import paths

__all__ = ["save_results", "results_file_stem", "save_tables", "default_dir"]

_log = logging.getLogger(__name__)


def results_file_stem(results) -> str:
    """The file name stem of a place's figures: ``<place code>_<period>_results``."""
    safe = "".join(
        ch if ch.isalnum() or ch in "-_" else "-"
        for ch in f"{results.place.code}_{results.period}"
    )
    return f"{safe}_results"


def _atomic(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _write_table(frame: pd.DataFrame, stem: Path, parquet: bool) -> list[Path]:
    out = [
        _atomic(
            stem.with_suffix(".csv"),
            lambda p: frame.to_csv(p, index=False, encoding="utf-8"),
        )
    ]
    if parquet:
        # object columns with mixed content (pd.NA beside text) are written as text
        pq = frame.copy()
        for col in pq.columns:
            if pq[col].dtype == object:
                pq[col] = pq[col].astype("string")
        out.append(
            _atomic(
                stem.with_suffix(".parquet"), lambda p: pq.to_parquet(p, index=False)
            )
        )
    return out


def save_results(results, output_dir: str | Path | None) -> list[Path]:
    """Write a place's result table (and its SII and deprivation profile) beside its report.

    Parameters
    ----------
    results : hiworkbook.results.PlaceResults
        The place's results; disclosure control is already applied to ``results.table``.
    output_dir : str or Path or None
        The folder to write into (a batch run passes the place's report folder). Empty or None:
        nothing is written (an analyst exploring in JupyterLab).

    Returns
    -------
    list of Path
        The files written: ``<place>_<period>_results.csv`` (the result table,
        :data:`hiworkbook.results.RESULT_COLUMNS`), ``…_sii.csv`` (slope and relative index of
        inequality per indicator and sex, least deprived minus most deprived),
        ``…_deprivation.csv`` (residents by national IMD quintile), and the same as ``.parquet``
        when pyarrow is installed.
    """
    if not output_dir:
        return []
    folder = Path(output_dir)
    stem = folder / results_file_stem(results)
    parquet = importlib.util.find_spec("pyarrow") is not None
    written = _write_table(results.table, stem, parquet)
    base = stem.name.removesuffix("_results")
    if len(results.sii):
        written += _write_table(results.sii, folder / f"{base}_sii", parquet)
    written += _write_table(
        results.deprivation.assign(place_code=results.place.code),
        folder / f"{base}_deprivation",
        parquet,
    )
    _log.info("figures written: %s", ", ".join(p.name for p in written))
    return written


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
        _atomic(target, lambda p, f=frame: f.to_csv(p, index=False, encoding="utf-8"))
        written.append(target)
    _log.info("wrote %d table(s) to %s", len(written), out_dir)
    return written
