"""PHE / OHID public-health statistics (the PHEindicatormethods family), vectorised.

Every function takes a DataFrame, column names and an optional ``group_by`` list and returns
one row per group: the group columns, the inputs/totals used, ``value``, the confidence limits
(``lower_ci``/``upper_ci``, or ``lower_ci_95``, ``upper_ci_99_8`` … for several levels),
``confidence``, ``method`` and ``value_note``. Methods, small-number rules and sources are in
docs/methods.md.
"""

from hiworkbook.stats._common import byar_limits, exact_limits, poisson_limits
from hiworkbook.stats.compare import POLARITIES, compare
from hiworkbook.stats.dsr import DSR_MIN_COUNT, dsr, resolve_standard
from hiworkbook.stats.funnel import funnel_curve, funnel_limits
from hiworkbook.stats.isr import isr, isratio
from hiworkbook.stats.life_expectancy import LE_MIN_POPULATION, life_expectancy
from hiworkbook.stats.mean import mean
from hiworkbook.stats.proportion import proportion, wilson_limits
from hiworkbook.stats.rate import rate
from hiworkbook.stats.standard_populations import (
    ESP2013,
    ESP2013_18,
    ESP2013_BANDS,
    LIFE_TABLE_BANDS,
    standard_population,
)
from hiworkbook.stats.trend import TREND_LABELS, recent_trend, trend_label

__all__ = [
    "DSR_MIN_COUNT",
    "ESP2013",
    "ESP2013_18",
    "ESP2013_BANDS",
    "LE_MIN_POPULATION",
    "LIFE_TABLE_BANDS",
    "POLARITIES",
    "byar_limits",
    "compare",
    "dsr",
    "exact_limits",
    "funnel_curve",
    "funnel_limits",
    "isr",
    "isratio",
    "life_expectancy",
    "mean",
    "poisson_limits",
    "proportion",
    "rate",
    "recent_trend",
    "resolve_standard",
    "standard_population",
    "trend_label",
    "TREND_LABELS",
    "wilson_limits",
]
