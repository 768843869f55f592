"""Lesson 3: age standardisation — crude rates, DSR with ESP 2013, when not to standardise."""

from teaching import IMPORTS, LOAD, PARAMETERS, code, exercise, header, md

LESSON = 3
CELLS = [
    header(LESSON),
    code(IMPORTS),
    code(PARAMETERS, tags=("parameters",)),
    code(LOAD),
    md(
        """
## Why crude rates mislead

Death and illness rise steeply with age. A place with many older residents has more deaths than a
younger place even if people of every age are exactly as healthy in both. A **crude rate** — all
events over all people — mixes two things: how healthy people are, and how old they are. The
region's places differ in age:
"""
    ),
    code("display(hw.teaching.lessons.age_structure(place.workspace))"),
    md(
        """
## Direct standardisation

A **directly standardised rate (DSR)** asks: how many events would there be if this place had a
standard age structure? Work out the rate in each five-year age band, weight each by the share of
that band in the **European Standard Population 2013** (ESP 2013), and add up. Two places
standardised to the same population can be compared fairly. PHE's interval for a DSR is
**Dobson's** method. The ESP 2013 weights (per 100,000) are:
"""
    ),
    code('display(hw.stats.ESP2013.rename("esp2013_weight").to_frame().T)'),
    md(
        """
The place's under-75 deaths and population by age band, from the workbook's counts (both sexes
added together):
"""
    ),
    code(
        """
bands = list(results.indicators["mortality_u75"].age_bands)
by_band = hw.teaching.lessons.counts_by_age_band(place, "mortality_u75")
display(by_band)
"""
    ),
    exercise(
        "dsr-crude",
        """
crude = hw.stats.rate(by_band, "numerator", "denominator", multiplier=100_000)
answer = crude["value"].iloc[0]
""",
    ),
    exercise(
        "dsr-value",
        """
standardised = hw.stats.dsr(
    by_band,
    "numerator",
    "denominator",
    "age_band",
    standard=hw.stats.ESP2013.loc[bands],
    multiplier=100_000,
)
answer = standardised["value"].iloc[0]
""",
    ),
    md(
        "Now every place in the region, crude and standardised, with their ranks (1 = highest):"
    ),
    code(
        'display(hw.teaching.lessons.crude_vs_standardised(place.workspace, "mortality_u75"))'
    ),
    exercise(
        "dsr-oldest",
        """
ages = hw.teaching.lessons.age_structure(place.workspace)
answer = ages.loc[ages["pct_65_plus"].idxmax(), "place_code"]
""",
    ),
    code("display(hw.teaching.lessons.explain_crude_vs_dsr(place.workspace))"),
    md(
        """
## When not to standardise

- **Too few events.** PHE does not publish a DSR from fewer than 10 events: the weights magnify
  the noise of tiny age-band counts. Neighbourhood DSRs are often not calculated for this reason.
- **One age band.** Infant mortality (under one year) or a rate for one band has no age mix to
  adjust; the crude rate is the right measure.
- **No age split.** Counts without age bands cannot be standardised; indirect standardisation
  (an SMR) needs only the total count and the population by age.
- **Planning services.** Commissioners need the real number of events a population will have:
  the crude count, not the standardised rate.

Under-75 mortality by neighbourhood:
"""
    ),
    code(
        """
deaths = hw.teaching.lessons.small_area_values(results, "mortality_u75")
display(deaths[["area_name", "numerator", "value", "is_suppressed", "value_note"]].head(12))
"""
    ),
    exercise(
        "dsr-too-few",
        """
no_value = deaths["value"].isna() & ~deaths["is_suppressed"]
answer = int((no_value & deaths["value_note"].fillna("").str.contains("less than")).sum())
""",
    ),
    md(
        """
## Take-aways

- Crude rates mix health with age; compare places with directly standardised rates.
- A DSR weights age-band rates by the ESP 2013 and has Dobson's interval.
- Do not standardise with fewer than ten events, a single age band, or when planning needs real
  numbers.
"""
    ),
]
