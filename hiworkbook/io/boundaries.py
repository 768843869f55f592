"""Area boundaries from any vector file, into a GeoDataFrame in British National Grid.

Reads GeoJSON, GeoPackage, Shapefile (also zipped), FlatGeobuf or a CSV with a WKT ``geometry``
column, in any coordinate reference system; finds the code and name fields (``LSOA21CD``,
``lsoa11cd``, ``area_code``, ``LAD24CD``, ``ICB23CD``, ``LSOA21NM``, ``area_name`` …); reprojects to
EPSG:27700; repairs invalid polygons with :func:`shapely.make_valid` (with a warning saying how
many); and refuses missing CRSs, empty geometries and duplicate codes with messages that say what to do.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from hiworkbook.io._read import (
    ROW,
    clean_codes,
    find_column,
    label_for,
    norm,
    read_table,
)
from hiworkbook.io.geography import (
    detect_lsoa_vintage,
    report_vintage_mismatch,
    vintage_from_name,
)
from hiworkbook.validate import ProblemLog, did_you_mean, format_values

__all__ = ["load_boundaries", "LEVEL_PREFIXES"]

#: Field-name stems per geography level (normalised: lower case, no punctuation), tried in order.
LEVEL_PREFIXES: dict[str, tuple[str, ...]] = {
    "lsoa": ("lsoa",),
    "msoa": ("msoa",),
    "ltla": ("lad", "ltla", "lau1"),
    "utla": ("utla", "cty", "cua", "ctyua"),
    "icb": ("icb",),
    "subicb": ("sicbl", "subicb", "ccg", "loc"),
    "ward": ("wd", "ward"),
    "region": ("rgn", "region"),
}
_GENERIC_CODE = (
    "area_code",
    "areacode",
    "code",
    "geo_code",
    "geography_code",
    "geography code",
)
_GENERIC_NAME = ("area_name", "areaname", "name", "geo_name", "geography_name")
_HIERARCHY = ("msoa", "ltla", "icb", "subicb", "ward", "utla", "region")
_TEXT_SUFFIXES = (".csv", ".txt", ".tsv")


def _field(fields: list[str], level: str, kind: str) -> tuple[str | None, int | None]:
    """Find the ``level`` code (kind ``cd``) or name (``nm``) field; return it and its 2-digit year."""
    suffix = r"(cd|code)" if kind == "cd" else r"(nm|name)"
    for stem in LEVEL_PREFIXES[level]:
        pat = re.compile(rf"^{stem}(\d\d)?{suffix}$")
        for f in fields:
            m = pat.match(norm(f))
            if m:
                yy = m.group(1)
                return f, (2000 + int(yy)) if yy else None
    return None, None


def load_boundaries(
    path: str | Path,
    *,
    log: ProblemLog,
    label: str | None = None,
    level: str = "lsoa",
    vintage: int | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    layer: str | int | None = None,
    crs: str | int | None = None,
    to_crs: str | int | None = "EPSG:27700",
    **options: object,
) -> gpd.GeoDataFrame | None:
    """Read boundaries and return them in canonical form, reprojected to British National Grid.

    Parameters
    ----------
    path : str or Path
        GeoJSON, GeoPackage, Shapefile (``.shp`` with its ``.prj``/``.dbf``/``.shx``, or a ``.zip``
        holding them), FlatGeobuf, or a CSV with WKT in a ``geometry``/``wkt`` column.
    log : ProblemLog
        Where problems are recorded.
    label : str, optional
        The file's name as the user wrote it.
    level : str, default "lsoa"
        The geography: ``lsoa``, ``msoa``, ``ltla``, ``utla``, ``icb``, ``subicb``, ``ward``, ``region``.
    vintage : {2011, 2021}, optional
        For LSOAs: the workbook's vintage; boundaries of the other vintage are an error.
    code_field, name_field : str, optional
        The fields holding the area code and name, when not found automatically.
    layer : str or int, optional
        The layer of a multi-layer file (GeoPackage, zip with several shapefiles).
    crs : str or int, optional
        The CRS to assume when the file does not say (e.g. ``"EPSG:27700"``); a file that declares
        one is never overridden.
    to_crs : str or int, default "EPSG:27700"
        The CRS to return (None keeps the file's).
    **options
        Unused keys are reported as warnings.

    Returns
    -------
    geopandas.GeoDataFrame or None
        For LSOAs: ``lsoa21_code``/``lsoa11_code``, ``area_name``; for other levels ``<level>_code``,
        ``<level>_name``; plus hierarchy fields found (``ltla_code``, ``icb_code`` …) and ``geometry``.
        ``attrs``: ``vintage``, ``code_field``, ``name_field``, ``source_crs``, ``repaired``.
    """
    label = label_for(path, label)
    for k in options:
        if not str(k).startswith("_"):
            log.warning(
                f"the option '{k}' is not used when reading boundaries.", file=label
            )
    if level not in LEVEL_PREFIXES:
        log.error(
            f"level '{level}'{did_you_mean(level, LEVEL_PREFIXES)} is not a geography hiworkbook knows.",
            file=label,
            fix=f"Use one of: {', '.join(LEVEL_PREFIXES)}.",
        )
        return None
    gdf = _read(Path(path), log, label, layer, crs)
    if gdf is None:
        return None
    if len(gdf) == 0:
        log.error(
            "has no features.",
            file=label,
            fix="Export the layer again, with its areas.",
        )
        return None
    if gdf.crs is None:
        ext = Path(path).suffix.lower()
        how = (
            "a shapefile needs its .prj file beside the .shp (same name)"
            if ext in (".shp", ".zip")
            else "a CSV of WKT carries no CRS"
            if ext in _TEXT_SUFFIXES
            else "the file does not declare one"
        )
        log.error(
            f"has no coordinate reference system (CRS): {how}.",
            file=label,
            fix="Save the boundaries as GeoPackage or GeoJSON from your GIS (they store the CRS), copy the "
            '.prj file alongside, or say which CRS the coordinates are in with crs = "EPSG:27700" '
            '(British National Grid) or crs = "EPSG:4326" (longitude/latitude).',
        )
        return None
    if not _coords_plausible(gdf, log, label):
        return None

    fields = [c for c in gdf.columns if c != gdf.geometry.name]
    year = None
    if code_field:
        code_col = find_column(fields, [code_field])
        if code_col is None:
            log.error(
                f"has no field '{code_field}'{did_you_mean(code_field, fields)}.",
                file=label,
                fix=f"Fields are: {format_values(fields, 12)}.",
            )
            return None
        year = vintage_from_name(code_col) if level == "lsoa" else None
    else:
        code_col, year = _field(fields, level, "cd")
        if code_col is None:
            code_col = find_column(fields, _GENERIC_CODE)
        if code_col is None:
            hint = did_you_mean(f"{level}21cd", fields) or did_you_mean(
                f"{level}_code", fields
            )
            log.error(
                f"has no {level.upper()} code field{hint}.",
                file=label,
                fix=f'Name it with code_field = "…". Fields are: {format_values(fields, 12)}.',
            )
            return None
    if name_field:
        name_col = find_column(fields, [name_field])
        if name_col is None:
            log.error(
                f"has no field '{name_field}'{did_you_mean(name_field, fields)}.",
                file=label,
                fix=f"Fields are: {format_values(fields, 12)}.",
            )
            return None
    else:
        name_col, _ = _field(fields, level, "nm")
        if name_col is None:
            name_col = find_column([f for f in fields if f != code_col], _GENERIC_NAME)

    attrs = pd.DataFrame(
        {c: gdf[c].astype(str).where(gdf[c].notna(), "") for c in fields}
    )
    attrs[ROW] = np.arange(1, len(gdf) + 1)
    codes = clean_codes(
        attrs, code_col, log=log, label=label, what=f"{level.upper()} codes"
    )

    if level == "lsoa":
        check = detect_lsoa_vintage(codes.dropna())
        if check.mixed:
            log.error(
                f"mixes LSOA vintages: {check.describe()}.",
                file=label,
                column=code_col,
                fix="Use the boundaries of one vintage (LSOA 2021 from the ONS Open Geography Portal).",
            )
            return None
        file_vintage = check.vintage or year or vintage or 2021
        if year and check.vintage and year != check.vintage:
            log.error(
                f"has a field named for LSOA {year} ('{code_col}') but {check.describe()}.",
                file=label,
                column=code_col,
            )
            return None
        if vintage and file_vintage != vintage:
            evidence = check.describe() if check.vintage else f"field '{code_col}'"
            report_vintage_mismatch(log, label, file_vintage, int(vintage), evidence)
            return None
        code_out, name_out = f"lsoa{str(file_vintage)[-2:]}_code", "area_name"
    else:
        file_vintage = year
        code_out, name_out = f"{level}_code", f"{level}_name"

    out = gpd.GeoDataFrame(
        {
            code_out: codes,
            name_out: gdf[name_col].astype(object).where(gdf[name_col].notna())
            if name_col
            else codes,
        },
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    if level == "lsoa":
        for lv in _HIERARCHY:
            for kind, suffix in (("cd", "code"), ("nm", "name")):
                f, _ = _field(
                    [x for x in fields if x not in (code_col, name_col)], lv, kind
                )
                if f is not None:
                    out.insert(
                        len(out.columns) - 1,
                        f"{lv}_{suffix}",
                        gdf[f].astype(object).to_numpy(),
                    )

    # geometry checks
    geom = out.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        log.error(
            f"has {int(empty.sum())} feature(s) with empty or missing geometry: {format_values(out.loc[empty, code_out].fillna('?'))}.",
            file=label,
            rows=np.flatnonzero(empty.to_numpy()) + 1,
            fix="Export the boundaries again from the source, or remove these features.",
        )
    types = set(geom[~empty].geom_type.unique())
    if types - {"Polygon", "MultiPolygon", "GeometryCollection"}:
        log.error(
            f"has {', '.join(sorted(types - {'Polygon', 'MultiPolygon'}))} geometries; boundaries must be polygons.",
            file=label,
            fix="Use the areas' boundary polygons, not their centroids or outlines.",
        )
        return None
    dup = out[code_out].duplicated(keep=False) & out[code_out].notna()
    if dup.any():
        log.error(
            f"has {int(out.loc[dup, code_out].nunique())} codes on more than one feature: "
            f"{format_values(out.loc[dup, code_out])}.",
            file=label,
            column=code_col,
            fix="Keep one feature per area (dissolve multi-part areas by code in your GIS), and check "
            "that two layers or two vintages were not combined.",
        )
    if any(p.file == label for p in log.errors):
        return None
    invalid = ~empty & ~geom.is_valid
    n_bad = int(invalid.sum())
    if n_bad:
        fixed = shapely.make_valid(geom[invalid].to_numpy())
        fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
        out.loc[invalid, out.geometry.name] = fixed
        log.warning(
            f"has {n_bad} invalid polygon{'s' if n_bad != 1 else ''} (self-intersections or similar); "
            f"repaired with make_valid: {format_values(out.loc[invalid, code_out])}.",
            file=label,
            fix="Nothing to do; to avoid the repair use the ONS 'BFC'/'BGC' boundaries or repair them in your GIS.",
        )
    source_crs = gdf.crs.to_string()
    if to_crs is not None:
        try:
            out = out.to_crs(to_crs)
        except Exception as exc:  # pyproj raises several kinds
            log.error(f"cannot be reprojected to {to_crs}: {exc}.", file=label)
            return None
    out.attrs.update(
        vintage=file_vintage,
        code_field=code_col,
        name_field=name_col,
        source_crs=source_crs,
        repaired=n_bad,
        label=label,
        level=level,
    )
    return out.reset_index(drop=True)


def _polygonal(g: object) -> object:
    if g is None or g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [
        p for p in getattr(g, "geoms", []) if p.geom_type in ("Polygon", "MultiPolygon")
    ]
    polys = []
    for p in parts:
        polys.extend(p.geoms if p.geom_type == "MultiPolygon" else [p])
    return shapely.MultiPolygon(polys) if polys else g


def _coords_plausible(gdf: gpd.GeoDataFrame, log: ProblemLog, label: str) -> bool:
    try:
        crs = CRS.from_user_input(gdf.crs)
    except Exception:
        log.error(f"has a CRS hiworkbook cannot interpret ({gdf.crs}).", file=label)
        return False
    valid = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if valid.empty:
        return True
    minx, miny, maxx, maxy = valid.total_bounds
    if crs.is_geographic and (
        abs(minx) > 180 or abs(maxx) > 180 or abs(miny) > 90 or abs(maxy) > 90
    ):
        log.error(
            f"says its coordinates are longitude/latitude ({crs.to_string()}) but they are as large as "
            f"{max(abs(minx), abs(maxx), abs(miny), abs(maxy)):,.0f}: they look like metres, e.g. British National Grid.",
            file=label,
            fix='Re-export with the right CRS, or for a file without one set crs = "EPSG:27700".',
        )
        return False
    return True


def _read(
    path: Path,
    log: ProblemLog,
    label: str,
    layer: str | int | None,
    crs: str | int | None,
) -> gpd.GeoDataFrame | None:
    if not path.exists():
        log.error(
            f"does not exist (looked for {path}).", file=label, fix="Check the path."
        )
        return None
    if path.is_file() and path.stat().st_size == 0:
        log.error("is empty.", file=label, fix="Export the boundaries again.")
        return None
    ext = path.suffix.lower()
    if ext in _TEXT_SUFFIXES:
        return _read_wkt_csv(path, log, label, crs)
    source = str(path)
    if ext == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                members = zf.namelist()
        except zipfile.BadZipFile:
            log.error("is not a valid zip file.", file=label, fix="Download it again.")
            return None
        shp = [m for m in members if m.lower().endswith(".shp")]
        other = [
            m
            for m in members
            if m.lower().endswith((".gpkg", ".geojson", ".json", ".fgb"))
        ]
        inner = shp + other
        if not inner:
            log.error(
                f"holds no shapefile, GeoPackage or GeoJSON (it has {format_values(members, 5)}).",
                file=label,
                fix="Zip the .shp together with its .shx, .dbf and .prj files.",
            )
            return None
        if len(inner) > 1 and layer is None:
            log.error(
                f'holds {len(inner)} map files ({format_values(inner, 5)}); say which with layer = "…".',
                file=label,
            )
            return None
        pick = inner[0]
        if layer is not None and len(inner) > 1:
            match = [m for m in inner if Path(m).stem == str(layer) or m == str(layer)]
            if not match:
                log.error(
                    f"has no map file '{layer}'{did_you_mean(str(layer), [Path(m).stem for m in inner])}.",
                    file=label,
                )
                return None
            pick = match[0]
            layer = None
        source = f"/vsizip/{path}/{pick}"
    elif ext == ".shp":
        for side in (".dbf", ".shx"):
            if (
                not path.with_suffix(side).exists()
                and not path.with_suffix(side.upper()).exists()
            ):
                log.error(
                    f"is a shapefile without its {side} file.",
                    file=label,
                    fix=f"Copy {path.stem}{side} (and .prj) into the same folder as the .shp.",
                )
                return None
    try:
        layers = pyogrio.list_layers(source)
    except Exception as exc:
        log.error(
            f"cannot be read as a map file ({_short(exc)}).",
            file=label,
            fix="Use GeoJSON, GeoPackage or a Shapefile; check the file is complete.",
        )
        return None
    if layer is None and len(layers) > 1:
        names = [str(n) for n in layers[:, 0]]
        log.error(
            f'has {len(layers)} layers ({format_values(names, 6)}); say which to use with layer = "…".',
            file=label,
        )
        return None
    if layer is not None and not isinstance(layer, int):
        names = [str(n) for n in layers[:, 0]]
        if str(layer) not in names:
            log.error(
                f"has no layer '{layer}'{did_you_mean(str(layer), names)}.",
                file=label,
                fix=f"Layers are: {format_values(names, 8)}.",
            )
            return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(source, layer=layer, engine="pyogrio")
    except Exception as exc:
        log.error(
            f"cannot be read as a map file ({_short(exc)}).",
            file=label,
            fix="Use GeoJSON, GeoPackage or a Shapefile; check the file is complete.",
        )
        return None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        log.error("has no geometry.", file=label, fix="Boundaries need polygons.")
        return None
    if gdf.crs is None and crs is not None:
        gdf = gdf.set_crs(crs)
    return gdf


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _read_wkt_csv(
    path: Path, log: ProblemLog, label: str, crs: str | int | None
) -> gpd.GeoDataFrame | None:
    df = read_table(
        path, log=log, label=label, expect=["geometry", "wkt", "geom", "the_geom"]
    )
    if df is None:
        return None
    gcol = find_column(df.columns, ["geometry", "wkt", "geom", "the_geom", "shape"])
    if gcol is None:
        log.error(
            "is a table without a geometry column, not boundaries.",
            file=label,
            fix="Use GeoJSON, GeoPackage or a Shapefile for boundaries.",
        )
        return None
    text = df[gcol].where(df[gcol] != "")
    try:
        geoms = shapely.from_wkt(text.to_numpy(dtype=object), on_invalid="ignore")
    except Exception:  # pragma: no cover - shapely raises only with on_invalid="raise"
        geoms = np.array([None] * len(df), dtype=object)
    unread = pd.isna(pd.Series(geoms)) & text.notna().to_numpy()
    if unread.any():
        log.error(
            f"has {int(unread.sum())} geometries that are not valid WKT.",
            file=label,
            column=gcol,
            rows=df.loc[unread.to_numpy(), ROW].tolist(),
            fix="Export the boundaries as GeoPackage or GeoJSON instead of CSV.",
        )
        return None
    attrs = df.drop(columns=[gcol, ROW])
    return gpd.GeoDataFrame(attrs, geometry=list(geoms), crs=crs)
