"""Reading the CSV and Excel files users bring, robustly, with every problem recorded.

Shared by every loader in :mod:`hiworkbook.io`:

- :func:`read_table` reads a CSV (plain or gzipped; UTF-8, UTF-8 with BOM, UTF-16, or Windows-1252
  with a warning; comma, semicolon, tab or pipe separated) or an Excel workbook (.xlsx) into a
  DataFrame of *strings*, cleans the headers (whitespace, quotes, BOM remnants), finds the header row
  when title rows sit above it, and adds a ``_row`` column holding each row's file row number
  (header = row 1) so messages can point at rows as a spreadsheet shows them.
- :func:`find_column` / :func:`resolve_columns` find columns among known aliases,
  case- and punctuation-insensitively, and say "did you mean" when one is missing.
- :func:`to_numbers` turns text into numbers: thousands separators ("29,199"), integers written as
  floats ("3.0"), empty cells and suppression markers, with errors for fractional or negative
  values where they cannot be.

Nothing here writes anywhere; the user's files are only ever opened for reading.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hiworkbook.validate import ProblemLog, did_you_mean, format_values

__all__ = [
    "ROW",
    "read_table",
    "norm",
    "find_column",
    "resolve_columns",
    "to_numbers",
    "clean_codes",
    "label_for",
    "normalise_period",
]

ROW = "_row"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
NA_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a"})
SUPPRESSED_TOKENS = frozenset(
    {"*", "c", "x", "..", ":", "-", "~", "[c]", "[x]", "[z]", "[u]", "[low]"}
)
_CODE_RE = re.compile(r"^[A-Z][0-9]{8}$")


def label_for(path: str | Path, label: str | None) -> str:
    """The file name to show in messages: the user's own wording when known."""
    return label or Path(str(path)).name


def norm(name: object) -> str:
    """Normalise a column name for matching: lower case, letters and digits only.

    Examples
    --------
    >>> norm(" LSOA code (2011) ")
    'lsoacode2011'
    """
    return re.sub(r"[^a-z0-9+]+", "", str(name).lower())


def _clean_header(value: object) -> str:
    text = "" if value is None else str(value)
    text = (
        text.replace("\ufeff", "")
        .replace("\u00a0", " ")
        .replace("\r", " ")
        .replace("\n", " ")
    )
    text = text.strip()
    for _ in range(2):
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            text = text[1:-1].strip()
    return re.sub(r"\s+", " ", text)


# ---------------------------------------------------------------------------- raw bytes
def _read_bytes(path: Path, log: ProblemLog, label: str) -> bytes | None:
    if not path.exists():
        log.error(
            f"does not exist (looked for {path}).",
            file=label,
            fix="Check the path and the file name; relative paths are relative to the workbook config.",
        )
        return None
    if path.is_dir():
        log.error(
            "is a folder, not a file.",
            file=label,
            fix="Name the file inside the folder.",
        )
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.error(
            f"cannot be read: {exc.strerror}.",
            file=label,
            fix="Check the file's permissions.",
        )
        return None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            log.error(
                "is a damaged gzip file.",
                file=label,
                fix="Download or export it again.",
            )
            return None
    return data


def _decode(data: bytes, log: ProblemLog, label: str) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            data = body  # a BOM, then not UTF-8: fall through to cp1252
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            log.error(
                "starts like UTF-16 text but cannot be decoded.",
                file=label,
                fix="Save it as CSV UTF-8.",
            )
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[max(0, exc.start - 20) : exc.start + 20]
        try:
            text = data.decode("cp1252")
            enc = "Windows-1252 (cp1252)"
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            enc = "Latin-1"
        sample = bad.decode("cp1252", errors="replace").strip()
        log.warning(
            f"is not UTF-8; read it as {enc}, the encoding Excel uses for 'CSV' on Windows "
            f"(first non-UTF-8 text: '{sample}'). Check that names with accents or £ read correctly.",
            file=label,
            fix="Save the file as 'CSV UTF-8 (Comma delimited)' to silence this warning.",
        )
        return text


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:10] if ln.strip()]
    best, best_n = ",", 0
    for d in (",", ";", "\t", "|"):
        n = max((ln.count(d) for ln in lines), default=0)
        if n > best_n:
            best, best_n = d, n
    return best


