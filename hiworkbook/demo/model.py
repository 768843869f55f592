"""The statistical model behind the synthetic region: deprivation, population and indicator counts.

Every function takes the :class:`numpy.random.Generator` it draws from explicitly; nothing uses
global random state, so one seed gives one result.

Areas are described by an :class:`AreaModel`: a latent deprivation value ``z`` (standard normal
across England), the national deprivation percentile ``d`` derived from the IMD-like rank
(0 = least deprived, 1 = most deprived), an urbanity score ``urban`` in [0, 1] and the index of the
LTLA-like group the area belongs to (with a per-group random effect on each indicator).

The indicator models share one idea: an England-like baseline (age-specific where it matters)
scaled by a smooth function of ``d`` whose ratio between the mean of the most and least deprived
deciles is the gradient listed in :data:`GRADIENTS`, times group and area random effects, then
Poisson or binomial noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, logit, ndtri

__all__ = [
    "ESP_BANDS",
    "LE_BANDS",
    "SEXES",
    "ETHNIC_GROUPS",
    "N_ENGLAND",
    "GRADIENTS",
    "AreaModel",
    "Block",
    "imd_score_from_z",
    "rank_national",
    "expected_population",
    "draw_population",
    "ethnic_shares",
    "ethnic_population",
    "simulate_counts",
    "CAUSES",
    "CAUSE_INDICATORS",
    "cause_blocks",
    "life_expectancy",
]

ESP_BANDS: tuple[str, ...] = (
    *(f"{a}-{a + 4}" for a in range(0, 90, 5)),
    "90+",
)
LE_BANDS: tuple[str, ...] = ("0", "1-4", *ESP_BANDS[1:])
SEXES: tuple[str, ...] = ("female", "male")
ETHNIC_GROUPS: tuple[str, ...] = (
    "Asian, Asian British or Asian Welsh",
    "Black, Black British, Black Welsh, Caribbean or African",
    "Mixed or Multiple ethnic groups",
    "White",
    "Other ethnic group",
)
#: Number of LSOA-like areas in the synthetic England (the number of LSOA 2021 in England).
N_ENGLAND = 33_755

_MID_AGE = np.array([2.5 + 5 * i for i in range(18)] + [93.0])

# England-like age structure (share of persons by ESP band, roughly mid-2022).
_AGE_SHARE = np.array(
    [
        5.4,
        6.0,
        6.2,
        5.8,
        6.2,
        6.6,
        6.9,
        6.7,
        6.3,
        6.2,
        6.8,
        6.7,
        5.9,
        5.0,
        4.8,
        3.8,
        2.5,
        1.5,
        0.9,
    ]
)
_AGE_SHARE = _AGE_SHARE / _AGE_SHARE.sum()
# Female share of each band.
_FEMALE_SHARE = np.array(
    [0.488] * 4 + [0.50] * 8 + [0.51, 0.52, 0.53, 0.55, 0.58, 0.62, 0.70]
)

# Approximate England 2021-23 death rates per 100,000 by life-expectancy band (0, 1-4, 5-9 … 90+).
_DEATH_RATE = {
    "male": np.array(
        [
            420,
            11,
            7,
            9,
            30,
            48,
            62,
            85,
            120,
            175,
            265,
            390,
            580,
            880,
            1400,
            2250,
            3800,
            6800,
            12300,
            25500,
        ],
        dtype=float,
    )
    / 1e5,
    "female": np.array(
        [
            340,
            9,
            6,
            7,
            14,
            20,
            27,
            40,
            65,
            105,
            170,
            255,
            385,
            580,
            900,
            1450,
            2550,
            4800,
            9300,
            22500,
        ],
        dtype=float,
    )
    / 1e5,
}
# Most/least deprived decile mortality ratio by life-expectancy band (largest in mid-life).
_DEATH_RATIO = np.array(
    [
        2.0,
        2.0,
        1.8,
        1.8,
        2.2,
        2.8,
        3.1,
        3.2,
        3.2,
        3.0,
        2.8,
        2.6,
        2.45,
        2.35,
        2.3,
        2.35,
        2.3,
        2.15,
        1.95,
        1.6,
    ]
)
_DEATH_RATIO_SEX = {"male": 1.0, "female": 0.97}  # applied to log ratio

# COPD emergency admissions per 100,000 by ESP band 35-39 … 90+.
_COPD_RATE = (
    np.array(
        [15, 35, 80, 160, 300, 500, 750, 1050, 1350, 1550, 1650, 1500], dtype=float
    )
    / 1e5
)
_COPD_SEX = {"female": 0.95, "male": 1.08}

# Modelled (expected) hypertension prevalence by ESP band (15-19 counts 4/5 for "16+").
_HYP_PREV = np.array(
    [
        0,
        0,
        0,
        0.008,
        0.012,
        0.016,
        0.022,
        0.03,
        0.045,
        0.07,
        0.1,
        0.14,
        0.19,
        0.25,
        0.31,
        0.37,
        0.42,
        0.46,
        0.48,
    ]
)
# Cancer incidence (staged cancers per person-year) by ESP band.
_CANCER_INC = np.array(
    [
        0.0002,
        0.0001,
        0.0001,
        0.0002,
        0.0003,
        0.0005,
        0.0008,
        0.0012,
        0.0018,
        0.0028,
        0.0042,
        0.006,
        0.0085,
        0.012,
        0.016,
        0.020,
        0.023,
        0.024,
        0.022,
    ]
)
_ADULT = np.array([0, 0, 0, 0.8] + [1.0] * 15)

#: Built-in gradients: ratio (rates) or value (proportions) in the most vs least deprived decile.
GRADIENTS: dict[str, dict[str, float]] = {
    "mortality_u75": {"ratio": 2.3},
    "life_expectancy": {"gap_male_years": 9.4, "gap_female_years": 7.6},
    "copd_admissions": {"ratio": 3.0},
    "infant_mortality": {"ratio": 2.0, "england_per_1000": 3.9},
    "smoking_at_delivery": {"most": 0.18, "least": 0.04},
    "cancer_early_stage": {"most": 0.49, "least": 0.58},
    "hypertension_detection": {"most": 0.60, "least": 0.68},
    "smi_health_checks": {"most": 0.38, "least": 0.50},
}
# Logit offsets by ethnic group (order of ETHNIC_GROUPS) for the proportions with that breakdown.
_ETHNIC_LOGIT = {
    "hypertension_detection": np.array([-0.18, -0.30, -0.10, 0.0, -0.15]),
    "cancer_early_stage": np.array([-0.05, -0.10, -0.03, 0.0, -0.05]),
    "smi_health_checks": np.array([-0.12, -0.40, -0.15, 0.0, -0.12]),
}
# Logit change per year for proportions (recovery after the pandemic etc.).
_TREND_LOGIT = {
    "hypertension_detection": 0.06,
    "cancer_early_stage": 0.02,
    "smi_health_checks": 0.10,
    "smoking_at_delivery": -0.06,
}

# IoD2019-like national score distribution: (percentile, score) knots.
_SCORE_KNOTS = np.array(
    [
        [0.00003, 0.5],
        [0.01, 2.6],
        [0.05, 4.4],
        [0.10, 5.9],
        [0.20, 8.6],
        [0.30, 11.2],
        [0.40, 14.0],
        [0.50, 17.0],
        [0.60, 20.6],
        [0.70, 25.0],
        [0.80, 31.0],
        [0.90, 40.5],
        [0.95, 48.0],
        [0.99, 62.0],
        [0.99997, 92.0],
    ]
)


@dataclass
class AreaModel:
    """Attributes of a set of areas that drive the indicator model.

    Attributes
    ----------
    z : ndarray
        Latent deprivation, standard normal across England (higher = more deprived).
    d : ndarray
        National deprivation percentile from the rank, 1 = most deprived, 0 = least.
    urban : ndarray
        Urbanity in [0, 1].
    group : ndarray of int
        Index of the area's LTLA-like group.
    neutral_groups : tuple of int
        Groups whose random effects are zero (an "England-like" district).
    """

    z: np.ndarray
    d: np.ndarray
    urban: np.ndarray
    group: np.ndarray
    neutral_groups: tuple[int, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        """Number of areas."""
        return len(self.z)

    @property
    def n_groups(self) -> int:
        """Number of groups."""
        return int(self.group.max()) + 1 if self.n else 0


@dataclass
class Block:
    """The counts of one indicator, as arrays of shape (area, period, sex, band, ethnic group).

    The area axis has length 1 for aggregates. For the ethnic-group breakdown the last axis holds
    ``"all"`` first and then the five groups, and ``"all"`` is the sum of the groups.
    """

    indicator_id: str
    sexes: tuple[str, ...]
    bands: tuple[str, ...]
    ethnic: tuple[str, ...]
    numerator: np.ndarray
    denominator: np.ndarray


# --------------------------------------------------------------------------- deprivation


def imd_score_from_z(z: np.ndarray) -> np.ndarray:
    """Map latent deprivation (standard normal) to an IoD2019-shaped score.

    The score has median about 17, a long right tail to about 92 and a minimum near 0.5:
    monotone piecewise-linear interpolation in normal-quantile space between fixed knots.

    Parameters
    ----------
    z : ndarray
        Latent deprivation values.

    Returns
    -------
    ndarray
        Scores (higher = more deprived).
    """
    zk = ndtri(_SCORE_KNOTS[:, 0])
    sk = _SCORE_KNOTS[:, 1]
    z = np.asarray(z, dtype=float)
    out = np.interp(z, zk, sk)
    lo, hi = z < zk[0], z > zk[-1]
    out[lo] = sk[0] * np.exp((z[lo] - zk[0]) * 0.3)
    out[hi] = sk[-1] + (z[hi] - zk[-1]) * 5.0
    return out


def rank_national(
    z_all: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scores, ranks, deciles and percentiles of all areas of England.

    Parameters
    ----------
    z_all : ndarray
        Latent deprivation of every area in England (the region's and the rest).

    Returns
    -------
    score, rank, decile, d : ndarray
        Score (higher = more deprived), rank (1 = most deprived), decile (1 = most deprived 10%)
        and the percentile ``d`` in (0, 1) with 1 = most deprived.
    """
    n = len(z_all)
    score = imd_score_from_z(z_all)
    order = np.lexsort((np.arange(n), -z_all))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    decile = np.ceil(rank * 10 / n).astype(np.int64).clip(1, 10)
    d = 1.0 - (rank - 0.5) / n
    return score, rank, decile, d


