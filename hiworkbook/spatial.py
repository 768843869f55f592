"""Spatial statistics of a place's small areas: neighbours, Moran's I, hot and cold spots,
empirical-Bayes smoothing.

Built on PySAL (``libpysal`` for weights, ``esda`` for Moran's I and the smoothers), imported
inside the functions so that a place report, which does not use this module, never imports them.

- :func:`weights` — queen contiguity between small areas, islands joined to their nearest
  neighbour;
- :func:`global_moran` — Moran's I for the whole place, with a permutation test;
- :func:`local_moran` — local Moran's I (LISA, Anselin 1995) for each area with permutation
  inference and a Benjamini–Hochberg false-discovery-rate correction, classified as hot spot
  (High-High), cold spot (Low-Low), outlier (High-Low, Low-High) or not significant;
- :func:`eb_global` and :func:`eb_local` — empirical-Bayes smoothed rates (Marshall 1991).

Methods, formulas and a worked example: docs/methods.md, "Hot and cold spots" and
"Empirical-Bayes smoothing".
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

_log = logging.getLogger(__name__)

__all__ = [
    "CLUSTER_LABELS",
    "CLUSTER_ORDER",
    "MoranResult",
    "weights",
    "global_moran",
    "local_moran",
    "eb_global",
    "eb_local",
]

#: esda's quadrant codes (``Moran_Local.q``) → the class a map shows.
CLUSTER_LABELS = {
    1: "High-High (hot spot)",
    2: "Low-High (low outlier)",
    3: "Low-Low (cold spot)",
    4: "High-Low (high outlier)",
}
NOT_SIGNIFICANT = "Not significant"
#: Display order of the classes (legend, tables).
CLUSTER_ORDER = [
    CLUSTER_LABELS[1],
    CLUSTER_LABELS[3],
    CLUSTER_LABELS[4],
    CLUSTER_LABELS[2],
    NOT_SIGNIFICANT,
]


# ---------------------------------------------------------------------- weights
def weights(
    areas: gpd.GeoDataFrame,
    code_col: str,
    *,
    islands: str = "nearest",
) -> Any:
    """Queen-contiguity spatial weights between small areas, islands joined to a neighbour.

    Two areas are neighbours when their boundaries share at least one point (queen contiguity,
    ``libpysal.weights.Queen``). An area with no neighbour — an island, or a small area cut off
    by a gap in generalised boundaries — would have no spatial lag and no local Moran's I, so
    with ``islands="nearest"`` it is joined to the area whose representative point is nearest
    to its own, in both directions (so the weights stay symmetric before row standardisation).
    That is libpysal's ``attach_islands`` idea made symmetric.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        One row per small area (any CRS; distances for islands are taken in it, so use a
        projected CRS such as EPSG:27700).
    code_col : str
        Column of area codes: the weights' ids.
    islands : {"nearest", "keep"}, default "nearest"
        ``"keep"`` leaves islands without neighbours.

    Returns
    -------
    libpysal.weights.W
        Binary weights (transform ``"O"``) with ``id_order`` set to the order of ``areas``.
        The attribute ``joined_islands`` lists the ``(island, neighbour)`` pairs added.

    References
    ----------
    Rey, S. J. & Anselin, L. (2007). PySAL: a Python library of spatial analytical methods.
    """
    from libpysal.weights import Queen, W

    if islands not in ("nearest", "keep"):
        raise ValueError("islands must be 'nearest' or 'keep'")
    ids = [str(c) for c in areas[code_col]]
    if not ids:
        raise ValueError("no areas: weights need at least one area")
    if len(set(ids)) != len(ids):
        raise ValueError(
            f"{code_col} has duplicate codes: weights need one row per area"
        )
    gdf = areas[[code_col, "geometry"]].reset_index(drop=True)
    with warnings_silenced():
        w = Queen.from_dataframe(gdf, ids=ids, use_index=False, silence_warnings=True)
    neighbors = {k: list(v) for k, v in w.neighbors.items()}
    joined: list[tuple[str, str]] = []
    if islands == "nearest" and len(ids) > 1:
        pts = gdf.geometry.representative_point()
        xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
        for isl in [i for i in ids if not neighbors[i]]:
            k = ids.index(isl)
            d = np.hypot(*(xy - xy[k]).T)
            d[k] = np.inf
            j = ids[int(np.argmin(d))]
            neighbors[isl].append(j)
            if isl not in neighbors[j]:
                neighbors[j].append(isl)
            joined.append((isl, j))
        if joined:
            _log.info(
                "joined %d island(s) to their nearest neighbour: %s",
                len(joined),
                ", ".join(f"{a}→{b}" for a, b in joined),
            )
    out = W(neighbors, id_order=ids, silence_warnings=True)
    out.joined_islands = joined
    return out


@contextlib.contextmanager
def warnings_silenced() -> Iterator[None]:
    """Silence libpysal's warnings about islands and disconnected components (handled here)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Seed NumPy's legacy global generator (which ``esda.Moran`` draws its permutations from)
    for the duration of a block, restoring its state afterwards."""
    if seed is None:
        yield
        return
    state = np.random.get_state()  # noqa: NPY002 - esda.Moran uses the legacy generator
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


# ---------------------------------------------------------------------- Moran's I
@dataclass(frozen=True)
class MoranResult:
    """Global Moran's I with its permutation and analytical inference."""

    i: float
    expected: float
    z_rand: float
    p_rand: float
    p_sim: float
    permutations: int
    n: int

    def sentence(self) -> str:
        """Plain-English reading of the result."""
        if not np.isfinite(self.i):
            return "Moran's I could not be calculated."
        sig = self.p_sim <= 0.05
        kind = (
            "similar values tend to sit next to each other"
            if self.i > self.expected
            else "neighbouring areas tend to differ"
        )
        return (
            f"Global Moran's I is {self.i:.3f} (expected {self.expected:.3f} if values were "
            f"placed at random; pseudo p = {self.p_sim:.3f} from {self.permutations:,} "
            f"random permutations): "
            + (
                f"{kind} more than chance would explain."
                if sig
                else "no clear spatial pattern beyond what chance would give."
            )
        )


