"""The workbook configuration: ``workbook.toml``.

A workbook config names the user's files and describes the geography, the places reports are made
for, the comparators, the indicators and the disclosure threshold. Paths are relative to the config
file. The synthetic demo region is described by the same kind of file (written by
:func:`hiworkbook.demo.generate_demo`), so there is one route through hiworkbook, not two.

``hiworkbook init`` writes a commented template (:data:`TEMPLATE`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hiworkbook.disclosure import DisclosurePolicy
from hiworkbook.validate import ProblemLog, did_you_mean

__all__ = [
    "FileSpec",
    "ComparatorSpec",
    "PlusGroupSpec",
    "WorkbookConfig",
    "load_config",
    "TEMPLATE",
]

PLACE_LEVELS = ("ltla", "icb", "msoa", "ward", "subicb", "custom")
FILE_KEYS = (
    "boundaries",
    "lookup",
    "deprivation",
    "population",
    "population_ethnicity",
    "counts",
    "indicators",
    "places",
    "best_fit_lookup",
    "fingertips",
    "fingertips_metadata",
    "la_boundaries",
)
SECTIONS = (
    "workbook",
    "geography",
    "files",
    "comparators",
    "disclosure",
    "report",
    "core20plus5",
)
PLUS_GROUP_KEYS = ("name", "ethnic_groups", "areas")
_CODE = re.compile(r"^[A-Z][0-9]{8}$")


@dataclass(frozen=True)
class FileSpec:
    """One input file and the options its loader needs.

    Attributes
    ----------
    path : Path
        Absolute path (resolved against the config file's folder).
    options : dict
        Loader options from the config table (``layer``, ``sheet``, ``code_field``, ``period`` …).
    key : str
        The config key that named it (``"deprivation"``, ``"counts"`` …), for messages.
    """

    path: Path
    options: dict[str, Any] = field(default_factory=dict)
    key: str = ""

    @property
    def label(self) -> str:
        """The file name as the user wrote it, for messages."""
        return self.options.get("_as_written", self.path.name)


@dataclass(frozen=True)
class ComparatorSpec:
    """A comparator: an area whose values every place is compared against.

    Either computed from ``counts`` (small-area-free aggregate counts in the counts layout with an
    ``area_code`` column) or read as published values from a Fingertips export (``fingertips``).
    """

    key: str
    name: str
    code: str
    counts: FileSpec | None = None
    fingertips: FileSpec | None = None


@dataclass(frozen=True)
class PlusGroupSpec:
    """A PLUS group of NHS England's Core20PLUS5, from ``[core20plus5] plus_groups``.

    Either ``ethnic_groups`` (ONS broad ethnic groups, compared with the place's other ethnic
    groups) or ``areas`` (small-area codes, compared with the rest of the place).
    """

    name: str
    ethnic_groups: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkbookConfig:
    """A parsed and checked ``workbook.toml``."""

    path: Path
    name: str
    synthetic: bool
    period: str
    small_area: str
    vintage: int
    place_levels: tuple[str, ...]
    files: dict[str, list[FileSpec]]
    comparators: tuple[ComparatorSpec, ...]
    compare_with_parent: bool
    min_count: int
    indicators: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    disclosure: DisclosurePolicy = field(default_factory=DisclosurePolicy)
    plus_groups: tuple[PlusGroupSpec, ...] = ()

    @property
    def root(self) -> Path:
        """The folder relative paths are resolved against."""
        return self.path.parent

    @property
    def area_col(self) -> str:
        """The small-area code column, named with its vintage (``lsoa21_code``)."""
        return f"{self.small_area}{str(self.vintage)[-2:]}_code"

    def file(self, key: str) -> FileSpec | None:
        """The single file configured under ``key``, or None."""
        specs = self.files.get(key) or []
        return specs[0] if specs else None


def load_config(
    path: str | Path, log: ProblemLog | None = None
) -> WorkbookConfig | None:
    """Read and check a ``workbook.toml``.

    Every problem (unknown keys, missing files, bad values) is recorded in ``log``; when no log is
    given, one :class:`~hiworkbook.validate.DataError` listing them all is raised.

    Parameters
    ----------
    path : str or Path
        The config file.
    log : ProblemLog, optional
        Where to record problems. When given, problems are recorded, not raised, and None is
        returned if the config cannot be used at all.

    Returns
    -------
    WorkbookConfig or None
    """
    own_log = log is None
    log = ProblemLog() if log is None else log
    path = Path(path).expanduser().resolve()
    cfg = _parse(path, log)
    if own_log:
        log.raise_if_errors(f"the workbook config {path.name}")
    return cfg


def _parse(path: Path, log: ProblemLog) -> WorkbookConfig | None:
    label = path.name
    if not path.is_file():
        log.error(
            f"The workbook config {path} does not exist.",
            fix="Check the path, or run `hiworkbook init workbook.toml` to write a template.",
        )
        return None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        log.error(
            f"is not valid TOML: {exc}.",
            file=label,
            fix="Fix the syntax at that line (strings need quotes; tables are [name]).",
        )
        return None
    except UnicodeDecodeError:
        log.error("is not UTF-8 text.", file=label, fix="Save the config as UTF-8.")
        return None

    for key in raw:
        if key not in SECTIONS:
            log.error(
                f"has an unknown section [{key}]{did_you_mean(key, SECTIONS)}.",
                file=label,
                fix=f"Sections are: {', '.join(SECTIONS)}.",
            )

    wb = raw.get("workbook", {})
    geo = raw.get("geography", {})
    files_raw = raw.get("files", {})
    comp_raw = raw.get("comparators", {})
    disc = raw.get("disclosure", {})

    small_area = str(geo.get("small_area", "lsoa")).lower()
    if small_area != "lsoa":
        log.error(
            f"geography.small_area is '{small_area}'; hiworkbook works with LSOAs.",
            file=label,
            fix='Set small_area = "lsoa".',
        )
    vintage = geo.get("vintage", 2021)
    if vintage not in (2011, 2021):
        log.error(
            f"geography.vintage is {vintage!r}; it must be 2011 or 2021 (the LSOA census vintage).",
            file=label,
            fix="Set vintage = 2021 for LSOA21 codes, 2011 for LSOA11 codes.",
        )
        vintage = 2021
    levels = geo.get("place_levels", ["ltla"])
    if isinstance(levels, str):
        levels = [levels]
    for lv in levels:
        if lv not in PLACE_LEVELS:
            log.error(
                f"geography.place_levels has '{lv}'{did_you_mean(lv, PLACE_LEVELS)}.",
                file=label,
                fix=f"Use any of: {', '.join(PLACE_LEVELS)}.",
            )

    files: dict[str, list[FileSpec]] = {}
    for key, value in files_raw.items():
        if key not in FILE_KEYS:
            log.error(
                f"[files] has an unknown key '{key}'{did_you_mean(key, FILE_KEYS)}.",
                file=label,
                fix=f"File keys are: {', '.join(FILE_KEYS)}.",
            )
            continue
        entries = value if isinstance(value, list) else [value]
        if key == "indicators":
            # "builtin" names hiworkbook's own definitions; files add to (or override) them
            entries = [e for e in entries if e != "builtin"]
        specs = [_file_spec(path.parent, key, e, label, log) for e in entries]
        files[key] = [s for s in specs if s is not None]
    # A workbook of published values only (a Fingertips export, no counts) feeds the local
    # authority profile; small-area files are required only for place reports.
    published_only = bool({"fingertips", "la_boundaries"} & set(files_raw)) and (
        "counts" not in files_raw
    )
    for required in () if published_only else ("boundaries", "deprivation"):
        if required not in files_raw:
            log.error(
                f"[files] does not name a '{required}' file.",
                file=label,
                fix=f'Add {required} = "path/to/file" under [files].',
            )
    if "lookup" not in files_raw and "custom" not in levels and not published_only:
        log.warning(
            "[files] has no 'lookup': places can only be built from the boundaries' own fields.",
            file=label,
        )

    comparators = []
    compare_with_parent = (
        bool(comp_raw.get("parent", True)) if isinstance(comp_raw, dict) else True
    )
    for key, spec in (comp_raw or {}).items():
        if key == "parent":
            continue
        if not isinstance(spec, dict):
            log.error(
                f"comparators.{key} must be a table with name, code and counts or fingertips.",
                file=label,
            )
            continue
        counts = spec.get("counts")
        ft = spec.get("fingertips")
        if not counts and not ft:
            log.error(
                f'comparators.{key} needs either counts = "…" or fingertips = "…".',
                file=label,
            )
        comparators.append(
            ComparatorSpec(
                key=key,
                name=str(spec.get("name", key.title())),
                code=str(spec.get("code", "")),
                counts=_file_spec(path.parent, f"comparators.{key}", counts, label, log)
                if counts
                else None,
                fingertips=_file_spec(path.parent, f"comparators.{key}", ft, label, log)
                if ft
                else None,
            )
        )

    if not isinstance(disc, dict):
        log.error(
            "[disclosure] must be a table (policy, min_count, rounding_base).",
            file=label,
            fix='Write [disclosure] on its own line, then policy = "suppress" and min_count = 5.',
        )
        disc = {}
    disclosure = DisclosurePolicy.from_config(disc, log, label)
    min_count = disclosure.min_count

    indicators = wb.get("indicators", [])
    plus_groups = _plus_groups(raw.get("core20plus5", {}), label, log)
    return WorkbookConfig(
        path=path,
        name=str(wb.get("name", path.stem)),
        synthetic=bool(wb.get("synthetic", False)),
        period=str(wb.get("period", "")),
        small_area=small_area,
        vintage=int(vintage),
        place_levels=tuple(levels),
        files=files,
        comparators=tuple(comparators),
        compare_with_parent=compare_with_parent,
        min_count=int(min_count),
        indicators=tuple(indicators),
        raw=raw,
        disclosure=disclosure,
        plus_groups=plus_groups,
    )


_PLUS_EXAMPLE = (
    'plus_groups = [{ name = "Black residents", ethnic_groups = ["Black, Black British, '
    'Black Welsh, Caribbean or African"] }, { name = "Coastal estates", areas = '
    '["E01000001", "E01000002"] }]'
)


def _plus_groups(
    section: Any, label: str, log: ProblemLog
) -> tuple[PlusGroupSpec, ...]:
    """``[core20plus5] plus_groups``: checked tables of name + ethnic_groups or areas."""
    if not isinstance(section, dict):
        log.error("[core20plus5] must be a table.", file=label, fix=_PLUS_EXAMPLE)
        return ()
    for key in section:
        if key != "plus_groups":
            log.error(
                f"[core20plus5] has an unknown key '{key}'"
                f"{did_you_mean(key, ['plus_groups'])}.",
                file=label,
                fix=f"The section takes one key: {_PLUS_EXAMPLE}",
            )
    entries = section.get("plus_groups", [])
    if not isinstance(entries, list):
        log.error(
            "core20plus5.plus_groups must be a list of tables.",
            file=label,
            fix=_PLUS_EXAMPLE,
        )
        return ()
    out = []
    names: set[str] = set()
    for i, e in enumerate(entries, 1):
        where = f"core20plus5.plus_groups #{i}"
        if not isinstance(e, dict):
            log.error(f"{where} is not a table.", file=label, fix=_PLUS_EXAMPLE)
            continue
        for key in e:
            if key not in PLUS_GROUP_KEYS:
                log.error(
                    f"{where} has an unknown key '{key}'"
                    f"{did_you_mean(key, PLUS_GROUP_KEYS)}.",
                    file=label,
                    fix=f"Keys are: {', '.join(PLUS_GROUP_KEYS)}.",
                )
        name = str(e.get("name", "")).strip()
        eth, areas = e.get("ethnic_groups", []), e.get("areas", [])
        ok = True
        if not name:
            log.error(f"{where} has no name.", file=label, fix='Add name = "…".')
            ok = False
        elif name in names:
            log.error(f"{where}: the name '{name}' is used twice.", file=label)
            ok = False
        if bool(eth) == bool(areas) or not all(
            isinstance(x, list) for x in (eth, areas)
        ):
            log.error(
                f"{where} ({name or 'no name'}) needs either ethnic_groups = [...] or "
                "areas = [...] (a non-empty list), not both.",
                file=label,
                fix=_PLUS_EXAMPLE,
            )
            ok = False
        bad = [
            str(c)
            for c in (areas if isinstance(areas, list) else [])
            if not _CODE.match(str(c))
        ]
        if bad:
            log.error(
                f"{where} ({name}): {', '.join(bad[:5])} "
                f"{'is not a small-area code' if len(bad) == 1 else 'are not small-area codes'}.",
                file=label,
                fix="Use 9-character ONS codes such as E01000001 (LSOA codes of the workbook's vintage).",
            )
            ok = False
        if ok:
            names.add(name)
            out.append(
                PlusGroupSpec(
                    name=name,
                    ethnic_groups=tuple(str(x) for x in eth),
                    areas=tuple(str(x) for x in areas),
                )
            )
    return tuple(out)


def _file_spec(
    root: Path, key: str, entry: Any, label: str, log: ProblemLog
) -> FileSpec | None:
    if isinstance(entry, str):
        written, options = entry, {}
    elif isinstance(entry, dict) and "path" in entry:
        written, options = (
            str(entry["path"]),
            {k: v for k, v in entry.items() if k != "path"},
        )
    else:
        log.error(
            f"[files] {key} must be a path string or a table with a 'path' key.",
            file=label,
            fix=f'Write {key} = "file.csv" or {key} = {{ path = "file.csv", sheet = "Data" }}.',
        )
        return None
    full = (root / written).expanduser().resolve()
    if not full.exists():
        near = [p.name for p in full.parent.iterdir()] if full.parent.is_dir() else []
        log.error(
            f"{key} points at {written}, which does not exist (looked for {full})"
            f"{did_you_mean(full.name, near)}.",
            file=label,
            fix="Correct the path; relative paths are relative to the config file's folder.",
        )
        return None
    return FileSpec(path=full, options={**options, "_as_written": written}, key=key)


TEMPLATE = """\
# hiworkbook workbook configuration
# Paths are relative to this file. Run `hiworkbook validate workbook.toml` to check it.

[workbook]
name = "My area"            # shown in report titles
synthetic = false           # true only for made-up data: reports then say so on every page
period = "2024"             # the default period reports show
# indicators = ["mortality_u75", "copd_admissions"]   # default: every indicator with data

[geography]
small_area = "lsoa"         # reports are built from LSOAs
vintage = 2021              # 2021 for LSOA21 codes (E01…, Census 2021), 2011 for LSOA11 codes
place_levels = ["ltla"]     # which places get a report: ltla, icb, ward, msoa, subicb

[files]
# Required: boundaries and deprivation (and a lookup for LTLA/ICB/ward places). A population is
# strongly recommended. Everything else is optional: a report made without it still shows the
# residents, the Core20 share and where they live, the deprivation map and the quintile table,
# and says in one sentence, in place of each missing section, which file would fill it.
# `hiworkbook validate` lists what the reports will lack.

# Boundaries: GeoJSON, GeoPackage or Shapefile (zipped is fine), any CRS. Required.
boundaries = { path = "boundaries/lsoa21.geojson" }   # add code_field = "LSOA21CD" if not found
# Lookup from LSOA to the place levels (ONS or tidy column names). Needed for LTLA/ICB/ward places.
lookup = "lookups/lsoa21_to_ltla_icb.csv"
# English Indices of Deprivation: IoD2019 files 1/2/5/7, IoD2025 file 7 or the compact layout. Required.
deprivation = "iod/File_7_IoD2025.csv"
# ONS mid-year estimates by single year of age (wide), by sex or persons. Recommended: adds the
# resident counts and Core20 share, and the denominators of counts that have none.
population = { path = "population/sapelsoasyoa2022.csv", period = "2022" }
# Event counts — optional: they add every indicator section (the indicator map, the gradient
# chart with the slope index of inequality, the comparison with the comparator and the indicator
# table). Tidy CSV/Excel (indicator_id, period, lsoa21_code, sex, age_band, numerator,
# denominator) or Census 2021 tables; several files allowed. Delete the line if you have none.
counts = ["counts/deaths.csv"]
# Optional: population by ethnic group (Census 2021), the denominators of the Ethnicity section's
# rates for counts that have an ethnic_group column.
# population_ethnicity = "population/census2021_ethnicity_lsoa21.csv"
indicators = "builtin"      # or ["builtin", "my_indicators.toml"] to add your own definitions
# best_fit_lookup = "lookups/lsoa11_to_lsoa21.csv"   # converts LSOA11 counts to LSOA21
# Published values for local-authority profiles (notebooks/la_profile.ipynb) and comparators:
# fingertips = "fingertips/healthdata.csv"             # a Fingertips export (web CSV or API)
# fingertips_metadata = "fingertips/metadata.csv"      # polarity and comparison method
# la_boundaries = "boundaries/LAD_May_2024_BSC.geojson" # local authority districts

[comparators]
parent = true               # compare each LTLA with its ICB (optional: without any comparator,
                            # indicators are shown but not compared)
# [comparators.england]
# name = "England"
# code = "E92000001"
# fingertips = "fingertips/england.csv"    # a Fingertips export with England's values

[disclosure]
# How small numbers are protected in every output (HTML, maps, charts, CSV): "suppress" hides
# counts from 1 to min_count - 1 (with secondary suppression); "round" rounds every count to the
# nearest rounding_base (values computed from the unrounded counts); "suppress_and_round" does both.
policy = "suppress"
min_count = 5               # counts below this are suppressed
rounding_base = 5           # counts are rounded to a multiple of this (rounding policies)

# [core20plus5]             # PLUS groups shown beside Core20 in the Core20PLUS5 notebook
# plus_groups = [
#   { name = "Black residents", ethnic_groups = ["Black, Black British, Black Welsh, Caribbean or African"] },
#   { name = "Coastal estates", areas = ["E01000001", "E01000002"] },
# ]
"""