def _rr(d: np.ndarray, ratio: float | np.ndarray) -> np.ndarray:
    """Relative risk exp(k (d - 0.5)), normalised to mean 1 over uniform d.

    ``k = ln(ratio) / 0.9`` so that the ratio of decile means (d ≈ 0.95 vs 0.05) is ``ratio``.
    """
    k = np.log(ratio) / 0.9
    k = np.where(np.abs(k) < 1e-9, 1e-9, k)
    return np.exp(k * (d - 0.5)) / (np.sinh(k / 2) / (k / 2))


def _logit_line(d: np.ndarray, most: float, least: float) -> np.ndarray:
    """Logit of a proportion linear in ``d`` with the given decile-1 and decile-10 values."""
    b = (logit(most) - logit(least)) / 0.9
    a = (logit(most) + logit(least)) / 2
    return a + b * (d - 0.5)


# --------------------------------------------------------------------------- population


def expected_population(
    rng: np.random.Generator, m: AreaModel, n_periods: int
) -> np.ndarray:
    """Expected population by area, period, sex and ESP band.

    About 1,200-2,500 people per area (more in urban areas); older in less deprived areas, more
    young adults in urban ones; a little growth and ageing between periods.

    Parameters
    ----------
    rng : numpy.random.Generator
    m : AreaModel
    n_periods : int

    Returns
    -------
    ndarray of float, shape (n, n_periods, 2, 19)
    """
    n = m.n
    total = np.clip(rng.normal(1550 + 300 * m.urban, 260), 1150, 2600)
    a_std = (_MID_AGE - 40) / 25
    w = np.log(_AGE_SHARE)[None, :] + 0.55 * (0.5 - m.d)[:, None] * a_std[None, :]
    young_adult = np.isin(np.arange(19), [4, 5, 6]).astype(float)
    old = (_MID_AGE >= 65).astype(float)
    w = w + m.urban[:, None] * (0.35 * young_adult - 0.25 * old)[None, :]
    w = w + rng.normal(0, 0.08, size=(n, 19))
    share = np.exp(w)
    share /= share.sum(axis=1, keepdims=True)
    base = total[:, None] * share  # (n, 19)
    fem = np.clip(_FEMALE_SHARE[None, :] + rng.normal(0, 0.01, size=(n, 19)), 0.3, 0.8)
    by_sex = np.stack([base * fem, base * (1 - fem)], axis=1)  # (n, 2, 19)
    out = np.empty((n, n_periods, 2, 19))
    growth = rng.normal(0.004, 0.006, size=n)
    for t in range(n_periods):
        ageing = np.exp(0.01 * t * a_std)[None, None, :]
        out[:, t] = by_sex * ((1 + growth) ** t)[:, None, None] * ageing
    return out


