"""Assemble the synthetic region (and a synthetic England) and write its files.

:func:`build_region` returns every table in memory; :func:`generate_demo` writes them atomically
into a folder with a ``workbook.toml`` and a ``manifest.json``; :func:`generate_england` returns a
polygon-free England-sized version of the same model for benchmarks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.special import expit

from hiworkbook.demo import model as M
from hiworkbook.demo import names as N
from hiworkbook.demo.geography import make_tiling, rook_neighbours

__all__ = [
    "DEFAULT_SEED",
    "MODEL_VERSION",
    "FILES",
    "build_region",
    "generate_demo",
    "generate_england",
    "blocks_to_frame",
]

log = logging.getLogger(__name__)

DEFAULT_SEED = 20241
#: Bumped whenever the model changes what a seed produces.
MODEL_VERSION = 2  # 2: deaths by broad cause added
GENERATOR = "hiworkbook.demo"
FILES = (
    "boundaries.gpkg",
    "lookup.csv",
    "deprivation.csv",
    "population.csv",
    "population_ethnicity.csv",
    "counts.csv",
    "england_counts.csv",
    "README.md",
    "workbook.toml",
)
_GPKG_DATE = "2024-01-01T00:00:00.000Z"


# --------------------------------------------------------------------------- tables


def blocks_to_frame(
    blocks: Sequence[M.Block],
    codes: Sequence[str],
    periods: Sequence[str],
    code_col: str = "lsoa21_code",
    int_dtype: str = "int64",
) -> pd.DataFrame:
    """Counts blocks to the canonical long counts layout.

    Parameters
    ----------
    blocks : sequence of Block
        Arrays of shape (area, period, sex, band, ethnic group).
    codes : sequence of str
        Area codes (length of the area axis).
    periods : sequence of str
    code_col : str
        Name of the area column (``lsoa21_code``, or ``area_code`` for aggregates).
    int_dtype : str
        Integer dtype of numerator and denominator.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id, period, <code_col>, sex, age_band, ethnic_group, numerator, denominator``
        with categorical label columns, rows in the order indicator, area, period, sex, band,
        ethnic group.
    """
    codes = np.asarray(codes)
    frames = []
    for b in blocks:
        shape = b.numerator.shape
        idx = np.indices(shape).reshape(len(shape), -1)
        n_rows = idx.shape[1]
        frames.append(
            pd.DataFrame(
                {
                    "indicator_id": pd.Categorical.from_codes(
                        np.zeros(n_rows, dtype=np.int8), [b.indicator_id]
                    ),
                    "period": pd.Categorical.from_codes(idx[1], list(periods)),
                    code_col: pd.Categorical.from_codes(idx[0], list(codes)),
                    "sex": pd.Categorical.from_codes(idx[2], list(b.sexes)),
                    "age_band": pd.Categorical.from_codes(idx[3], list(b.bands)),
                    "ethnic_group": pd.Categorical.from_codes(idx[4], list(b.ethnic)),
                    "numerator": b.numerator.reshape(-1).astype(int_dtype),
                    "denominator": b.denominator.reshape(-1).astype(int_dtype),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    for col in ("indicator_id", "period", code_col, "sex", "age_band", "ethnic_group"):
        out[col] = out[col].astype(
            pd.CategoricalDtype(
                list(dict.fromkeys(c for f in frames for c in f[col].cat.categories))
            )
        )
    return out


def _population_frame(
    pop: np.ndarray,
    codes: Sequence[str],
    periods: Sequence[str],
    code_col: str = "lsoa21_code",
) -> pd.DataFrame:
    idx = np.indices(pop.shape).reshape(4, -1)
    return pd.DataFrame(
        {
            code_col: pd.Categorical.from_codes(idx[0], list(codes)),
            "period": pd.Categorical.from_codes(idx[1], list(periods)),
            "sex": pd.Categorical.from_codes(idx[2], list(M.SEXES)),
            "age_band": pd.Categorical.from_codes(idx[3], list(M.ESP_BANDS)),
            "population": pop.reshape(-1),
        }
    )


def _ethnic_frame(
    eth: np.ndarray,
    codes: Sequence[str],
    periods: Sequence[str],
    code_col: str = "lsoa21_code",
) -> pd.DataFrame:
    idx = np.indices(eth.shape).reshape(3, -1)
    return pd.DataFrame(
        {
            code_col: pd.Categorical.from_codes(idx[0], list(codes)),
            "period": pd.Categorical.from_codes(idx[1], list(periods)),
            "ethnic_group": pd.Categorical.from_codes(idx[2], list(M.ETHNIC_GROUPS)),
            "population": eth.reshape(-1),
        }
    )


def _smooth_noise(rng: np.random.Generator, pairs: np.ndarray, n: int) -> np.ndarray:
    """IID noise averaged over each cell and its neighbours (twice): spatially correlated."""
    e = rng.normal(size=n)
    deg = np.bincount(pairs.ravel(), minlength=n).astype(float)
    for _ in range(2):
        s = e.copy()
        np.add.at(s, pairs[:, 0], e[pairs[:, 1]])
        np.add.at(s, pairs[:, 1], e[pairs[:, 0]])
        e = s / (1 + deg)
    return (e - e.mean()) / e.std()


def _region_latent(
    rng: np.random.Generator,
    xy: np.ndarray,
    cores: np.ndarray,
    ltla: np.ndarray,
    pairs: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Latent deprivation of the region's areas and the index of the England-like LTLA."""
    n = len(xy)
    f = np.zeros(n)
    for k, (x, y, s) in enumerate(cores):
        sd = 4500.0 if k == 0 else 1800.0
        f += (
            2.2 * s * np.exp(-((xy[:, 0] - x) ** 2 + (xy[:, 1] - y) ** 2) / (2 * sd**2))
        )
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    for _ in range(6):
        c = rng.uniform(lo, hi)
        sd = rng.uniform(3000, 8000)
        f += rng.normal(0, 0.45) * np.exp(-((xy - c) ** 2).sum(axis=1) / (2 * sd**2))
    f = (f - f.mean()) / f.std()
    f = f + 0.45 * _smooth_noise(rng, pairs, n) + 0.2 * rng.normal(size=n)
    n_l = int(ltla.max()) + 1
    means = np.array([f[ltla == k].mean() for k in range(n_l)])
    targets = np.linspace(1.15, -0.85, n_l)
    neutral_rank = int(np.argmin(np.abs(targets - 0.05)))
    targets[neutral_rank] = 0.0
    order = np.argsort(-means, kind="stable")  # most deprived-looking first
    z = np.empty(n)
    neutral = int(order[neutral_rank])
    for r, k in enumerate(order):
        m = ltla == k
        dev = f[m] - f[m].mean()
        sd = 1.0 if r == neutral_rank else 0.8
        z[m] = targets[r] + sd * dev / max(dev.std(), 1e-9)
    return z, neutral