def global_moran(
    values: Sequence[float] | np.ndarray,
    w: Any,
    *,
    permutations: int = 999,
    seed: int | None = 1,
) -> MoranResult:
    """Global Moran's I with a permutation test (``esda.Moran``).

    ``I = (n / S0) * sum_ij w_ij z_i z_j / sum_i z_i^2`` with ``z`` the deviations from the
    mean and ``w`` row-standardised (so ``S0 = n`` without islands). Under spatial randomness
    ``E[I] = -1 / (n - 1)``. The pseudo p-value is esda's one-sided folded permutation value
    ``(min(M, R - M) + 1) / (R + 1)``, ``M`` the number of the ``R`` permuted I at least as large
    as the observed one.

    Parameters
    ----------
    values : array-like
        One value per area, in the order of ``w.id_order``; no missing values.
    w : libpysal.weights.W
        From :func:`weights`.
    permutations : int, default 999
    seed : int, optional
        Seed for the permutations (same seed, same p-value).

    Returns
    -------
    MoranResult

    References
    ----------
    Moran, P. A. P. (1950). Notes on continuous stochastic phenomena. Biometrika 37:17-23.
    Cliff, A. D. & Ord, J. K. (1981). Spatial Processes: Models and Applications.
    """
    from esda.moran import Moran

    y = _check_values(values, w)
    with _seeded(seed), warnings_silenced():
        m = Moran(y, w, transformation="r", permutations=permutations)
    return MoranResult(
        i=float(m.I),
        expected=float(m.EI),
        z_rand=float(m.z_rand),
        p_rand=float(m.p_rand),
        p_sim=float(m.p_sim) if permutations else float("nan"),
        permutations=int(permutations),
        n=int(m.n),
    )


def _check_values(values: Sequence[float] | np.ndarray, w: Any) -> np.ndarray:
    y = np.asarray(values, dtype=float)
    if y.shape != (w.n,):
        raise ValueError(f"{len(y)} values for {w.n} areas in the weights")
    if not np.isfinite(y).all():
        raise ValueError(
            "values must be finite: drop areas without a value (and rebuild the weights) first"
        )
    return y


