"""Standard populations for direct standardisation.

The European Standard Population 2013 (Eurostat 2013; used by ONS and OHID
Fingertips since 2014) in 19 five-year bands to 90+, or with 85-89 and 90+
collapsed to 85+ (18 bands).
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "ESP2013",
    "ESP2013_18",
    "ESP2013_BANDS",
    "LIFE_TABLE_BANDS",
    "standard_population",
]

#: ESP 2013 age-band labels, as in the ``population`` table.
ESP2013_BANDS: tuple[str, ...] = tuple(f"{a}-{a + 4}" for a in range(0, 90, 5)) + (
    "90+",
)

#: European Standard Population 2013, 19 bands (0-4 … 85-89, 90+); sums to 100,000.
ESP2013: pd.Series = pd.Series(
    [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000]
    + [7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000],
    index=pd.Index(ESP2013_BANDS, name="age_band"),
    name="esp2013",
    dtype=float,
)

#: ESP 2013 with 85-89 and 90+ collapsed into 85+ (18 bands).
ESP2013_18: pd.Series = pd.concat(
    [ESP2013.iloc[:17], pd.Series({"85+": 2500.0})]
).rename("esp2013_18")
ESP2013_18.index.name = "age_band"

#: Life-table age bands: 0, 1-4, 5-9, … 85-89, 90+ (20 bands).
LIFE_TABLE_BANDS: tuple[str, ...] = ("0", "1-4") + ESP2013_BANDS[1:]


def standard_population(name: str = "esp2013", bands: int = 19) -> pd.Series:
    """Weights of a named standard population indexed by age-band label.

    Parameters
    ----------
    name : {"esp2013"}
        The standard population.
    bands : {19, 18}
        19 bands to 90+, or 18 with 85+ as the last band.

    Returns
    -------
    pandas.Series
        A copy of :data:`ESP2013` or :data:`ESP2013_18`.
    """
    if name.lower().replace(" ", "") not in {"esp2013", "esp"}:
        raise ValueError(f"unknown standard population {name!r}; use 'esp2013'")
    if bands == 19:
        return ESP2013.copy()
    if bands == 18:
        return ESP2013_18.copy()
    raise ValueError("bands must be 19 (to 90+) or 18 (to 85+)")