def _name_areas(
    rng: np.random.Generator, seeds: np.ndarray, ltla: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Order the small areas (by LTLA, MSOA-like cluster north to south) and name them.

    Returns the permutation to apply to the cells and the names in that order.
    """
    order: list[int] = []
    labels: list[str] = []
    names = N.ltla_names(int(ltla.max()) + 1)
    for k in range(int(ltla.max()) + 1):
        members = np.flatnonzero(ltla == k)
        n_ms = max(1, math.ceil(len(members) / 5))
        pts = seeds[members]
        cent = pts[rng.choice(len(pts), size=n_ms, replace=False)]
        for _ in range(10):
            lab = np.argmin(((pts[:, None] - cent[None]) ** 2).sum(-1), axis=1)
            for j in range(n_ms):
                if (lab == j).any():
                    cent[j] = pts[lab == j].mean(axis=0)
        ms_order = np.lexsort((cent[:, 0], -cent[:, 1]))  # north to south
        number = 0
        for j in ms_order:
            sub = members[lab == j]
            if len(sub) == 0:
                continue
            number += 1
            sub = sub[np.lexsort((seeds[sub, 0], -seeds[sub, 1]))]
            for li, i in enumerate(sub):
                order.append(int(i))
                labels.append(N.small_area_name(names[k], number, li))
    return np.array(order), np.array(labels, dtype=object)


def _england_rest(
    rng: np.random.Generator, z: np.ndarray, d: np.ndarray
) -> M.AreaModel:
    urban = expit(0.8 * z + rng.normal(0, 1.2, size=len(z)))
    return M.AreaModel(
        z=z, d=d, urban=urban, group=np.zeros(len(z), dtype=int), neutral_groups=(0,)
    )


#: Second entropy word of the generator the deaths by cause are drawn from.
_CAUSE_STREAM = 0xCA05E


def _le_block(blocks: list[M.Block]) -> M.Block:
    return next(b for b in blocks if b.indicator_id == "life_expectancy")


def build_region(
    seed: int = DEFAULT_SEED,
    *,
    n_ltla: int = 5,
    n_small_areas: int = 600,
    periods: Sequence[str] = ("2022", "2023", "2024"),
) -> dict[str, pd.DataFrame]:
    """Every table of the synthetic region, in memory.

    Parameters
    ----------
    seed : int
        Seed of the single random generator everything is drawn from.
    n_ltla : int
        Number of LTLAs (at least 2).
    n_small_areas : int
        Number of small areas (at least ``20 * n_ltla``).
    periods : sequence of str
        Periods (years) of population and counts, oldest first.

    Returns
    -------
    dict of str to DataFrame
        ``lsoa`` and ``ltla`` and ``icb`` (GeoDataFrames), ``lookup``, ``deprivation``,
        ``population``, ``population_ethnicity``, ``counts``, ``england_counts``.
    """
    if n_ltla < 2 or n_small_areas < 20 * n_ltla or n_small_areas >= M.N_ENGLAND:
        raise ValueError("need n_ltla >= 2 and 20 * n_ltla <= n_small_areas < 33755")
    periods = [str(p) for p in periods]
    rng = np.random.default_rng(seed)
    tiling = make_tiling(rng, n_small_areas, n_ltla)
    perm, sa_names = _name_areas(rng, tiling.seeds, tiling.ltla)
    cells = tiling.cells[perm]
    seeds = tiling.seeds[perm]
    ltla = tiling.ltla[perm]
    urban = tiling.urban[perm]
    n = len(cells)
    codes = np.array([N.small_area_code(i + 1) for i in range(n)])
    l_names = N.ltla_names(n_ltla)
    l_codes = [N.ltla_code(i + 1) for i in range(n_ltla)]
    pairs = rook_neighbours(cells)

    z, neutral = _region_latent(rng, seeds, tiling.cores, ltla, pairs)
    z_rest = rng.standard_normal(M.N_ENGLAND - n)
    score, rank, decile, d = M.rank_national(np.concatenate([z, z_rest]))
    area = M.AreaModel(z=z, d=d[:n], urban=urban, group=ltla, neutral_groups=(neutral,))
    n_per = len(periods)
    pop = M.draw_population(rng, M.expected_population(rng, area, n_per))
    shares = M.ethnic_shares(rng, area, n_per)
    eth = M.ethnic_population(rng, pop.sum(axis=(2, 3)), shares)
    blocks = M.simulate_counts(
        rng, area, pop, eth / np.maximum(eth.sum(-1, keepdims=True), 1)
    )

    rest = _england_rest(rng, z_rest, d[n:])
    rest_pop = M.expected_population(rng, rest, n_per)
    rest_blocks = M.simulate_counts(
        rng, rest, rest_pop, M.ethnic_shares(rng, rest, n_per), aggregate=True
    )
    # deaths by broad cause: drawn from a generator of their own, so every other table is
    # the same as without them
    cause_rng = np.random.default_rng([seed, _CAUSE_STREAM])
    blocks += M.cause_blocks(cause_rng, _le_block(blocks), area.d)
    rest_blocks += M.cause_blocks(
        cause_rng, _le_block(rest_blocks), np.array([float(np.mean(d[n:]))])
    )
    eng_blocks = [
        M.Block(
            b.indicator_id,
            b.sexes,
            b.bands,
            b.ethnic,
            r.numerator + b.numerator.sum(axis=0, keepdims=True),
            r.denominator + b.denominator.sum(axis=0, keepdims=True),
        )
        for b, r in zip(blocks, rest_blocks, strict=True)
    ]

    lsoa = gpd.GeoDataFrame(
        {"lsoa21_code": codes, "lsoa21_name": sa_names.astype(str)},
        geometry=list(cells),
        crs="EPSG:27700",
    )
    ltla_geom = [shapely.union_all(cells[ltla == k]) for k in range(n_ltla)]
    ltla_gdf = gpd.GeoDataFrame(
        {"ltla_code": l_codes, "ltla_name": l_names},
        geometry=ltla_geom,
        crs="EPSG:27700",
    )
    icb = gpd.GeoDataFrame(
        {"icb_code": [N.ICB_CODE], "icb_name": [N.ICB_NAME]},
        geometry=[shapely.union_all(cells)],
        crs="EPSG:27700",
    )
    lookup = pd.DataFrame(
        {
            "lsoa21_code": codes,
            "lsoa21_name": sa_names.astype(str),
            "ltla_code": np.array(l_codes)[ltla],
            "ltla_name": np.array(l_names)[ltla],
            "icb_code": N.ICB_CODE,
            "icb_name": N.ICB_NAME,
        }
    )
    deprivation = pd.DataFrame(
        {
            "lsoa21_code": codes,
            "imd_score": np.round(score[:n], 2),
            "imd_rank": rank[:n],
            "imd_decile": decile[:n],
        }
    )
    counts = blocks_to_frame(blocks, codes, periods)
    eng = blocks_to_frame(eng_blocks, [N.ENGLAND_CODE], periods, code_col="area_code")
    eng.insert(3, "area_name", N.ENGLAND_NAME)
    return {
        "lsoa": lsoa,
        "ltla": ltla_gdf,
        "icb": icb,
        "lookup": lookup,
        "deprivation": deprivation,
        "population": _population_frame(pop, codes, periods),
        "population_ethnicity": _ethnic_frame(eth, codes, periods),
        "counts": counts,
        "england_counts": eng,
        "_neutral_ltla": pd.DataFrame({"ltla_code": [l_codes[neutral]]}),
    }


def generate_england(
    n_small_areas: int = M.N_ENGLAND,
    *,
    seed: int = 1,
    periods: Sequence[str] = ("2024",),
) -> dict[str, pd.DataFrame]:
    """A polygon-free synthetic England of the same model, for benchmarks.

    Parameters
    ----------
    n_small_areas : int
        Number of LSOA-like areas (default 33,755 as in England).
    seed : int
    periods : sequence of str

    Returns
    -------
    dict of str to DataFrame
        ``lookup`` (lsoa21_code, ltla_code, ltla_name; about one LTLA per 112 areas),
        ``deprivation`` (with ``ltla_code``), ``population``, ``population_ethnicity`` and
        ``counts`` (canonical layout, int32 counts, categorical label columns).
    """
    periods = [str(p) for p in periods]
    rng = np.random.default_rng(seed)
    n = int(n_small_areas)
    n_l = max(1, round(n * 300 / M.N_ENGLAND))
    sizes = rng.lognormal(0, 0.5, size=n_l)
    bounds = np.concatenate([[0], np.cumsum(sizes) / sizes.sum()])
    group = np.clip(np.searchsorted(bounds, (np.arange(n) + 0.5) / n) - 1, 0, n_l - 1)
    z = rng.normal(0, 0.55, size=n_l)[group] + rng.normal(
        0, math.sqrt(1 - 0.55**2), size=n
    )
    score, rank, decile, d = M.rank_national(z)
    urban_g = rng.normal(0, 1.2, size=n_l)
    area = M.AreaModel(
        z=z,
        d=d,
        urban=expit(0.6 * z + urban_g[group] + rng.normal(0, 0.5, size=n)),
        group=group,
    )
    n_per = len(periods)
    pop = M.draw_population(rng, M.expected_population(rng, area, n_per)).astype(
        np.int32
    )
    shares = M.ethnic_shares(rng, area, n_per)
    eth = M.ethnic_population(rng, pop.sum(axis=(2, 3)), shares).astype(np.int32)
    blocks = M.simulate_counts(
        rng, area, pop, eth / np.maximum(eth.sum(-1, keepdims=True), 1)
    )
    blocks += M.cause_blocks(
        np.random.default_rng([seed, _CAUSE_STREAM]), _le_block(blocks), area.d
    )
    codes = [N.small_area_code(i + 1) for i in range(n)]
    l_codes = np.array([N.ltla_code(i + 1) for i in range(n_l)])
    lookup = pd.DataFrame(
        {
            "lsoa21_code": codes,
            "ltla_code": pd.Categorical(l_codes[group]),
            "ltla_name": pd.Categorical(
                np.char.add(
                    "Synthetic LTLA ", np.char.zfill((group + 1).astype(str), 3)
                )
            ),
        }
    )
    deprivation = pd.DataFrame(
        {
            "lsoa21_code": codes,
            "imd_score": np.round(score, 2),
            "imd_rank": rank,
            "imd_decile": decile,
            "ltla_code": lookup["ltla_code"],
        }
    )
    return {
        "lookup": lookup,
        "deprivation": deprivation,
        "population": _population_frame(pop, codes, periods),
        "population_ethnicity": _ethnic_frame(eth, codes, periods),
        "counts": blocks_to_frame(blocks, codes, periods, int_dtype="int32"),
    }


# --------------------------------------------------------------------------- files


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _params(seed: int, n_ltla: int, n_small_areas: int, periods: Sequence[str]) -> dict:
    return {
        "seed": int(seed),
        "n_ltla": int(n_ltla),
        "n_small_areas": int(n_small_areas),
        "periods": [str(p) for p in periods],
        "model_version": MODEL_VERSION,
    }


def _is_complete(out_dir: Path, params: dict) -> bool:
    manifest = out_dir / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        m = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if m.get("generator") != GENERATOR or m.get("parameters") != params:
        return False
    files = m.get("files", {})
    return set(files) == set(FILES) and all(
        (out_dir / name).is_file() and _sha256(out_dir / name) == digest
        for name, digest in files.items()
    )


def _is_ours(out_dir: Path) -> bool:
    """True if out_dir is empty or a demo folder written by generate_demo."""
    if not any(out_dir.iterdir()):
        return True
    try:
        m = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(m, dict) and m.get("generator") == GENERATOR


def _workbook_toml(seed: int, period: str) -> str:
    return f"""# hiworkbook workbook: the synthetic demo region (generated by hiworkbook.demo, seed {seed})
[workbook]
name = "{N.REGION_NAME}"
synthetic = true
period = "{period}"

[geography]
small_area = "lsoa"
vintage = 2021
place_levels = ["ltla", "icb"]

[files]
boundaries = {{ path = "boundaries.gpkg", layer = "lsoa" }}
lookup = "lookup.csv"
deprivation = "deprivation.csv"
population = "population.csv"
population_ethnicity = "population_ethnicity.csv"
counts = ["counts.csv"]
indicators = "builtin"

[comparators.england]
name = "{N.ENGLAND_NAME}"
code = "{N.ENGLAND_CODE}"
counts = "england_counts.csv"

[disclosure]
policy = "suppress"      # or "round", "suppress_and_round" (docs/methods.md)
min_count = 5
rounding_base = 5
"""


def _readme(seed: int, tables: dict[str, pd.DataFrame], periods: Sequence[str]) -> str:
    n_sa = len(tables["lsoa"])
    ltlas = ", ".join(tables["ltla"]["ltla_name"])
    return f"""# Greyfield and Marsh: a synthetic demo region

**Everything in this folder is synthetic.** The places, names, boundaries, people and counts are
invented by `hiworkbook.demo` (seed {seed}); none of it describes a real place or real people, and
no real data were used. Codes have the prefix `X` (small areas `X01…`, LTLAs `X06…`, the ICB
`X54000001`, the England-like comparator `X92000001`), which ONS never issues, so they cannot be
mistaken for real ONS codes.

- {n_sa} LSOA-like small areas in {len(tables["ltla"])} fictional LTLAs ({ltlas}) of one
  fictional ICB ({N.ICB_NAME}), in EPSG:27700 coordinates placed in the middle of England.
- Periods: {", ".join(periods)}.
- The deprivation score imitates the shape of the English IMD 2019 score; ranks and deciles are as
  if ranked against a synthetic England of 33,755 areas (1 = most deprived).
- `england_counts.csv` is a synthetic England (this region plus 33,755 − {n_sa} simulated areas);
  it is not England's real data.

Regenerate with `hiworkbook generate-demo DIR --seed {seed}`. Files: {", ".join(FILES)},
manifest.json (SHA-256 of each file).
"""


def _write_files(
    tmp: Path, seed: int, tables: dict[str, pd.DataFrame], periods: Sequence[str]
) -> None:
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_DATE})
    try:
        gpkg = tmp / "boundaries.gpkg"
        for layer in ("lsoa", "ltla", "icb"):
            tables[layer].to_file(gpkg, layer=layer, driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    csv = {"lineterminator": "\n", "index": False}
    tables["lookup"].to_csv(tmp / "lookup.csv", **csv)
    tables["deprivation"].to_csv(tmp / "deprivation.csv", float_format="%.2f", **csv)
    for key in ("population", "population_ethnicity", "counts", "england_counts"):
        tables[key].to_csv(tmp / f"{key}.csv", **csv)
    (tmp / "README.md").write_text(_readme(seed, tables, periods), encoding="utf-8")
    (tmp / "workbook.toml").write_text(
        _workbook_toml(seed, periods[-1]), encoding="utf-8"
    )


def generate_demo(
    out_dir: Path,
    *,
    seed: int = DEFAULT_SEED,
    n_ltla: int = 5,
    n_small_areas: int = 600,
    periods: Sequence[str] = ("2022", "2023", "2024"),
    overwrite: bool = False,
) -> Path:
    """Write the synthetic demo region into ``out_dir`` and return its ``workbook.toml``.

    The folder is built beside ``out_dir`` and renamed into place, so a reader never sees half a
    region. If ``out_dir`` already holds a complete region of the same seed and parameters (its
    ``manifest.json`` matches, file hashes included) it is returned as it is, unless
    ``overwrite``. A folder that is neither empty nor a demo folder written by this function is
    never replaced.

    Parameters
    ----------
    out_dir : Path
        Folder to write (created, with its parents, if missing).
    seed : int
        Random seed; the same seed gives byte-identical files.
    n_ltla : int
        Number of LTLAs.
    n_small_areas : int
        Number of LSOA-like small areas.
    periods : sequence of str
        Periods of population and counts, oldest first; the last is the workbook's period.
    overwrite : bool
        Regenerate even if a complete region is there.

    Returns
    -------
    Path
        The ``workbook.toml`` of the region.

    Raises
    ------
    FileExistsError
        If ``out_dir`` exists and is not empty and not a demo folder.
    """
    out_dir = Path(out_dir).expanduser().resolve()
    periods = [str(p) for p in periods]
    params = _params(seed, n_ltla, n_small_areas, periods)
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(f"{out_dir} exists and is not a folder.")
        if not overwrite and _is_complete(out_dir, params):
            log.info("Synthetic demo region already in %s (seed %d)", out_dir, seed)
            return out_dir / "workbook.toml"
        if not _is_ours(out_dir):
            raise FileExistsError(
                f"{out_dir} exists and is not a demo folder written by hiworkbook.demo; "
                "choose another folder (nothing was changed)."
            )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tables = build_region(
        seed, n_ltla=n_ltla, n_small_areas=n_small_areas, periods=periods
    )
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_files(tmp, seed, tables, periods)
        from hiworkbook import __version__

        manifest = {
            "generator": GENERATOR,
            "synthetic": True,
            "parameters": params,
            "package_version": __version__,
            "files": {name: _sha256(tmp / name) for name in FILES},
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        tmp.chmod(0o755)  # mkdtemp makes it 0700
        if out_dir.exists():
            trash = Path(
                tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent)
            )
            out_dir.rename(trash / out_dir.name)
            tmp.rename(out_dir)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info(
        "Wrote the synthetic demo region (seed %d, %d small areas) to %s in %.1f s",
        seed,
        n_small_areas,
        out_dir,
        time.perf_counter() - t0,
    )
    return out_dir / "workbook.toml"