def local_moran(
    values: Sequence[float] | np.ndarray,
    w: Any,
    *,
    permutations: int = 999,
    seed: int = 1,
    alpha: float = 0.05,
    fdr: bool = True,
) -> pd.DataFrame:
    """Local Moran's I of each area, its permutation p-value, and its cluster class after a
    false-discovery-rate correction.

    Method (Anselin 1995, as ``esda.Moran_Local``): with ``z`` the standardised values and
    ``w`` row-standardised, ``I_i = z_i * sum_j w_ij z_j``. Significance by conditional
    permutation: the other areas' values are shuffled around area ``i`` ``permutations`` times
    (seeded), giving the pseudo p-value ``(min(M, R - M) + 1) / (R + 1)``. Because every area
    is tested, a fixed ``alpha`` would flag about ``alpha × n`` areas by chance alone; with
    ``fdr=True`` an area is significant when its pseudo p-value is at most the Benjamini–Hochberg
    cut-off for ``alpha`` (``esda.fdr``: with the p-values sorted, ``p_(1) <= … <= p_(n)``, the
    cut-off is ``k alpha / n`` for the largest ``k`` with ``p_(k) < k alpha / n``; when no ``k``
    qualifies esda returns the Bonferroni bound ``alpha / n``). Significant areas are
    classed by the quadrant of the Moran scatter plot: High-High (a high value among high
    neighbours: hot spot), Low-Low (cold spot), High-Low and Low-High (spatial outliers).

    Parameters
    ----------
    values : array-like
        One value per area in the order of ``w.id_order``; no missing values.
    w : libpysal.weights.W
        From :func:`weights`.
    permutations : int, default 999
        Conditional permutations per area; the smallest attainable pseudo p-value is
        ``1 / (permutations + 1)``.
    seed : int, default 1
        Seed for the permutations: the same inputs and seed give the same clusters.
    alpha : float, default 0.05
        False discovery rate (with ``fdr``) or per-area significance level (without).
    fdr : bool, default True
        Apply the Benjamini–Hochberg correction.

    Returns
    -------
    pandas.DataFrame
        One row per area: ``area_code``, ``value``, ``z`` (standardised value), ``lag_z``
        (mean of the neighbours' ``z``), ``local_i``, ``p_sim``, ``p_cutoff``, ``quadrant``
        (1 HH, 2 LH, 3 LL, 4 HL), ``is_significant`` and ``cluster`` (a :data:`CLUSTER_ORDER`
        label).

    References
    ----------
    Anselin, L. (1995). Local indicators of spatial association — LISA. Geographical Analysis
    27(2):93-115.
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B
    57(1):289-300.
    Castro, M. C. & Singer, B. H. (2006). Controlling the false discovery rate: a new
    application to account for multiple and dependent tests in local statistics of spatial
    association. Geographical Analysis 38(2):180-208.
    """
    from esda import fdr as esda_fdr
    from esda.moran import Moran_Local

    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    y = _check_values(values, w)
    ids = list(w.id_order)
    if len(y) < 3 or np.nanstd(y) == 0:
        return pd.DataFrame(
            {
                "area_code": ids,
                "value": y,
                "z": np.nan,
                "lag_z": np.nan,
                "local_i": np.nan,
                "p_sim": np.nan,
                "p_cutoff": np.nan,
                "quadrant": 0,
                "is_significant": False,
                "cluster": NOT_SIGNIFICANT,
            }
        )
    with warnings_silenced():
        lm = Moran_Local(
            y,
            w,
            transformation="r",
            permutations=permutations,
            seed=seed,
            keep_simulations=False,
        )
    p = np.asarray(lm.p_sim, dtype=float)
    cutoff = float(esda_fdr(p, alpha)) if fdr else float(alpha)
    sig = p <= cutoff
    q = np.asarray(lm.q, dtype=int)
    z = np.asarray(lm.z, dtype=float)
    w.transform = "r"
    lag = _lag(w, z)
    w.transform = "O"
    return pd.DataFrame(
        {
            "area_code": ids,
            "value": y,
            "z": z,
            "lag_z": lag,
            "local_i": np.asarray(lm.Is, dtype=float),
            "p_sim": p,
            "p_cutoff": cutoff,
            "quadrant": q,
            "is_significant": sig,
            "cluster": np.where(
                sig,
                [CLUSTER_LABELS.get(int(k), NOT_SIGNIFICANT) for k in q],
                NOT_SIGNIFICANT,
            ),
        }
    )


def _lag(w: Any, z: np.ndarray) -> np.ndarray:
    from libpysal.weights import lag_spatial

    return np.asarray(lag_spatial(w, z), dtype=float)


