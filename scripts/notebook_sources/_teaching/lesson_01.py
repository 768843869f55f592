"""Lesson 1: what health inequalities are; IMD deciles, quintiles and Core20; LSOA vintages."""

from teaching import IMPORTS, LOAD, PARAMETERS, code, exercise, header, md

LESSON = 1
CELLS = [
    header(LESSON),
    code(IMPORTS),
    code(PARAMETERS, tags=("parameters",)),
    md(
        """
## Load the place

One call loads and checks every file of the workbook and returns the place; a second computes
every indicator for it with the PHE methods. If anything were wrong with the data you would see
one list of every problem here, not a traceback.
"""
    ),
    code(LOAD),
    md(
        """
## What makes a difference an inequality?

People's health differs for many reasons. We call a difference a **health inequality** when it is
*systematic* (it follows a pattern across groups, not chance), *avoidable* and *unfair*. In England
the groups that matter most are usually:

- **socio-economic position and deprivation** — the subject of this course;
- **geography** (region, urban or rural, coastal);
- **protected characteristics** such as ethnicity, sex, age and disability;
- **inclusion health groups** (people experiencing homelessness, Gypsy, Roma and Traveller
  communities, people in contact with the justice system …).

NHS England's **Core20PLUS5** approach asks services to reach first the *Core20* — people living
in England's most deprived 20% of neighbourhoods — plus locally chosen groups, across five clinical
areas.
"""
    ),
    md(
        """
## The Index of Multiple Deprivation (IMD)

The IMD ranks every small area (LSOA, about fifteen hundred residents) in England from the most
deprived (rank 1) to the least deprived. It combines seven domains — income, employment, education,
health, crime, barriers to housing and services, and living environment — with income and
employment weighted most.

- A **decile** splits the ranking into ten equal groups of areas: decile 1 is the most deprived
  10% of areas in England, decile 10 the least deprived 10%.
- A **quintile** splits it into five: quintile 1 is deciles 1 and 2, the most deprived 20%.
  People living in quintile 1 are the **Core20** population.

Two cautions. The IMD is **relative**: it ranks areas and says nothing about *how much* more
deprived one is than another. And it describes **areas, not people**: many deprived people live
outside deprived areas, and not everyone in a deprived area is deprived.
"""
    ),
    md("The place's neighbourhoods by national decile, and where they are:"),
    code(
        """
profile = hw.teaching.lessons.deprivation_profile(place)
display(profile)
display(
    hw.maps.deprivation_map(
        place.areas,
        code_col=place.workspace.area_col,
        outline=place.outline(),
        title=f"{place.name}: neighbourhoods by national IMD decile (synthetic)",
    )
)
"""
    ),
    exercise(
        "imd-decile1",
        """
answer = int((place.areas["imd_decile"] == 1).sum())
""",
    ),
    exercise(
        "imd-core20",
        """
core20 = place.areas.loc[place.areas["imd_quintile"] == 1, "population"].sum()
answer = 100 * core20 / place.areas["population"].sum()
""",
    ),
    md("The same figures in words, written from the data:"),
    code("display(hw.teaching.lessons.explain_deprivation(place))"),
    md(
        """
Places differ a lot. `hw.teaching.lessons.core20_by_place(place.workspace)` gives the Core20 share
of every LTLA in the region.
"""
    ),
    exercise(
        "imd-top-core20",
        """
shares = hw.teaching.lessons.core20_by_place(place.workspace)
answer = shares.loc[shares["core20_pct"].idxmax(), "place_code"]
""",
    ),
    md(
        """
## LSOA 2011 and LSOA 2021 must not be mixed

ONS redrew the small areas after each census. For the 2021 Census some LSOAs were split, some
merged and some changed shape: old codes were retired and new ones issued, while most codes stayed
the same. The **IoD2019** is published on **LSOA 2011** areas; the **IoD2025** on **LSOA 2021**.

Joining a file of one vintage to data of the other does not fail loudly in a spreadsheet: the
codes that match join, the rest silently drop out — often the fastest-growing, most changed
neighbourhoods. hiworkbook tells the vintages apart from ONS's complete code lists and **refuses**
to mix them. This is the message a user sees when a deaths file on LSOA 2011 meets a workbook on
LSOA 2021:
"""
    ),
    code("display(hw.teaching.lessons.vintage_refusal())"),
    md(
        """
The fix is in the message: use a file of the workbook's vintage, convert counts through ONS's
best-fit lookup, or switch the whole workbook to the other vintage. You can ask which vintage some
codes are:
"""
    ),
    code('hw.io.detect_lsoa_vintage(["E01000001", "E01000010"])'),
    exercise(
        "imd-vintage",
        """
answer = hw.io.detect_lsoa_vintage(["E01033769"]).vintage
""",
    ),
    md(
        """
## Take-aways

- An inequality is a systematic, avoidable, unfair difference between groups.
- IMD deciles and quintiles are national rankings of *areas*; quintile 1 is the Core20.
- A place's Core20 share is counted in people, not neighbourhoods.
- Never join LSOA 2011 and LSOA 2021 data; hiworkbook refuses and says how to fix it.
"""
    ),
]