def draw_population(rng: np.random.Generator, expected: np.ndarray) -> np.ndarray:
    """Integer populations: Poisson in the first period, then small changes period to period.

    Parameters
    ----------
    rng : numpy.random.Generator
    expected : ndarray, shape (n, periods, 2, 19)

    Returns
    -------
    ndarray of int64, same shape
    """
    out = np.empty(expected.shape, dtype=np.int64)
    out[:, 0] = rng.poisson(expected[:, 0])
    for t in range(1, expected.shape[1]):
        ratio = expected[:, t] / np.maximum(expected[:, t - 1], 1e-9)
        noise = rng.normal(0, 0.015, size=ratio.shape)
        out[:, t] = np.rint(out[:, t - 1] * ratio * (1 + noise)).astype(np.int64)
    return np.maximum(out, 0)


def ethnic_shares(rng: np.random.Generator, m: AreaModel, n_periods: int) -> np.ndarray:
    """Population shares of the five ONS broad ethnic groups by area and period.

    More diversity in deprived urban areas (England overall about 81% White).

    Returns
    -------
    ndarray, shape (n, n_periods, 5), rows summing to 1
    """
    n = m.n
    lin = -2.25 + 2.2 * m.urban + 1.3 * (m.d - 0.5) + rng.normal(0, 0.55, size=n)
    mix = rng.dirichlet(np.array([0.48, 0.22, 0.17, 0.13]) * 25, size=n)
    out = np.empty((n, n_periods, 5))
    for t in range(n_periods):
        nonwhite = expit(lin + 0.02 * t)
        out[:, t, [0, 1, 2, 4]] = nonwhite[:, None] * mix
        out[:, t, 3] = 1 - nonwhite
    return out


