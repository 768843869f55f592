"""The Workspace (all loaded data for one geography vintage) and the Place (a set of its small areas).

``Workspace.from_config("workbook.toml")`` reads every file the config names through the
:mod:`hiworkbook.io` loaders, checks them against each other (codes in data but not in the
boundaries, mixed vintages, …) and raises one :class:`~hiworkbook.validate.DataError` listing every
problem. Nothing is written and the user's files are never modified.

``ws.place("X06000001")`` returns a :class:`Place`: its small areas and its comparators.
:func:`load_place` does both in one call and is what notebooks use as their validation step.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hiworkbook import __version__, paths
from hiworkbook import io as hio
from hiworkbook.config import ComparatorSpec, FileSpec, WorkbookConfig, load_config
from hiworkbook.indicators import Indicator, load_indicators
from hiworkbook.io._read import as_objects
from hiworkbook.validate import DataError, ProblemLog, did_you_mean, format_values

__all__ = ["Workspace", "Place", "Comparator", "load_place"]

log_ = logging.getLogger(__name__)

LEVEL_NAMES = {
    "ltla": "Lower-tier local authority",
    "icb": "Integrated care board",
    "msoa": "Middle layer super output area",
    "ward": "Electoral ward",
    "subicb": "Sub-ICB location",
    "custom": "Custom place",
}
PARENT_LEVEL = {"ltla": "icb", "msoa": "ltla", "ward": "ltla", "subicb": "icb"}


@dataclass(frozen=True)
class Comparator:
    """An area a place is compared against.

    ``kind`` is ``"aggregate"`` (values computed from counts, e.g. the parent ICB or a national
    counts file) or ``"published"`` (values read from a Fingertips export).
    """

    code: str
    name: str
    kind: str
    area_codes: tuple[str, ...] = ()
    counts: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    values: pd.DataFrame | None = field(default=None, repr=False, compare=False)


@dataclass
class Place:
    """A place a report is made for: a set of small areas and its comparators."""

    code: str
    name: str
    level: str
    areas: gpd.GeoDataFrame = field(repr=False)
    comparators: list[Comparator] = field(default_factory=list)
    workspace: Workspace | None = field(default=None, repr=False)
    period: str = ""

    @property
    def area_codes(self) -> list[str]:
        """Codes of the place's small areas."""
        return self.areas[self.workspace.area_col].tolist() if self.workspace else []

    @property
    def level_name(self) -> str:
        """The place's geography level in words."""
        return LEVEL_NAMES.get(self.level, self.level)

    @property
    def population(self) -> int:
        """Resident population of the place (all ages, all sexes) in its period."""
        return int(self.areas["population"].sum())

    def outline(self) -> gpd.GeoDataFrame:
        """Boundaries to draw over the place's small areas on a map.

        For a place with lower-tier places inside it (an ICB's LTLAs) those, else the place's own
        boundary: the dissolved union of its small areas (so it matches them exactly).
        """
        inner = {"icb": "ltla", "subicb": "ltla", "ltla": None}.get(self.level)
        by = f"{inner}_code" if inner and f"{inner}_code" in self.areas else None
        if by is None:
            out = (
                self.areas[["geometry"]]
                .dissolve()
                .assign(code=self.code, name=self.name)
            )
        else:
            name = f"{inner}_name" if f"{inner}_name" in self.areas else by
            out = (
                self.areas[[by, name, "geometry"]]
                .dissolve(by=by, as_index=False)
                .rename(columns={by: "code", name: "name"})
            )
        return out[["code", "name", "geometry"]]