# ---------------------------------------------------------------------- empirical Bayes
def _rates_input(
    events: Sequence[float] | np.ndarray, population: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    e = np.asarray(events, dtype=float)
    b = np.asarray(population, dtype=float)
    if e.shape != b.shape:
        raise ValueError("events and population must have the same length")
    bad = ~np.isfinite(e) | ~np.isfinite(b) | (b <= 0) | (e < 0)
    if bad.any():
        raise ValueError(
            f"{int(bad.sum())} area(s) have a missing or negative count or no population: "
            "drop them first"
        )
    return e, b


def eb_global(
    events: Sequence[float] | np.ndarray,
    population: Sequence[float] | np.ndarray,
) -> np.ndarray:
    """Global empirical-Bayes smoothed rates (Marshall 1991, method of moments).

    Each area's crude rate ``r_i = e_i / b_i`` is shrunk towards the overall rate
    ``m = sum e / sum b`` in proportion to how unreliable it is::

        s2    = sum_i b_i (r_i - m)^2 / sum_i b_i         (population-weighted variance)
        phi   = s2 - m / bbar                             (between-area variance, bbar = mean b)
        w_i   = phi / (phi + m / b_i)                     (weight on the area's own rate)
        eb_i  = w_i r_i + (1 - w_i) m

    Areas with small populations (large Poisson noise ``m / b_i``) get small weights. The
    smoothed values are ``esda.smoothing.Empirical_Bayes``; when ``phi <= 0`` (the spread of
    the rates is no more than chance would give) Marshall's rule is applied — ``w_i = 0``, every
    area gets ``m`` — where esda would return weights outside 0–1.

    Parameters
    ----------
    events : array-like
        Event counts (numerators; observed counts for a standardised ratio).
    population : array-like
        Populations at risk (denominators; expected counts for a standardised ratio), all > 0.

    Returns
    -------
    numpy.ndarray
        Smoothed rates on the scale ``events / population`` (multiply by 100,000 for a rate
        per 100,000).

    References
    ----------
    Marshall, R. J. (1991). Mapping disease and mortality rates using empirical Bayes
    estimators. Applied Statistics 40(2):283-294.
    Clayton, D. & Kaldor, J. (1987). Empirical Bayes estimates of age-standardized relative
    risks for use in disease mapping. Biometrics 43(3):671-681.
    """
    from esda.smoothing import Empirical_Bayes

    e, b = _rates_input(events, population)
    m = e.sum() / b.sum()
    r = e / b
    phi = (b * (r - m) ** 2).sum() / b.sum() - m / b.mean()
    if phi <= 0:
        return np.full(len(e), m)
    return np.asarray(Empirical_Bayes(e, b).r, dtype=float).ravel()


def eb_local(
    events: Sequence[float] | np.ndarray,
    population: Sequence[float] | np.ndarray,
    w: Any,
) -> np.ndarray:
    """Spatial (local) empirical-Bayes smoothed rates: each rate shrunk towards the rate of its
    neighbourhood rather than of the whole place.

    For area ``i`` with neighbourhood ``N_i`` (its neighbours in ``w`` and itself), the same
    method of moments as :func:`eb_global` within ``N_i``::

        m_i   = sum_{N_i} e / sum_{N_i} b
        s2_i  = sum_{N_i} b_j (r_j - m_i)^2 / sum_{N_i} b
        phi_i = max(0, s2_i - m_i / bbar_i)               (bbar_i = mean b over N_i)
        eb_i  = m_i + (r_i - m_i) phi_i / (phi_i + m_i / b_i)

    as ``esda.smoothing.Spatial_Empirical_Bayes`` (weights are used as binary neighbours). Where
    ``phi_i + m_i / b_i`` is 0 (no events in the neighbourhood) the result is ``m_i``.

    Because it borrows strength from neighbours it makes neighbouring values alike, so local
    Moran's I on locally smoothed rates overstates clustering; the deep dive runs LISA on
    globally smoothed rates (:func:`eb_global`) and offers local smoothing for maps.

    Parameters
    ----------
    events, population : array-like
        As :func:`eb_global`, in the order of ``w.id_order``.
    w : libpysal.weights.W
        From :func:`weights`.

    Returns
    -------
    numpy.ndarray

    References
    ----------
    Marshall, R. J. (1991), as :func:`eb_global`; Anselin, L., Lozano, N. & Koschinsky, J.
    (2006). Rate transformations and smoothing. GeoDa Center technical report.
    """
    from esda.smoothing import Spatial_Empirical_Bayes

    e, b = _rates_input(events, population)
    if len(e) != w.n:
        raise ValueError(f"{len(e)} areas for {w.n} in the weights")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.asarray(Spatial_Empirical_Bayes(e, b, w).r, dtype=float).ravel()
    if not np.isfinite(r).all():
        from esda.smoothing import Spatial_Rate

        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.asarray(Spatial_Rate(e, b, w).r, dtype=float).ravel()
        r = np.where(np.isfinite(r), r, m)
    return r
