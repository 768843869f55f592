"""Loaders for the real-world formats analysts hold, one per format, each returning a canonical table.

Every loader is a plain function ``load_xxx(path, *, log, **options)``: it records every problem
it finds in the :class:`~hiworkbook.validate.ProblemLog` passed in (never raising on the first one,
never printing a traceback) and returns the canonical DataFrame/GeoDataFrame described in
docs/architecture.md, or None when the file cannot be used. Files are only ever read.
See docs/data.md for the formats and where to get them.
"""

from hiworkbook.io.boundaries import load_boundaries
from hiworkbook.io.census import load_census
from hiworkbook.io.counts import load_counts
from hiworkbook.io.deprivation import load_deprivation
from hiworkbook.io.fingertips import load_fingertips, load_fingertips_metadata
from hiworkbook.io.geography import (
    VintageCheck,
    check_codes_match,
    convert_vintage,
    detect_lsoa_vintage,
    report_vintage_mismatch,
)
from hiworkbook.io.lookups import load_lookup
from hiworkbook.io.population import load_population, load_population_ethnicity

__all__ = [
    "load_boundaries",
    "load_census",
    "load_counts",
    "load_deprivation",
    "load_fingertips",
    "load_fingertips_metadata",
    "load_lookup",
    "load_population",
    "load_population_ethnicity",
    "VintageCheck",
    "check_codes_match",
    "convert_vintage",
    "detect_lsoa_vintage",
    "report_vintage_mismatch",
]