class Workspace:
    """All loaded, validated data for one workbook (one geography vintage).

    Attributes
    ----------
    config : WorkbookConfig
    areas : geopandas.GeoDataFrame
        Small areas in EPSG:27700 with their codes, names, hierarchy (``ltla_code`` …) and
        deprivation (``imd_score``, ``imd_rank``, ``imd_decile``, ``imd_quintile``).
    population, population_ethnicity, counts : pandas.DataFrame
        Canonical tables (see docs/architecture.md).
    indicators : dict of str to Indicator
    comparators : list of Comparator
        Configured comparators other than the parent (e.g. England).

    Notes
    -----
    :meth:`from_config` hands every caller its own Workspace over data held once per process.
    An index derived from the tables and never changed (e.g. counts grouped by period) may be
    kept in ``self.__dict__.setdefault("_derived", {})``: that dict is shared by every Workspace
    handed out for the same inputs, so a warm kernel builds it once, not once per place.
    """

    def __init__(
        self,
        config: WorkbookConfig,
        areas: gpd.GeoDataFrame,
        population: pd.DataFrame,
        counts: pd.DataFrame,
        indicators: dict[str, Indicator],
        population_ethnicity: pd.DataFrame | None = None,
        comparators: list[Comparator] | None = None,
        warnings: list | None = None,
        sources: dict[str, str] | None = None,
    ) -> None:
        self.config = config
        self.areas = areas
        self.population = population
        self.population_ethnicity = population_ethnicity
        self.counts = counts
        self.indicators = indicators
        self.comparators = comparators or []
        self.warnings = warnings or []
        self.sources = sources or {}
        #: Key of the input files this workspace was loaded from (set by :meth:`from_config`;
        #: None once a table is replaced): workspaces with the same key share :meth:`memo`.
        self.source_key: str | None = None

    # ------------------------------------------------------------------ memo
    #: Tables and definitions whose replacement makes every memoised value stale.
    _DATA = frozenset(
        {
            "config",
            "areas",
            "population",
            "population_ethnicity",
            "counts",
            "indicators",
            "comparators",
        }
    )

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._DATA and name in self.__dict__:
            # a table replaced after loading (e.g. a filtered copy): nothing memoised is valid
            self.__dict__["source_key"] = None
            self.__dict__.pop("_memo", None)
        super().__setattr__(name, value)

    def __getstate__(self) -> dict[str, Any]:
        # memoised indexes and results are rebuilt, never pickled (nor shared by copy.copy)
        state = dict(self.__dict__)
        state.pop("_memo", None)
        state["source_key"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("source_key", None)
        self.__dict__.update(state)

    def memo(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value ``build()`` returns, computed once per workspace data and ``key``.

        Values that depend only on the workspace's loaded data — indexes of the counts, the
        values of comparators or of every place of a level — are computed once and reused by
        every place of a run. Workspaces loaded by :meth:`from_config` from the same unchanged
        inputs (the same :attr:`source_key`, e.g. one per place in a warm kernel) share them
        in a module-level store holding the last two inputs' values; any other workspace keeps
        its own. Assigning a table (``ws.counts = ...``) forgets them; tables must not be
        changed in place. Never store anything specific to a place or a notebook's parameters
        beyond what ``key`` names.

        Parameters
        ----------
        key : hashable
            Names the value and every argument it depends on.
        build : callable
            Computes the value (called only when it is not stored yet).
        """
        if self.source_key is not None:
            store = _shared_store(self.source_key)
        else:
            store = self.__dict__.setdefault("_memo", {})
        if key not in store:
            store[key] = build()
        return store[key]

    def _index(self, name: str) -> _TableIndex:
        """The row index of the counts or the population (:data:`_INDEXES`), built once per
        workspace data; a workspace read from the cache has them from its file."""
        return self.memo((name,), lambda: _INDEXES[name](self))

    def has_memo(self, key: Hashable) -> bool:
        """Whether :meth:`memo` holds a value for ``key`` (so asking for it computes nothing)."""
        if self.source_key is not None:
            return key in _SHARED_MEMO.get(self.source_key, {})
        return key in self.__dict__.get("_memo", {})

    # ------------------------------------------------------------------ fast slices
    def counts_for(
        self,
        period: str | Iterable[str] | None = None,
        indicators: str | Iterable[str] | None = None,
        areas: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Rows of :attr:`counts` of some periods, indicators and small areas.

        The same rows, in the same order and with the same index labels, as the boolean filter
        ``counts[counts["period"].astype(str).isin(periods) &
        counts["indicator_id"].isin(indicators) & counts[area_col].isin(areas)]``, found through
        an index built once (:meth:`memo`) instead of comparing every row of the table: a place
        report asks for dozens of slices, and a synthetic England has 11.5 million count rows.

        Parameters
        ----------
        period : str or iterable of str, optional
            Period(s), compared as text; default every period.
        indicators : str or iterable of str, optional
            Indicator id(s); default every indicator.
        areas : iterable of str, optional
            Small-area codes (:attr:`area_col`); default every area.

        Returns
        -------
        pandas.DataFrame
        """
        idx = self._index("counts_index")
        return idx.take(self.counts, period, indicators, areas)

    def population_for(
        self,
        period: str | Iterable[str] | None = None,
        areas: Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Rows of :attr:`population` of some periods and small areas (as :meth:`counts_for`:
        the rows, order and index labels of the boolean filter)."""
        idx = self._index("population_index")
        return idx.take(self.population, period, None, areas)

    @property
    def population_periods(self) -> list[str]:
        """Periods of the population table, oldest first (as text)."""
        if self.population is None or self.population.empty:
            return []
        return sorted(self._index("population_index").periods)

    def counts_shape(self, period: str, indicator_id: str) -> tuple[bool, bool, bool]:
        """Whether an indicator's count rows of one period have every denominator, are for
        persons only and are for all ages only.

        It is decided on the rows of every area, once per workspace data (:meth:`memo`; a
        workspace read from the cache has it from its file), and tells
        :func:`hiworkbook.results.counts_filled` how to fill missing denominators for any
        subset of the areas.

        Returns
        -------
        tuple of bool
            ``(complete, persons_only, all_ages_only)``.
        """
        period = str(period)
        return self.memo(
            ("counts_shape", period, indicator_id),
            lambda: _counts_shape(self.counts_for(period, indicator_id)),
        )

    def indicators_with_counts(self, period: str) -> list[str]:
        """Ids of the indicators with count rows in ``period``, in the order they first appear."""
        return self._index("counts_index").keys_in(str(period))

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_config(
        cls, config: str | Path | WorkbookConfig, *, cache: bool = True
    ) -> Workspace:
        """Load and validate everything a workbook config names.

        Parameters
        ----------
        config : str, Path or WorkbookConfig
            Path to ``workbook.toml``.
        cache : bool, default True
            Reuse a validated copy from the cache folder (:func:`hiworkbook.paths.cache_dir`)
            when neither the config nor any input file has changed. Batch runs
            rely on this so each place's notebook does not re-read and re-check every file.
            Within one process (a warm kernel running place after place) the copy is also
            held in memory under the same key, so it is read once per process; each call gets
            its own :class:`Workspace` whose tables are copy-on-write views of the held ones,
            so nothing one notebook changes reaches the next.

        Raises
        ------
        DataError
            Listing every problem found in every file.
        """
        log = ProblemLog()
        cfg = config if isinstance(config, WorkbookConfig) else load_config(config, log)
        if cfg is None:
            log.raise_if_errors("the workbook config")
        key = _cache_key(cfg) if cache and not log.has_errors else None
        if key:
            held = _MEMO.get(_config_tag(cfg))
            if held is not None and held[0] == key:
                return _keyed(_handout(held[1], cfg), key)
        cached = _cache_read(cfg, key) if key else None
        if cached is not None:
            _remember(cfg, key, cached)
            _seed_memo(key, cached.__dict__.pop("_seeds", {}))
            return _keyed(_handout(cached, cfg), key)
        ws = _load(cfg, log)
        log.raise_if_errors(f"the workbook {cfg.path.name}")
        if key:
            _seed_memo(key, _cache_write(cfg, key, ws))
            _remember(cfg, key, ws)
            return _keyed(_handout(ws, cfg), key)
        return ws

    # ------------------------------------------------------------------ properties
    @property
    def area_col(self) -> str:
        """The small-area code column (``lsoa21_code`` or ``lsoa11_code``)."""
        return self.config.area_col

    @property
    def periods(self) -> list[str]:
        """Periods that have counts, oldest first."""
        return sorted(self._index("counts_index").periods)

    @property
    def synthetic(self) -> bool:
        """Whether the data is synthetic (reports then say so everywhere)."""
        return self.config.synthetic

    @property
    def default_period(self) -> str:
        """The configured period, else the latest with counts, else (a workbook without counts)
        the latest population period."""
        if self.config.period:
            return self.config.period
        if self.periods:
            return self.periods[-1]
        pop = self.population
        if pop is not None and len(pop):
            return sorted(pop["period"].astype(str).unique())[-1]
        return ""

    def places(self, level: str | None = None) -> pd.DataFrame:
        """Every place reports can be made for: ``place_code``, ``place_name``, ``level``.

        Parameters
        ----------
        level : str, optional
            Only places of this level (``"ltla"``, ``"icb"`` …); default every configured level.
        """
        levels = [level] if level else list(self.config.place_levels)
        frames = []
        for lv in levels:
            code, name = f"{lv}_code", f"{lv}_name"
            if code not in self.areas:
                continue
            names = self.areas[name] if name in self.areas else self.areas[code]
            df = (
                pd.DataFrame({"place_code": self.areas[code], "place_name": names})
                .drop_duplicates("place_code")
                .assign(level=lv)
            )
            frames.append(df.sort_values("place_code"))
        if not frames:
            return pd.DataFrame(columns=["place_code", "place_name", "level"])
        return pd.concat(frames, ignore_index=True)

    def place(self, code: str, *, period: str | None = None) -> Place:
        """The place with this code, with its small areas and comparators.

        Raises
        ------
        DataError
            If no configured place level has this code (the message suggests close codes).
        """
        for lv in self.config.place_levels:
            col = f"{lv}_code"
            if col in self.areas and (self.areas[col] == code).any():
                areas = self.areas[self.areas[col] == code].copy()
                name_col = f"{lv}_name"
                name = str(areas[name_col].iloc[0]) if name_col in areas else code
                period = str(period or self.default_period)
                areas = self._with_population(areas, period)
                return Place(
                    code=code,
                    name=name,
                    level=lv,
                    areas=areas,
                    comparators=self._comparators_for(lv, areas),
                    workspace=self,
                    period=period,
                )
        known = self.places()["place_code"].tolist()
        log = ProblemLog()
        log.error(
            f"No place has the code '{code}'{did_you_mean(code, known)}.",
            fix=f"Known places ({len(known)}): {format_values(known, 8)}. "
            "Run `hiworkbook places <config>` to list them all.",
        )
        raise DataError(log.problems)

    def _with_population(
        self, areas: gpd.GeoDataFrame, period: str
    ) -> gpd.GeoDataFrame:
        pop = self.population
        if pop.empty:
            return areas.assign(population=pd.NA)
        periods = self.population_periods
        use = period if period in periods else nearest_period(period, periods)
        tot = self.memo(
            ("population_totals", use),
            lambda: self.population_for(use).groupby(self.area_col)["population"].sum(),
        )
        return areas.assign(
            population=areas[self.area_col].map(tot).fillna(0).astype("int64")
        )

    def _comparators_for(self, level: str, areas: gpd.GeoDataFrame) -> list[Comparator]:
        out = []
        parent = PARENT_LEVEL.get(level)
        if self.config.compare_with_parent and parent and f"{parent}_code" in areas:
            pcode = areas[f"{parent}_code"].mode().iloc[0]
            members = self.areas.loc[
                self.areas[f"{parent}_code"] == pcode, self.area_col
            ]
            pname_col = f"{parent}_name"
            pname = (
                self.areas.loc[self.areas[f"{parent}_code"] == pcode, pname_col].iloc[0]
                if pname_col in self.areas
                else pcode
            )
            out.append(
                Comparator(
                    code=pcode,
                    name=str(pname),
                    kind="aggregate",
                    area_codes=tuple(members),
                )
            )
        out.extend(self.comparators)
        return out


def load_place(
    config: str | Path | None = None,
    place_code: str | None = None,
    *,
    period: str | None = None,
    indicators: list[str] | tuple[str, ...] = (),
) -> Place:
    """Load and validate a workbook and return one place: the one validation call of a notebook.

    Parameters
    ----------
    config : str or Path, optional
        The workbook config (``workbook.toml``). Empty or None: the synthetic demo region, generated
        into :func:`hiworkbook.paths.demo_dir` if it is not there yet.
    place_code : str, optional
        Code of the place (an LTLA, ICB … code present in the lookup). Empty or None: the first
        place of the first configured level.
    period : str, optional
        The period to report; default the config's period, else the latest with counts.
    indicators : list of str, optional
        Indicator ids the notebook's parameters name; each must be defined in the workbook.

    Raises
    ------
    DataError
        Listing every problem with the data, the config or the parameters.
    """
    if not config:
        from hiworkbook.demo import generate_demo

        config = generate_demo(paths.demo_dir())
    ws = Workspace.from_config(config)
    log = ProblemLog()
    if period and ws.periods and str(period) not in ws.periods:
        log.error(
            f"The period '{period}' has no counts{did_you_mean(str(period), ws.periods)}.",
            fix=f"Periods with counts: {', '.join(ws.periods)}.",
        )
    for ind in dict.fromkeys(indicators):
        if ind and ind not in ws.indicators:
            log.error(
                f"The parameter names an indicator '{ind}' that is not defined"
                f"{did_you_mean(ind, ws.indicators)}.",
                fix=f"Defined indicators: {format_values(list(ws.indicators), 12)}.",
            )
    log.raise_if_errors("the notebook's parameters")
    if not place_code:
        places = ws.places()
        if places.empty:
            log = ProblemLog()
            log.error(
                "The workbook defines no places.",
                fix="Check geography.place_levels and the lookup.",
            )
            raise DataError(log.problems)
        place_code = str(places["place_code"].iloc[0])
    return ws.place(place_code, period=period or None)


# ---------------------------------------------------------------------- internals
#: Memoised values of workspaces loaded from unchanged inputs, by :attr:`Workspace.source_key`.
_SHARED_MEMO: OrderedDict[str, dict] = OrderedDict()

#: The row indexes of the tables every report slices (:meth:`Workspace.counts_for`,
#: :meth:`Workspace.population_for`). They are built when a workspace is validated and kept in
#: its cache file (:func:`_cache_write`), so each process reading the file (a batch's kernels and
#: workers) has them at once instead of building its own (about 4 s for synthetic England).
_INDEXES: dict[str, Callable[[Workspace], _TableIndex]] = {
    "counts_index": lambda ws: _TableIndex(ws.counts, ws.area_col, "indicator_id"),
    "population_index": lambda ws: _TableIndex(ws.population, ws.area_col),
}
_SHARED_MEMO_SIZE = 2


def _counts_shape(c: pd.DataFrame) -> tuple[bool, bool, bool]:
    """:meth:`Workspace.counts_shape` of one indicator's and period's count rows."""
    complete = "denominator" in c and bool(c["denominator"].notna().all())
    return (
        complete,
        set(c["sex"].unique()) == {"persons"},
        set(c["age_band"].unique()) == {"all"},
    )


def _ranges(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``values[lo[0]:hi[0]]``, ``values[lo[1]:hi[1]]``, … concatenated (empty ranges skipped)."""
    lengths = np.maximum(hi - lo, 0)
    if not lengths.sum():
        return np.empty(0, dtype=values.dtype)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return values[np.arange(int(lengths.sum())) + starts]


class _TableIndex:
    """Row positions of a table grouped by period (compared as text) and, optionally, by a key
    column (exact match), with the small-area code of every row as an integer: any slice of
    periods × keys × areas is then a gather of positions, not a scan of the table."""

    def __init__(self, table: pd.DataFrame, area_col: str, key_col: str | None = None):
        raw, uniq = pd.factorize(table["period"], use_na_sentinel=False)
        as_text = pd.Index(uniq).astype(
            str
        )  # what ``table["period"].astype(str)`` compares
        remap, texts = pd.factorize(as_text)
        pcode = remap[raw] if len(raw) else raw
        self.period_code = {str(t): i for i, t in enumerate(texts)}
        self.periods = list(self.period_code)
        self.keyed = key_col is not None
        if self.keyed:
            kcode, kuniq = pd.factorize(table[key_col])  # NaN (-1) matches no key
            self.key_code = {k: i for i, k in enumerate(kuniq)}
        else:
            kcode, self.key_code = np.zeros(len(table), dtype=np.intp), {None: 0}
        nk = max(len(self.key_code), 1)
        self.n_groups = len(self.period_code) * nk
        group = np.where(kcode >= 0, pcode * nk + kcode, self.n_groups)
        itype = np.int32 if len(table) < 2**31 else np.int64
        self.order = np.argsort(group, kind="stable").astype(itype)
        sizes = np.bincount(group, minlength=self.n_groups + 1)
        self.starts = np.concatenate([[0], np.cumsum(sizes)])
        self.nk = nk
        acode, auniq = (
            pd.factorize(table[area_col])
            if area_col in table
            else (np.full(len(table), -1), [])
        )
        self.area_code = acode.astype(itype)
        self.area_index = pd.Index(auniq)
        self._area_order: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _codes(self, wanted, lookup: dict) -> list[int]:
        if wanted is None:
            return list(lookup.values())
        if isinstance(wanted, str):
            wanted = [wanted]
        return [lookup[w] for w in dict.fromkeys(wanted) if w in lookup]

    def positions(self, period=None, keys=None, areas=None) -> np.ndarray:
        """Positions of the rows, ascending (table order)."""
        periods = self._codes(
            None
            if period is None
            else [str(p) for p in ([period] if isinstance(period, str) else period)],
            self.period_code,
        )
        kc = self._codes(keys, self.key_code) if self.keyed else [0]
        parts = [
            self.order[self.starts[g] : self.starts[g + 1]]
            for p in periods
            for k in kc
            for g in (p * self.nk + k,)
        ]
        if not parts:
            return np.empty(0, dtype=self.order.dtype)
        if areas is not None:
            # each group's rows of the areas: slices of the group's rows ordered by area
            ac = self.area_index.get_indexer(pd.Index(areas).unique())
            ac = np.sort(ac[ac >= 0])
            groups = [p * self.nk + k for p in periods for k in kc]
            parts = []
            for g in groups:
                by_area, bounds = self._by_area(g)
                lo, hi = bounds[ac], bounds[ac + 1]
                keep = hi > lo
                if keep.any():
                    parts.append(_ranges(by_area, lo[keep], hi[keep]))
            if not parts:
                return np.empty(0, dtype=self.order.dtype)
            return np.sort(np.concatenate(parts))
        return parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))

    def _by_area(self, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Group ``g``'s row positions ordered by small area (table order within an area) and
        where each area's rows start: made when the group is first sliced by area, so a
        place's rows are a few slices rather than a mask over every row of the group (a
        directly standardised indicator has a row per small area, sex and age band)."""
        hit = self._area_order.get(g)
        if hit is None:
            part = self.order[self.starts[g] : self.starts[g + 1]]
            codes = self.area_code[part]
            sort = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[sort], np.arange(len(self.area_index) + 1))
            hit = self._area_order[g] = (part[sort], bounds)
        return hit

    def take(
        self, table: pd.DataFrame, period=None, keys=None, areas=None
    ) -> pd.DataFrame:
        return table.take(self.positions(period, keys, areas))

    def keys_in(self, period: str) -> list:
        p = self.period_code.get(str(period))
        if p is None:
            return []
        return [
            k
            for k, i in self.key_code.items()
            if self.starts[p * self.nk + i + 1] > self.starts[p * self.nk + i]
        ]


def nearest_period(period: str, periods: list[str]) -> str:
    """The latest period not after ``period`` (else the earliest), comparing as text."""
    before = [p for p in periods if p <= period]
    return before[-1] if before else periods[0]


def _options(spec: FileSpec) -> dict[str, Any]:
    return {k: v for k, v in spec.options.items() if not k.startswith("_")}


def _load(cfg: WorkbookConfig, log: ProblemLog) -> Workspace | None:
    """Read every file and cross-check them; problems go to ``log``."""
    area_col = cfg.area_col
    vintage = cfg.vintage
    sources: dict[str, str] = {}

    indicators = load_indicators(None, log=log)
    for spec in cfg.files.get("indicators", []):
        indicators.update(load_indicators(spec.path, log=log))

    b = cfg.file("boundaries")
    boundaries = (
        hio.load_boundaries(
            b.path, log=log, level="lsoa", vintage=vintage, label=b.label, **_options(b)
        )
        if b
        else None
    )
    lk = cfg.file("lookup")
    lookup = (
        hio.load_lookup(
            lk.path, log=log, vintage=vintage, label=lk.label, **_options(lk)
        )
        if lk
        else None
    )
    d = cfg.file("deprivation")
    deprivation = (
        hio.load_deprivation(
            d.path, log=log, vintage=vintage, label=d.label, **_options(d)
        )
        if d
        else None
    )
    bf = cfg.file("best_fit_lookup")
    # counts and populations of the other LSOA vintage are converted through it when configured
    convert = {"best_fit_lookup": bf.path} if bf else {}
    population = pd.DataFrame(
        columns=[area_col, "period", "sex", "age_band", "population"]
    )
    pops = [
        hio.load_population(
            p.path, log=log, vintage=vintage, label=p.label, **convert, **_options(p)
        )
        for p in cfg.files.get("population", [])
    ]
    pops = [p for p in pops if p is not None and len(p)]
    if pops:
        population = pd.concat(pops, ignore_index=True)
    pe = cfg.file("population_ethnicity")
    population_ethnicity = (
        hio.load_population_ethnicity(
            pe.path, log=log, vintage=vintage, label=pe.label, **_options(pe)
        )
        if pe
        else None
    )
    counts_frames = [
        hio.load_counts(
            c.path,
            log=log,
            vintage=vintage,
            label=c.label,
            indicators=indicators,
            **convert,
            **_options(c),
        )
        for c in cfg.files.get("counts", [])
    ]
    counts_frames = [c for c in counts_frames if c is not None and len(c)]
    counts = (
        pd.concat(counts_frames, ignore_index=True)
        if counts_frames
        else pd.DataFrame(
            columns=[
                "indicator_id",
                "period",
                area_col,
                "sex",
                "age_band",
                "ethnic_group",
                "numerator",
                "denominator",
            ]
        )
    )

    comparators = []
    for spec in cfg.comparators:
        comparators.append(_load_comparator(spec, indicators, log))

    for key, specs in cfg.files.items():
        for s in specs:
            sources[key] = s.label

    if (boundaries is None or deprivation is None) and not log.has_errors:
        log.error(
            "names no small-area boundaries or deprivation file: it holds published values "
            "only, which the local authority profile (notebooks/la_profile.ipynb) reads.",
            file=cfg.path.name,
            fix="Add boundaries = … and deprivation = … under [files] for place reports.",
        )
    if boundaries is None or deprivation is None or log.has_errors:
        return None

    areas = _assemble_areas(
        cfg, boundaries, lookup, deprivation, population, counts, log
    )
    if areas is None or log.has_errors:
        return None
    return Workspace(
        cfg,
        areas,
        population,
        counts,
        indicators,
        population_ethnicity=population_ethnicity,
        comparators=comparators,
        warnings=log.warnings,
        sources=sources,
    )


def _load_comparator(
    spec: ComparatorSpec, indicators: dict[str, Indicator], log: ProblemLog
) -> Comparator:
    if spec.counts is not None:
        counts = hio.load_counts(
            spec.counts.path,
            log=log,
            label=spec.counts.label,
            indicators=indicators,
            area_col="area_code",
            **_options(spec.counts),
        )
        return Comparator(
            code=spec.code, name=spec.name, kind="aggregate", counts=counts
        )
    values = hio.load_fingertips(
        spec.fingertips.path,
        log=log,
        label=spec.fingertips.label,
        **_options(spec.fingertips),
    )
    if values is not None and spec.code:
        values = values[values["area_code"] == spec.code]
    return Comparator(code=spec.code, name=spec.name, kind="published", values=values)


def _assemble_areas(
    cfg: WorkbookConfig,
    boundaries: gpd.GeoDataFrame,
    lookup: pd.DataFrame | None,
    deprivation: pd.DataFrame,
    population: pd.DataFrame,
    counts: pd.DataFrame,
    log: ProblemLog,
) -> gpd.GeoDataFrame | None:
    area_col = cfg.area_col
    files = {k: (v[0].label if v else k) for k, v in cfg.files.items()}
    b_codes = boundaries[area_col]
    hio.check_codes_match(
        deprivation[area_col], b_codes, files["deprivation"], files["boundaries"], log
    )
    if lookup is not None:
        hio.check_codes_match(
            lookup[area_col],
            b_codes,
            files["lookup"],
            files["boundaries"],
            log,
            both_ways=False,
        )
    if len(population):
        hio.check_codes_match(
            population[area_col],
            b_codes,
            files.get("population", "population"),
            files["boundaries"],
            log,
        )
    if len(counts):
        hio.check_codes_match(
            counts[area_col],
            b_codes,
            files.get("counts", "counts"),
            files["boundaries"],
            log,
            both_ways=False,
        )
    if log.has_errors:
        return None
    from hiworkbook.coverage import check_place_coverage

    check_place_coverage(
        boundaries,
        lookup,
        area_col,
        cfg.place_levels,
        log,
        deprivation=deprivation,
        population=population,
        files={
            k: files[k]
            for k in ("boundaries", "deprivation", "population")
            if k in files
        },
    )
    areas = boundaries
    if lookup is not None:
        keep = [c for c in lookup.columns if c not in areas.columns or c == area_col]
        areas = areas.merge(
            lookup[keep].drop_duplicates(area_col), on=area_col, how="left"
        )
    if "area_name" not in areas:
        name_col = f"{area_col[:-5]}_name"
        areas["area_name"] = areas[name_col] if name_col in areas else areas[area_col]
    dep_cols = [
        c for c in deprivation.columns if c not in areas.columns or c == area_col
    ]
    areas = areas.merge(deprivation[dep_cols], on=area_col, how="left")
    if "imd_decile" in areas:
        areas["imd_quintile"] = ((areas["imd_decile"] + 1) // 2).astype("Int64")
    for lv in cfg.place_levels:
        if lv != "custom" and f"{lv}_code" not in areas:
            log.error(
                f"Reports are configured for '{lv}' places, but neither the lookup nor the "
                f"boundaries give each small area its {lv} code.",
                file=files.get("lookup", "lookup"),
                fix=f"Add a lookup with a {lv.upper()} code column, or remove '{lv}' from "
                "geography.place_levels.",
            )
    return gpd.GeoDataFrame(areas, geometry="geometry", crs=boundaries.crs)


# ---------------------------------------------------------------------- cache
def _cache_dir(cfg: WorkbookConfig) -> Path:
    # the user's cache folder (or HIWORKBOOK_CACHE): never the project's or the user's data folders
    return paths.cache_dir()


def _config_tag(cfg: WorkbookConfig) -> str:
    """Short hash of the config's path: one cached workspace per workbook is kept."""
    return hashlib.sha256(str(cfg.path).encode()).hexdigest()[:8]


def _cache_key(cfg: WorkbookConfig) -> str:
    h = hashlib.sha256()
    h.update(__version__.encode())
    # the loaders' own code: a fixed loader must not be served its old output
    for src in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        st = src.stat()
        h.update(f"{src.name}|{st.st_size}|{st.st_mtime_ns}".encode())
    h.update(cfg.path.read_bytes())
    for specs in cfg.files.values():
        for s in specs:
            st = s.path.stat()
            h.update(f"{s.path}|{st.st_size}|{st.st_mtime_ns}".encode())
    for c in cfg.comparators:
        for s in (c.counts, c.fingertips):
            if s is not None:
                st = s.path.stat()
                h.update(f"{s.path}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


#: Validated workspaces held in this process: config tag → (cache key, workspace). One per
#: workbook, replaced when its key changes (an input, the config or hiworkbook changed).
_MEMO: dict[str, tuple[str, Workspace]] = {}

#: Text columns stored as categoricals in the cache file (codes + each distinct text once), so
#: reading it is a few array copies instead of millions of string objects.
_COMPACT = ("counts", "population", "population_ethnicity")


def _keyed(ws: Workspace, key: str) -> Workspace:
    """Mark a workspace as loaded from the inputs ``key`` hashes (:meth:`Workspace.memo`)."""
    ws.source_key = key
    return ws


def _remember(cfg: WorkbookConfig, key: str, ws: Workspace) -> None:
    _MEMO[_config_tag(cfg)] = (key, ws)


def _handout(ws: Workspace, cfg: WorkbookConfig) -> Workspace:
    """A new Workspace over the held one's data: tables are shallow copies (pandas'
    copy-on-write makes any change a private copy), containers are copied, so a notebook that
    changes its workspace cannot change the next notebook's."""

    def view(frame: Any) -> Any:
        return frame.copy(deep=False) if frame is not None else None

    out = Workspace(
        cfg,
        view(ws.areas),
        view(ws.population),
        view(ws.counts),
        dict(ws.indicators),
        population_ethnicity=view(ws.population_ethnicity),
        comparators=[
            replace(c, counts=view(c.counts), values=view(c.values))
            for c in ws.comparators
        ],
        warnings=list(ws.warnings),
        sources=dict(ws.sources),
    )
    out.__dict__.setdefault("_derived", ws.__dict__.setdefault("_derived", {}))
    return out


def _compact(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    if frame is None:
        return None
    out = frame.copy(deep=False)
    for c in out.columns:
        col = out[c]
        if (
            col.dtype == object
            and pd.api.types.infer_dtype(col, skipna=False) == "string"
        ):
            out[c] = col.astype(
                pd.CategoricalDtype(pd.Index(col.unique(), dtype=object))
            )
    return out


def _expand(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    if frame is None:
        return None
    for c in frame.columns:
        if isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = as_objects(frame[c])
    return frame


def _shared_store(key: str) -> dict:
    """The memo of the workspaces loaded from the inputs ``key`` hashes (made if new; the
    oldest inputs' memo is dropped beyond :data:`_SHARED_MEMO_SIZE`)."""
    store = _SHARED_MEMO.get(key)
    if store is None:
        store = _SHARED_MEMO[key] = {}
        while len(_SHARED_MEMO) > _SHARED_MEMO_SIZE:
            _SHARED_MEMO.popitem(last=False)
    _SHARED_MEMO.move_to_end(key)
    return store


def _memo_seeds(ws: Workspace) -> dict[tuple, Any]:
    """What every process reading a workspace's cache file would otherwise compute first, as
    :meth:`Workspace.memo` keys and values: the row indexes of its tables (:data:`_INDEXES`,
    those it has) and the shape of every indicator's counts in every period
    (:meth:`Workspace.counts_shape`)."""
    tables = {"counts_index": ws.counts, "population_index": ws.population}
    seeds: dict[tuple, Any] = {
        (name,): build(ws)
        for name, build in _INDEXES.items()
        if tables[name] is not None and len(tables[name])
    }
    idx = seeds.get(("counts_index",))
    if idx is not None:
        for period in idx.periods:
            for ind_id in idx.keys_in(period):
                rows = idx.take(ws.counts, period, ind_id)
                seeds[("counts_shape", str(period), ind_id)] = _counts_shape(rows)
    return seeds


def _seed_memo(key: str, seeds: dict[tuple, Any]) -> None:
    """Hold the values a cache file carried (or its writer computed, :func:`_memo_seeds`) as
    memoised values of the workspaces of ``key`` (:meth:`Workspace.memo`)."""
    if not seeds:
        return
    store = _shared_store(key)
    for name, value in seeds.items():
        store.setdefault(name, value)


def _cache_read(cfg: WorkbookConfig, key: str) -> Workspace | None:
    path = _cache_dir(cfg) / f"workspace-{_config_tag(cfg)}-{key}.pickle"
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            state = pickle.load(fh)
        ws = Workspace.__new__(Workspace)
        ws.__dict__.update(state)
        for name in _COMPACT:
            setattr(ws, name, _expand(getattr(ws, name)))
    except Exception:  # a stale or partial cache is ignored, never fatal
        log_.info("ignoring unreadable workspace cache %s", path)
        return None
    ws.config = cfg
    return ws


def _cache_write(
    cfg: WorkbookConfig, key: str, ws: Workspace
) -> dict[str, _TableIndex]:
    """Write the validated workspace to the cache folder, with its memo seeds (row indexes,
    counts' shapes: :func:`_memo_seeds`); returns the seeds (computed even when the folder
    cannot be written)."""
    folder = _cache_dir(cfg)
    seeds = _memo_seeds(ws)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tag = _config_tag(cfg)
        final = folder / f"workspace-{tag}-{key}.pickle"
        tmp = folder / f".workspace-{tag}-{key}.{os.getpid()}.tmp"
        state = {k: v for k, v in ws.__dict__.items() if k != "_derived"}
        state.update({name: _compact(getattr(ws, name)) for name in _COMPACT})
        # every process reading the file would otherwise compute them (_memo_seeds)
        state["_seeds"] = seeds
        with tmp.open("wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(final)
        # an older validated copy of the same workbook is stale now: remove it
        for old in folder.glob(f"workspace-{tag}-*.pickle"):
            if old != final:
                old.unlink(missing_ok=True)
        log_.info(
            "Validated workspace cached in %s (%.1f MB; set HIWORKBOOK_CACHE to move it)",
            folder,
            final.stat().st_size / 1e6,
        )
    except OSError as exc:  # an unwritable cache folder is fine: just no cache
        log_.info("workspace cache not written (%s)", exc)
    return seeds