def ethnic_population(
    rng: np.random.Generator, totals: np.ndarray, shares: np.ndarray
) -> np.ndarray:
    """Split integer totals (n, periods) into the five groups (multinomial); sums are exact."""
    n, p = totals.shape
    out = rng.multinomial(totals.reshape(-1), shares.reshape(-1, 5))
    return out.reshape(n, p, 5)


# --------------------------------------------------------------------------- counts


def _effects(
    rng: np.random.Generator, m: AreaModel, sd_group: float, sd_area: float
) -> np.ndarray:
    """Group + area random effects on the log (or logit) scale, per area; neutral groups zero."""
    g = rng.normal(0, sd_group, size=max(m.n_groups, 1))
    if m.neutral_groups:
        g[list(m.neutral_groups)] = 0.0
    return g[m.group] + rng.normal(0, sd_area, size=m.n)


def _draw_poisson(
    rng: np.random.Generator, lam: np.ndarray, aggregate: bool
) -> np.ndarray:
    if aggregate:
        lam = lam.sum(axis=0, keepdims=True)
    return rng.poisson(lam)


def _round_sum(x: np.ndarray, aggregate: bool) -> np.ndarray:
    if aggregate:
        x = x.sum(axis=0, keepdims=True)
    return np.rint(x).astype(np.int64)