def _csv_grid(text: str) -> pd.DataFrame | str:
    """Parse CSV text into a grid of strings, one grid row per file row (blank lines kept)."""
    sep = _sniff_delimiter(text)
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, ValueError):
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=sep))
        except csv.Error as exc:
            return f"cannot be read as CSV: {exc}"
        width = max((len(r) for r in rows), default=0)
        grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    return grid.fillna("").astype(object)


_HEAD_BYTES = 1 << 16
_EDGE_SPACE = re.compile(r"^\s|\s$")


def _arrow_body(
    data: bytes, header_row: int | None, expect: Sequence[str]
) -> tuple[list[str], pd.DataFrame] | None:
    """A plain CSV's header and body, parsed by pyarrow into categorical columns; None when the
    string path must read it.

    Taken only when the result is cell for cell what :func:`_csv_grid` and :func:`read_table`
    would give: UTF-8 (with or without a BOM) with no NUL byte; the header in the first row
    (as :func:`_header_index` finds it); the same number of cells in every row (a blank line is
    a blank row, as there); no cell with leading or trailing white space (the string path's
    stripping then changes nothing). Rows are numbered by CSV record, as pandas numbers them. Anything else, including any pyarrow parse error, returns
    None. The body's columns are numbered 0, 1, … with a ``_row`` column (file row numbers).
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        return None
    head_bytes = data[start : start + _HEAD_BYTES]
    whole = start + _HEAD_BYTES >= len(data)
    if not whole:  # complete lines only
        head_bytes = head_bytes[: head_bytes.rfind(b"\n") + 1]
    try:
        head = head_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not whole and head.count("\n") < 31:
        return None  # very long lines: the header search needs 30 rows
    sep = _sniff_delimiter(head)
    grid = _csv_grid(head)
    if isinstance(grid, str) or grid.empty:
        return None
    h = _header_index(grid, header_row, expect)
    if h != 0:
        return None
    cells = [str(v) for v in grid.iloc[0].tolist()]
    if any(_EDGE_SPACE.search(c) for c in cells):
        return None
    header = [_clean_header(v) for v in cells]
    names = [f"c{i}" for i in range(len(header))]
    text = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=1,
                use_threads=True,
                skip_rows_after_names=0,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=sep, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, text),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if table.num_rows == 0:
        return None
    table = table.unify_dictionaries()
    body: dict[object, object] = {}
    for i, name in enumerate(names):
        chunks = [c for c in table.column(name).chunks if len(c)]
        values = chunks[0].dictionary.to_pylist()
        if any(_EDGE_SPACE.search(v) for v in values):
            return (
                None  # padded cells: the string path strips every cell of such a file
            )
        codes = np.concatenate(
            [c.indices.to_numpy(zero_copy_only=False) for c in chunks]
        )
        body[i] = pd.Categorical.from_codes(
            codes, categories=pd.Index(values, dtype=object), validate=False
        )
    frame = pd.DataFrame(body)
    frame[ROW] = np.arange(2, 2 + len(frame))
    return header, frame


def is_categorical(values: pd.Series) -> bool:
    """Whether a column came from the categorical reader (:func:`read_table` ``categories``)."""
    return isinstance(values.dtype, pd.CategoricalDtype)


def by_value(values: pd.Series, fn: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """Apply a cell-by-cell function to a column, computing it once per distinct value when the
    column is categorical.

    ``fn`` takes and returns a Series of the same length whose every element depends only on the
    element at the same place (stripping, parsing, mapping). For a categorical column it runs on
    the categories (as an object Series) and the result is spread back to the rows through the
    codes: categorical again when ``fn`` returns text, plain otherwise. For any other column it is
    ``fn(values)``.
    """
    if not is_categorical(values):
        return fn(values)
    cats = pd.Series(values.cat.categories.to_numpy(dtype=object), dtype=object)
    done = fn(cats)
    codes = values.cat.codes.to_numpy()
    if isinstance(done, pd.Series) and (
        done.dtype == object or isinstance(done.dtype, pd.StringDtype)
    ):
        new_codes, uniques = pd.factorize(
            done.to_numpy(dtype=object), use_na_sentinel=True
        )
        cat = pd.Categorical.from_codes(
            np.where(codes >= 0, new_codes[codes], -1),
            categories=pd.Index(uniques, dtype=object),
            validate=False,
        )
        return pd.Series(cat, index=values.index, name=values.name)
    out = done.take(codes) if (codes >= 0).all() else done.reindex(codes)
    out.index = values.index
    return out.rename(values.name) if isinstance(out, pd.Series) else out


def as_objects(values: pd.Series) -> pd.Series:
    """A categorical column as plain Python objects (each distinct text object shared by its
    rows, so memory is one pointer per cell); other columns unchanged."""
    if not is_categorical(values):
        return values
    codes = values.cat.codes.to_numpy()
    cats = np.append(values.cat.categories.to_numpy(dtype=object), np.nan)
    arr = cats.take(np.where(codes >= 0, codes, len(cats) - 1))
    return pd.Series(arr, index=values.index, name=values.name, dtype=object)


def _excel_cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        if np.isfinite(v) and v == int(v):
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _excel_grid(
    source: Path | bytes,
    sheet: str | int | None,
    expect: Sequence[str],
    log: ProblemLog,
    label: str,
) -> pd.DataFrame | None:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(
            io.BytesIO(source) if isinstance(source, bytes) else source,
            read_only=True,
            data_only=True,
        )
    except Exception as exc:  # openpyxl raises many kinds of errors for damaged files
        log.error(
            f"cannot be opened as an Excel workbook ({type(exc).__name__}: {exc}).",
            file=label,
            fix="Open it in Excel and save it again as .xlsx (Excel Workbook), or export the sheet as CSV UTF-8.",
        )
        return None
    try:
        names = wb.sheetnames
        if sheet is not None:
            if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit()):
                i = int(sheet) - 1
                if not 0 <= i < len(names):
                    log.error(
                        f"has {len(names)} sheet(s); there is no sheet number {sheet}.",
                        file=label,
                        fix=f"Sheets are: {format_values(names, 10)}.",
                    )
                    return None
                chosen = names[i]
            elif sheet in names:
                chosen = sheet
            else:
                log.error(
                    f"has no sheet named '{sheet}'{did_you_mean(str(sheet), names)}.",
                    file=label,
                    fix=f'Sheets are: {format_values(names, 10)}. Set sheet = "…" to one of them.',
                )
                return None
            grids = {chosen: _sheet_rows(wb[chosen])}
        else:
            grids = {}
            chosen = names[0]
            wanted = {norm(e) for e in expect}
            for name in names:
                rows = _sheet_rows(wb[name])
                grids[name] = rows
                if wanted and any(norm(c) in wanted for r in rows[:30] for c in r):
                    chosen = name
                    break
                if not wanted:
                    break
    finally:
        wb.close()
    rows = grids[chosen]
    if not rows:
        return pd.DataFrame()
    width = max(len(r) for r in rows)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


def _sheet_rows(ws: object) -> list[list[str]]:
    rows = [[_excel_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]  # type: ignore[attr-defined]
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    return rows


# ---------------------------------------------------------------------------- read_table
def read_table(
    path: str | Path,
    *,
    log: ProblemLog,
    label: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    expect: Iterable[str] = (),
    categories: bool = False,
) -> pd.DataFrame | None:
    """Read a CSV or Excel file into a DataFrame of strings with file row numbers.

    Parameters
    ----------
    path : str or Path
        A ``.csv``/``.txt``/``.tsv`` file (optionally gzipped) or an ``.xlsx`` workbook.
    log : ProblemLog
        Where problems are recorded.
    label : str, optional
        The file's name as the user wrote it, for messages (default the file name).
    sheet : str or int, optional
        Excel only: the sheet's name, or its number counting from 1. By default the first sheet
        whose first 30 rows contain one of ``expect``, else the first sheet.
    header_row : int, optional
        The file row holding the column names (1 = first row). By default row 1, unless ``expect``
        names a column that only appears further down (title rows above the table).
    expect : iterable of str
        Column names that identify the header row (any one is enough).
    categories : bool, default False
        For large tables (counts, populations): a plain UTF-8 CSV whose header is its first row
        is parsed by pyarrow's multi-threaded CSV reader into *categorical* columns (each distinct
        text stored once, :func:`_arrow_body`), so the loaders' checks run once per distinct value
        (:func:`by_value`) instead of once per cell. The cells' text is the same as without it;
        any file the fast reader cannot take exactly as the string path would (title rows, blank
        lines, ragged rows, padded cells, quoted line breaks, another encoding, Excel) is read
        by the string path, so every message names the same file, column and rows.

    Returns
    -------
    pandas.DataFrame or None
        Every cell as a stripped string (``""`` when empty), cleaned column names, and a ``_row``
        column with each row's file row number. Fully blank rows are dropped. None when the file
        cannot be read or has no data rows (the reason is in ``log``). With ``categories`` the
        text columns may be categorical (same values).
    """
    path = Path(path)
    label = label_for(path, label)
    expect = list(expect)
    is_excel = path.suffix.lower() in EXCEL_SUFFIXES
    text = ""
    if path.suffix.lower() == ".xls":
        log.error(
            "is an old-style Excel .xls workbook, which hiworkbook does not read.",
            file=label,
            fix="Open it in Excel and save it as .xlsx (Excel Workbook) or as CSV UTF-8.",
        )
        return None
    data = _read_bytes(path, log, label)
    if data is None:
        return None
    if not data.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        log.error(
            "is empty.",
            file=label,
            fix="Export the data again; the file has no header and no rows.",
        )
        return None
    if data[:4] == b"\xd0\xcf\x11\xe0":
        log.error(
            "is an old-style Excel .xls workbook (whatever its name says).",
            file=label,
            fix="Open it in Excel and save it as .xlsx (Excel Workbook) or as CSV UTF-8.",
        )
        return None
    if data[:4] == b"PK\x03\x04" and not is_excel:
        log.warning(
            "is an Excel workbook saved under a non-Excel name; read it as .xlsx.",
            file=label,
            fix="Rename it to .xlsx, or export the sheet as CSV UTF-8.",
        )
        is_excel = True
    if is_excel:
        grid = _excel_grid(data, sheet, expect, log, label)
        if grid is None:
            return None
    else:
        fast = _arrow_body(data, header_row, expect) if categories else None
        if fast is not None:
            header, body = fast
            return _finish_table(header, body, 0, label, log)
        text = _decode(data, log, label)
        if text is None:
            return None
        if "\x00" in text:
            log.error(
                "is not a text (CSV) file.",
                file=label,
                fix="Export the data as CSV UTF-8 or .xlsx.",
            )
            return None
        grid = _csv_grid(text)
        if isinstance(grid, str):
            log.error(
                grid,
                file=label,
                fix="Check the file's quotes and separators, or re-export it.",
            )
            return None
    if grid.empty:
        log.error(
            "is empty.",
            file=label,
            fix="Export the data again; the file has no header and no rows.",
        )
        return None

    if is_excel or _may_need_strip(text):
        grid = grid.astype(str).apply(lambda s: s.str.strip())
    h = _header_index(grid, header_row, expect)
    if h >= len(grid):
        log.error(
            f"has no row {header_row} to take column names from.",
            file=label,
            fix="Correct header_row.",
        )
        return None
    header = [_clean_header(v) for v in grid.iloc[h].tolist()]
    body = grid.iloc[h + 1 :].copy()
    body.columns = range(body.shape[1])
    body[ROW] = np.arange(h + 2, h + 2 + len(body))
    return _finish_table(header, body, h, label, log)


def _finish_table(
    header: list[str], body: pd.DataFrame, h: int, label: str, log: ProblemLog
) -> pd.DataFrame | None:
    """Blank rows dropped, trailing empty unnamed columns dropped, the others named."""
    nonblank = body.drop(columns=ROW).ne("").any(axis=1)
    body = body[nonblank]
    # drop trailing unnamed, empty columns (trailing commas) and name the rest
    names: list[str] = []
    keep: list[int] = []
    seen: dict[str, int] = {}
    dups: list[str] = []
    for i, name in enumerate(header):
        if not name:
            if not body[i].ne("").any():
                continue
            name = f"column {i + 1}"
        key = name.lower()
        if key in seen:
            seen[key] += 1
            dups.append(name)
            name = f"{name} ({seen[key]})"
        else:
            seen[key] = 1
        names.append(name)
        keep.append(i)
    if dups:
        log.warning(
            f"has more than one column named {format_values(dups)}; later ones are read as "
            f"'{dups[0]} (2)' and so on.",
            file=label,
            fix="Give every column a distinct name.",
        )
    out = body[keep + [ROW]]
    out.columns = names + [ROW]
    out = out.reset_index(drop=True)
    if out.empty:
        log.error(
            "has a header row but no data rows.",
            file=label,
            fix="Export the data again, including its rows.",
        )
        return None
    out.attrs["label"] = label
    out.attrs["header_row"] = h + 1
    return out


_PADDED = re.compile(r"(?:^|[,;\t|\"])[ \t\u00a0]|[ \t\u00a0](?:$|[,;\t|\"])", re.M)


def _may_need_strip(text: str) -> bool:
    """Whether any cell might have leading or trailing spaces (a quick test on the raw text)."""
    return bool(_PADDED.search(text))


def _header_index(
    grid: pd.DataFrame, header_row: int | None, expect: Sequence[str]
) -> int:
    if header_row is not None:
        return max(int(header_row) - 1, 0)
    wanted = {norm(e) for e in expect}
    if wanted:
        for i in range(min(30, len(grid))):
            if any(norm(c) in wanted for c in grid.iloc[i].tolist()):
                return i
    for i in range(min(30, len(grid))):
        if grid.iloc[i].ne("").any():
            return i
    return 0


# ---------------------------------------------------------------------------- columns
def find_column(columns: Iterable[str], aliases: Iterable[str]) -> str | None:
    """The first column matching any alias (case, spaces and punctuation ignored), or None.

    Examples
    --------
    >>> find_column(["LSOA Code", "Value"], ["lsoa21_code", "lsoa_code"])
    'LSOA Code'
    """
    by_norm: dict[str, str] = {}
    for c in columns:
        if c == ROW:
            continue
        by_norm.setdefault(norm(c), c)
    for a in aliases:
        hit = by_norm.get(norm(a))
        if hit is not None:
            return hit
    return None


def resolve_columns(
    df: pd.DataFrame,
    wanted: Mapping[str, Sequence[str]],
    *,
    log: ProblemLog,
    label: str,
    required: Iterable[str] = (),
    columns: Mapping[str, str] | None = None,
    what: str = "",
) -> dict[str, str] | None:
    """Find each wanted column among its aliases.

    Parameters
    ----------
    df : pandas.DataFrame
        A table from :func:`read_table`.
    wanted : mapping of str to sequence of str
        Canonical name → aliases (the canonical name itself is always tried first).
    log : ProblemLog
    label : str
        The file's name for messages.
    required : iterable of str
        Canonical names that must be found; a missing one is an error with "did you mean".
    columns : mapping of str to str, optional
        The user's explicit choices (canonical name → the file's column), from the ``columns``
        option; these override aliases.
    what : str
        What kind of file this is, for messages (``"counts file"``).

    Returns
    -------
    dict or None
        Canonical name → the file's column for every column found; None if a required one is missing.
    """
    found: dict[str, str] = {}
    cols = [c for c in df.columns if c != ROW]
    ok = True
    columns = dict(columns or {})
    for key in columns:
        if key not in wanted:
            log.error(
                f"the columns option names '{key}', which this loader does not use"
                f"{did_you_mean(key, list(wanted))}.",
                file=label,
                fix=f"Keys it understands: {', '.join(wanted)}.",
            )
            ok = False
    for key, aliases in wanted.items():
        if key in columns:
            hit = find_column(cols, [columns[key]])
            if hit is None:
                log.error(
                    f"has no column '{columns[key]}' (named for {key} in the columns option)"
                    f"{did_you_mean(columns[key], cols)}.",
                    file=label,
                    fix=f"The file's columns are: {format_values(cols, 12)}.",
                )
                ok = False
                continue
        else:
            hit = find_column(cols, [key, *aliases])
        if hit is not None:
            found[key] = hit
    for key in required:
        if key in found or key in columns:
            continue
        aliases = [key, *wanted.get(key, ())]
        hint = ""
        for a in aliases:
            hint = did_you_mean(a, cols)
            if hint:
                break
        kind = f" {what}" if what else ""
        log.error(
            f"has no '{key}' column{hint}.",
            file=label,
            column=key,
            fix=f"This{kind} needs a {key} column (also recognised: "
            f"{format_values(list(dict.fromkeys(aliases[1:])), 6) or 'none'}). Rename the column, or set "
            f'columns = {{ {key} = "<your column>" }} in the file\'s options. '
            f"The file's columns are: {format_values(cols, 12)}.",
        )
        ok = False
    return found if ok else None


# ---------------------------------------------------------------------------- values
def to_numbers(
    df: pd.DataFrame,
    column: str,
    *,
    log: ProblemLog,
    label: str,
    integer: bool = False,
    allow_missing: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    what: str | None = None,
    severity: str = "error",
) -> pd.Series:
    """Convert a text column to numbers, recording every bad value with its file rows.

    Handles thousands separators (``"29,199"``), surrounding spaces, integers written as floats
    (``"3.0"``); empty cells and ``NA`` become missing (an error unless ``allow_missing``);
    suppression markers (``*``, ``c``, ``x``, ``..``) are reported as such.

    Parameters
    ----------
    df : pandas.DataFrame
        A table from :func:`read_table` (with a ``_row`` column).
    column : str
        The column to convert.
    log : ProblemLog
    label : str
        The file name for messages.
    integer : bool
        Whole numbers expected: fractional values (``3.5``) are errors.
    allow_missing : bool
        Whether empty cells are allowed.
    minimum, maximum : float, optional
        Allowed range (e.g. ``minimum=0`` for counts).
    what : str, optional
        What the values are, for messages (``"counts"``).
    severity : {"error", "warning"}
        How out-of-range values are recorded.

    Returns
    -------
    pandas.Series
        ``Int64`` when ``integer`` else ``float64``; NA where a value was missing or invalid.
    """
    what = what or "values"
    rows = df[ROW] if ROW in df else pd.Series(np.arange(len(df)) + 2, index=df.index)
    parsed = by_value(
        df[column], _parse_numbers
    )  # once per distinct text when categorical
    s, num, empty = parsed["text"], parsed["number"], parsed["empty"]
    bad = num.isna() & ~empty
    if bad.any():
        supp = bad & parsed["suppressed"]
        other = bad & ~supp
        if supp.any():
            log.error(
                f"has suppressed or redacted {what} ({format_values(s[supp])}) where numbers are needed.",
                file=label,
                column=column,
                rows=rows[supp].tolist(),
                fix="Use unsuppressed data (hiworkbook applies disclosure control to its outputs), or remove these rows.",
            )
        if other.any():
            log.error(
                f"has {what} that are not numbers: {format_values(s[other])}.",
                file=label,
                column=column,
                rows=rows[other].tolist(),
                fix="Correct these cells: numbers only, without units or notes.",
            )
    if empty.any() and not allow_missing:
        log.error(
            f"is empty in {int(empty.sum())} row{'s' if empty.sum() != 1 else ''}.",
            file=label,
            column=column,
            rows=rows[empty].tolist(),
            fix=f"Fill in the {what}, or remove these rows.",
        )
    add = log.error if severity == "error" else log.warning
    if integer:
        frac = num.notna() & (num != np.round(num))
        if frac.any():
            add(
                f"has fractional {what} ({format_values(_shown(num[frac]))}) where whole numbers are expected.",
                file=label,
                column=column,
                rows=rows[frac].tolist(),
                fix=f"{what.capitalize()} must be whole numbers; check for rates or averages in this column.",
            )
            num = num.mask(frac)
    if minimum is not None:
        low_mask = num < minimum
        if low_mask.any():
            word = "negative" if minimum == 0 else f"below {minimum:g}"
            add(
                f"has {word} {what}: {format_values(_shown(num[low_mask]))}.",
                file=label,
                column=column,
                rows=rows[low_mask].tolist(),
                fix="Correct or remove these rows.",
            )
    if maximum is not None:
        hi_mask = num > maximum
        if hi_mask.any():
            add(
                f"has {what} above {maximum:g}: {format_values(_shown(num[hi_mask]))}.",
                file=label,
                column=column,
                rows=rows[hi_mask].tolist(),
                fix="Correct or remove these rows.",
            )
    if integer:
        return num.round().astype("Int64")
    return num


def _parse_numbers(values: pd.Series) -> pd.DataFrame:
    """Cell by cell: the stripped text, whether it is empty (or an NA word), the number it
    holds (NaN when none; thousands separators and spaces allowed) and whether it is a
    suppression marker."""
    s = values.astype(str).str.strip()
    low = s.str.lower()
    empty = low.isin(NA_TOKENS)
    num = pd.to_numeric(s.mask(empty), errors="coerce").astype("float64")
    bad = num.isna() & ~empty
    if bad.any():
        cleaned = (
            s[bad]
            .str.replace(r"(?<=\d),(?=\d{3}(\D|$))", "", regex=True)
            .str.replace(" ", "")
        )
        num.loc[bad] = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    return pd.DataFrame(
        {
            "text": s.astype(object),
            "empty": empty,
            "number": num,
            "suppressed": low.isin(SUPPRESSED_TOKENS),
        },
        index=values.index,
    )


def _shown(values: pd.Series) -> list[object]:
    """Numbers as a person wrote them: 3.0 → 3, 3.5 → 3.5."""
    return [int(v) if float(v).is_integer() else v for v in values.tolist()]


def clean_codes(
    df: pd.DataFrame,
    column: str,
    *,
    log: ProblemLog,
    label: str,
    what: str = "area codes",
    allow_missing: bool = False,
) -> pd.Series:
    """Upper-case and strip area codes, and report codes that are not 9-character ONS-style codes.

    Returns the cleaned codes; invalid ones are kept as written (an error is recorded).
    """
    rows = df[ROW] if ROW in df else pd.Series(np.arange(len(df)) + 2, index=df.index)
    checked = by_value(
        df[column], _check_codes
    )  # once per distinct code when categorical
    s, empty = checked["code"], checked["empty"]
    if empty.any() and not allow_missing:
        log.error(
            f"has {int(empty.sum())} empty {what}.",
            file=label,
            column=column,
            rows=rows[empty].tolist(),
            fix="Fill in the codes, or remove these rows.",
        )
    bad = ~empty & ~checked["ons"]
    if bad.any():
        log.error(
            f"has {int(bad.sum())} {what} that are not 9-character ONS codes: {format_values(df.loc[bad, column])}.",
            file=label,
            column=column,
            rows=rows[bad].tolist(),
            fix="ONS codes are a letter and 8 digits, e.g. E01000001. Check for truncated codes "
            "(Excel drops nothing here, but hand-typed codes often lose a digit) or names in the code column.",
        )
    return s.mask(empty)


def _check_codes(values: pd.Series) -> pd.DataFrame:
    """Cell by cell: the code upper-cased without spaces, whether it is empty (or an NA word),
    and whether it has the shape of an ONS code."""
    s = (
        values.astype(str)
        .str.strip()
        .str.replace(r"\s+", "", regex=True)
        .str.upper()
        .astype(object)
    )
    empty = s.eq("") | s.str.lower().isin(NA_TOKENS - {""})
    return pd.DataFrame(
        {"code": s, "empty": empty, "ons": s.str.match(_CODE_RE).astype(bool)},
        index=values.index,
    )


_DATE_MID_YEAR = re.compile(r"^(\d{4})-0?6-30(?:[ T].*)?$")
_DATE_CENSUS = re.compile(r"^(2011|2021)-0?3-(27|21)(?:[ T].*)?$")


def normalise_period(values: pd.Series) -> pd.Series:
    """Tidy period labels: ``"2022.0"`` → ``"2022"``; mid-year dates ``"2022-06-30"`` → ``"2022"``;
    Census dates ``"2021-03-21"`` → ``"2021"``; other text is kept (stripped)."""
    if is_categorical(
        values
    ):  # categorical in, categorical out (a loader's large table)
        return by_value(values, normalise_period)
    s = values.astype(str).str.strip()
    s = s.str.replace(r"^(\d{4})\.0+$", r"\1", regex=True)
    s = s.str.replace(_DATE_MID_YEAR, r"\1", regex=True)
    s = s.str.replace(_DATE_CENSUS, r"\1", regex=True)
    return s.astype(object)


# ---------------------------------------------------------------------------- sex and age
SEX_VALUES: dict[str, str] = {
    "f": "female",
    "female": "female",
    "females": "female",
    "woman": "female",
    "women": "female",
    "girls": "female",
    "2": "female",
    "m": "male",
    "male": "male",
    "males": "male",
    "man": "male",
    "men": "male",
    "boys": "male",
    "1": "male",
    "p": "persons",
    "persons": "persons",
    "person": "persons",
    "people": "persons",
    "all": "persons",
    "allpersons": "persons",
    "total": "persons",
    "both": "persons",
    "bothsexes": "persons",
    "allsexes": "persons",
    "4": "persons",
}


def normalise_sex(
    df: pd.DataFrame, column: str, *, log: ProblemLog, label: str
) -> pd.Series:
    """Map sex labels (``F``, ``Females``, ``2``, ``Persons``, ``All`` …) to ``female``/``male``/``persons``.

    Unknown values are recorded as one error listing them with their rows.
    """
    s = by_value(df[column], lambda v: v.astype(str).str.strip().astype(object))
    out = by_value(s, _sex_value)
    bad = out.isna()
    if bad.any():
        log.error(
            f"has sex values hiworkbook does not recognise: {format_values(s[bad])}.",
            file=label,
            column=column,
            rows=df.loc[bad, ROW].tolist() if ROW in df else (),
            fix="Use female, male or persons (F/M, Females/Males, 1 = male and 2 = female are also understood).",
        )
    return out if is_categorical(out) else out.astype(object)


def _sex_value(s: pd.Series) -> pd.Series:
    key = (
        s.astype(str)
        .str.lower()
        .str.replace(r"[^a-z0-9]", "", regex=True)
        .str.replace(r"\.0$", "", regex=True)
    )
    return key.map(SEX_VALUES).astype(object)


ESP2013_BANDS: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(0, 90, 5)) + (
    "90+",
)
LE_BANDS: tuple[str, ...] = (
    ("0", "1-4") + tuple(f"{a}-{a + 4}" for a in range(5, 90, 5)) + ("90+",)
)


def esp_band(age: np.ndarray) -> np.ndarray:
    """ESP 2013 five-year band label (``"0-4"`` … ``"85-89"``, ``"90+"``) of single years of age."""
    age = np.asarray(age, dtype=int)
    lo = (np.minimum(age, 90) // 5) * 5
    return np.where(
        age >= 90,
        "90+",
        np.char.add(np.char.add(lo.astype(str), "-"), (lo + 4).astype(str)),
    )


def le_band(age: np.ndarray) -> np.ndarray:
    """Life-expectancy band label (``"0"``, ``"1-4"``, ``"5-9"`` … ``"90+"``) of single years of age."""
    age = np.asarray(age, dtype=int)
    return np.where(age == 0, "0", np.where(age <= 4, "1-4", esp_band(age)))


_BAND_RE = re.compile(
    r"^(?:age[ds]?\s*)?(\d{1,3})\s*(?:-|–|to)\s*(\d{1,3})(?:\s*(?:yrs|years|y))?$|"
    r"^(?:age[ds]?\s*)?(\d{1,3})\s*(?:\+|plus|and over|&\s*over|years and over|yrs\+|\+\s*yrs|\+\s*years)$|"
    r"^(?:age[ds]?\s*)?(\d{1,3})(?:\s*(?:yrs|years|y))?$",
    re.I,
)


def normalise_age_band(values: pd.Series) -> pd.Series:
    """Tidy age band labels to hiworkbook's form: ``"00-04"``/``"0 to 4"``/``"0-4 yrs"`` → ``"0-4"``,
    ``"90 and over"`` → ``"90+"``, ``"All ages"`` → ``"all"``; others are kept as written."""

    def one(v: str) -> str:
        t = str(v).strip()
        low = t.lower()
        if low in ("all", "all ages", "allages", "total", "all_ages", "", "persons"):
            return "all"
        m = _BAND_RE.match(low)
        if not m:
            return t
        if m.group(1) is not None:
            return f"{int(m.group(1))}-{int(m.group(2))}"
        if m.group(3) is not None:
            return f"{int(m.group(3))}+"
        return str(int(m.group(4)))

    if is_categorical(
        values
    ):  # categorical in, categorical out (a loader's large table)
        return by_value(values, normalise_age_band)
    uniq = {v: one(v) for v in pd.unique(values.astype(str))}
    return values.astype(str).map(uniq).astype(object)