def simulate_counts(
    rng: np.random.Generator,
    m: AreaModel,
    pop: np.ndarray,
    eth_share: np.ndarray,
    *,
    aggregate: bool = False,
) -> list[Block]:
    """Counts of the eight built-in indicators.

    Parameters
    ----------
    rng : numpy.random.Generator
    m : AreaModel
        The areas.
    pop : ndarray, shape (n, periods, 2, 19)
        Population by sex and ESP band (integers, or expected values when ``aggregate``).
    eth_share : ndarray, shape (n, periods, 5)
        Ethnic-group shares.
    aggregate : bool
        If True, sum the expectations over all areas and draw once (area axis of length 1): the
        cheap route to national totals.

    Returns
    -------
    list of Block
        In the order of ``indicators.toml``.
    """
    n, n_per = pop.shape[:2]
    t = np.arange(n_per) - (n_per - 1)  # 0 for the latest period
    d = m.d
    pop = pop.astype(float)

    # ---- deaths by life-expectancy band (feed life expectancy, under-75 and infant mortality)
    le_pop = np.empty((n, n_per, 2, 20))
    if aggregate:
        le_pop[..., 0] = pop[..., 0] * 0.2
    else:
        le_pop[..., 0] = rng.binomial(pop[..., 0].astype(np.int64), 0.2)
    le_pop[..., 1] = pop[..., 0] - le_pop[..., 0]
    le_pop[..., 2:] = pop[..., 1:]
    mort_eff = np.exp(_effects(rng, m, 0.05, 0.08) - 0.5 * (0.05**2 + 0.08**2))
    period_eff = np.exp(-0.015 * t)  # mortality falling slightly over time
    lam = np.empty_like(le_pop)
    for s, sex in enumerate(SEXES):
        ratio = np.exp(np.log(_DEATH_RATIO) * _DEATH_RATIO_SEX[sex])
        rr = _rr(d[:, None], ratio[None, :])  # (n, 20)
        rate = _DEATH_RATE[sex][None, :] * rr * mort_eff[:, None]
        lam[:, :, s, :] = (
            le_pop[:, :, s, :] * rate[:, None, :] * period_eff[None, :, None]
        )
    deaths = _draw_poisson(rng, lam, aggregate)
    le_den = _round_sum(le_pop, aggregate)
    blocks: list[Block] = []

    # mortality_u75: ESP bands 0-4 … 70-74 (deaths 0 + 1-4 merged)
    u75_num = np.concatenate(
        [deaths[..., :2].sum(-1, keepdims=True), deaths[..., 2:16]], -1
    )
    u75_den = np.concatenate(
        [le_den[..., :2].sum(-1, keepdims=True), le_den[..., 2:16]], -1
    )
    blocks.append(
        Block(
            "mortality_u75",
            SEXES,
            ESP_BANDS[:15],
            ("all",),
            u75_num[..., None],
            u75_den[..., None],
        )
    )
    blocks.append(
        Block(
            "life_expectancy",
            SEXES,
            LE_BANDS,
            ("all",),
            deaths[..., None],
            le_den[..., None],
        )
    )

    # copd_admissions: ESP bands 35-39 … 90+
    copd_eff = np.exp(_effects(rng, m, 0.10, 0.15) - 0.5 * (0.10**2 + 0.15**2))
    rr = _rr(d, 3.0) * (1 + 0.1 * m.urban) * copd_eff
    lam = np.empty((n, n_per, 2, 12))
    for s, sex in enumerate(SEXES):
        lam[:, :, s, :] = (
            pop[:, :, s, 7:]
            * _COPD_RATE[None, None, :]
            * _COPD_SEX[sex]
            * rr[:, None, None]
        )
    lam *= np.exp(0.02 * t)[None, :, None, None]
    blocks.append(
        Block(
            "copd_admissions",
            SEXES,
            ESP_BANDS[7:],
            ("all",),
            _draw_poisson(rng, lam, aggregate)[..., None],
            _round_sum(pop[:, :, :, 7:], aggregate)[..., None],
        )
    )

    adults = (pop * _ADULT).sum(axis=(2, 3))  # (n, periods)

    def proportion(
        ind: str,
        den_exp: np.ndarray,
        lin: np.ndarray,
        ethnic: bool,
        poisson_den: bool,
        sexes: tuple[str, ...] = ("persons",),
    ) -> Block:
        """den_exp (n, periods); lin: logit (n, periods) before ethnic offsets."""
        if ethnic:
            dg = den_exp[..., None] * eth_share  # (n, P, 5)
            p = expit(lin[..., None] + _ETHNIC_LOGIT[ind][None, None, :])
        else:
            dg = den_exp[..., None]
            p = expit(lin[..., None])
        if aggregate:
            tot = dg.sum(axis=0, keepdims=True)
            p = (dg * p).sum(axis=0, keepdims=True) / np.maximum(tot, 1e-12)
            dg = tot
        den = (
            rng.poisson(dg)
            if poisson_den and not aggregate
            else np.rint(dg).astype(np.int64)
        )
        num = rng.binomial(den, p)
        if ethnic:
            num = np.concatenate([num.sum(-1, keepdims=True), num], -1)
            den = np.concatenate([den.sum(-1, keepdims=True), den], -1)
            labels: tuple[str, ...] = ("all", *ETHNIC_GROUPS)
        else:
            labels = ("all",)
        return Block(
            ind,
            sexes,
            ("all",),
            labels,
            num[:, :, None, None, :],
            den[:, :, None, None, :],
        )

    def lin_for(ind: str, sd_g: float, sd_a: float) -> np.ndarray:
        g = GRADIENTS[ind]
        eff = _effects(rng, m, sd_g, sd_a)
        base = _logit_line(d, g["most"], g["least"]) + eff
        return base[:, None] + _TREND_LOGIT.get(ind, 0.0) * t[None, :]

    # hypertension_detection: expected prevalence (modelled) by age, slightly higher if deprived
    hyp_exp = (pop * _HYP_PREV).sum(axis=(2, 3)) * (1 + 0.15 * (d - 0.5))[:, None]
    scale = 0.14 / 0.137  # tune the England average to about 14% of adults
    blocks.append(
        proportion(
            "hypertension_detection",
            hyp_exp * scale,
            lin_for("hypertension_detection", 0.08, 0.12),
            True,
            False,
        )
    )
    # cancer_early_stage: staged cancers by age (about 0.5% of the population a year)
    canc = (pop * _CANCER_INC).sum(axis=(2, 3)) * (1 + 0.1 * (d - 0.5))[:, None]
    blocks.append(
        proportion(
            "cancer_early_stage",
            canc,
            lin_for("cancer_early_stage", 0.06, 0.10),
            True,
            True,
        )
    )

    # births = population aged 0; maternities slightly fewer (multiple births)
    births = le_den[..., 0].sum(axis=2)  # (n|1, P)
    maternities = rng.binomial(births, 0.985)
    sm = lin_for("smoking_at_delivery", 0.12, 0.20)
    if aggregate:
        w = le_pop[..., 0].sum(axis=2)
        p = (w * expit(sm)).sum(0, keepdims=True) / np.maximum(
            w.sum(0, keepdims=True), 1e-12
        )
    else:
        p = expit(sm)
    smk = rng.binomial(maternities, p)
    blocks.append(
        Block(
            "smoking_at_delivery",
            ("female",),
            ("all",),
            ("all",),
            smk[:, :, None, None, None],
            maternities[:, :, None, None, None],
        )
    )

    # smi_health_checks: SMI register about 1% of adults, more in deprived urban areas
    smi_den = adults * (0.0095 * _rr(d, 2.0) * (0.9 + 0.2 * m.urban))[:, None]
    blocks.append(
        proportion(
            "smi_health_checks",
            smi_den,
            lin_for("smi_health_checks", 0.10, 0.15),
            True,
            True,
        )
    )

    # infant_mortality: deaths under 1 (life-expectancy band "0") per live birth
    blocks.append(
        Block(
            "infant_mortality",
            ("persons",),
            ("all",),
            ("all",),
            deaths[..., 0].sum(axis=2)[:, :, None, None, None],
            births[:, :, None, None, None],
        )
    )
    return blocks


#: Broad causes of death (ICD-10 groups of the underlying cause) in the demo.
CAUSES: tuple[str, ...] = ("circulatory", "cancer", "respiratory", "external", "other")
#: The demo's indicator id for each cause's deaths (all-age directly standardised rates).
CAUSE_INDICATORS: dict[str, str] = {
    "circulatory": "mortality_circulatory",
    "cancer": "mortality_cancer",
    "respiratory": "mortality_respiratory",
    "external": "mortality_external",
    "other": "mortality_other_causes",
}
# Share of deaths by cause (columns as CAUSES) in each life-expectancy band, roughly England
# 2021-23: perinatal and congenital causes under 1, injuries at young adult ages, cancer and
# circulatory disease in middle and old age, "other" (dementia among them) at the oldest ages.
_CAUSE_SHARE = np.array(
    [
        [0.03, 0.02, 0.03, 0.02, 0.90],  # 0
        [0.05, 0.15, 0.10, 0.15, 0.55],  # 1-4
        [0.05, 0.25, 0.08, 0.25, 0.37],  # 5-9
        [0.05, 0.25, 0.08, 0.25, 0.37],  # 10-14
        [0.07, 0.12, 0.03, 0.55, 0.23],  # 15-19
        [0.07, 0.12, 0.03, 0.55, 0.23],  # 20-24
        [0.07, 0.12, 0.03, 0.55, 0.23],  # 25-29
        [0.15, 0.20, 0.04, 0.35, 0.26],  # 30-34
        [0.15, 0.20, 0.04, 0.35, 0.26],  # 35-39
        [0.15, 0.20, 0.04, 0.35, 0.26],  # 40-44
        [0.22, 0.38, 0.07, 0.10, 0.23],  # 45-49
        [0.22, 0.38, 0.07, 0.10, 0.23],  # 50-54
        [0.22, 0.38, 0.07, 0.10, 0.23],  # 55-59
        [0.24, 0.42, 0.11, 0.02, 0.21],  # 60-64
        [0.24, 0.42, 0.11, 0.02, 0.21],  # 65-69
        [0.24, 0.42, 0.11, 0.02, 0.21],  # 70-74
        [0.26, 0.30, 0.14, 0.01, 0.29],  # 75-79
        [0.26, 0.30, 0.14, 0.01, 0.29],  # 80-84
        [0.27, 0.14, 0.15, 0.01, 0.43],  # 85-89
        [0.27, 0.14, 0.15, 0.01, 0.43],  # 90+
    ]
)
# Log-ratio of each cause's share between the most and the least deprived areas: respiratory
# disease and injuries weigh more in deprived areas' excess deaths, cancer a little less.
_CAUSE_DEPRIVATION = np.array([0.3, -0.2, 0.6, 0.5, 0.0])


def cause_blocks(
    rng: np.random.Generator, le_block: Block, d: np.ndarray
) -> list[Block]:
    """Deaths by broad cause, split from the life-expectancy deaths, as all-age DSR blocks.

    Each area's deaths in each life-expectancy band are split multinomially across
    :data:`CAUSES` with England-like shares by age, tilted by deprivation, so the causes add up
    exactly to the all-cause deaths. The bands "0" and "1-4" are merged into the ESP band "0-4".

    Parameters
    ----------
    rng : numpy.random.Generator
        A generator of its own (so the other tables do not change with it).
    le_block : Block
        The ``life_expectancy`` block (deaths and populations by the 20 life-table bands).
    d : ndarray, shape (areas,)
        National deprivation percentile (0 least, 1 most deprived) of each area of the block;
        one value for an aggregate block.

    Returns
    -------
    list of Block
        One per cause, in the order of :data:`CAUSES`, with ids from :data:`CAUSE_INDICATORS`.
    """
    deaths = le_block.numerator[..., 0]  # (n, P, 2, 20)
    den = le_block.denominator[..., 0]
    tilt = np.exp(np.outer(np.asarray(d, dtype=float) - 0.5, _CAUSE_DEPRIVATION))
    w = _CAUSE_SHARE[None, :, :] * tilt[:, None, :]  # (n, 20, 5)
    p = w / w.sum(-1, keepdims=True)
    p = np.broadcast_to(p[:, None, None, :, :], (*deaths.shape, len(CAUSES)))
    split = rng.multinomial(deaths.astype(np.int64), p)  # (n, P, 2, 20, 5)
    esp_num = np.concatenate(
        [split[..., :2, :].sum(-2, keepdims=True), split[..., 2:, :]], -2
    )
    esp_den = np.concatenate([den[..., :2].sum(-1, keepdims=True), den[..., 2:]], -1)
    return [
        Block(
            CAUSE_INDICATORS[c],
            le_block.sexes,
            ESP_BANDS,
            ("all",),
            esp_num[..., k][..., None],
            esp_den[..., None],
        )
        for k, c in enumerate(CAUSES)
    ]


def life_expectancy(deaths: np.ndarray, pop: np.ndarray) -> float:
    """Chiang II abridged life expectancy at birth for bands 0, 1-4, 5-9 … 90+ (for checks).

    Parameters
    ----------
    deaths, pop : ndarray, shape (20,)

    Returns
    -------
    float
    """
    n = np.array([1, 4] + [5] * 17 + [math.nan])
    a = np.array([0.1, 0.5] + [0.5] * 18)
    mx = deaths / pop
    q = np.where(np.isnan(n), 1.0, n * mx / (1 + n * (1 - a) * mx))
    q = np.minimum(q, 1.0)
    lx = np.concatenate([[1.0], np.cumprod(1 - q)[:-1]])
    dx = lx * q
    Lx = np.where(
        np.isnan(n), lx / np.where(mx > 0, mx, np.inf), n * (lx - dx) + n * a * dx
    )
    Lx[-1] = lx[-1] / mx[-1]
    return float(Lx.sum())
