"""notebooks/place_profile.ipynb: a place's health-inequalities profile from a workbook."""

from nbformat.v4 import new_code_cell, new_markdown_cell

PARAMETERS = """\
config: str = ""  # workbook.toml; empty for the synthetic demo region
place_code: str = ""  # place code (LTLA, ICB ...); empty for the first place
period: str = ""  # period to report, such as 2024; empty for the workbook's default
comparator: str = ""  # comparator name or code; empty for England, else the parent
indicators: list = []  # indicator ids to report; empty for all with counts
map_indicator: str = "hypertension_detection"  # indicator mapped by small area
chart_indicator: str = "mortality_u75"  # indicator charted by deprivation quintile
gap_indicators: list = ["mortality_u75", "smoking_at_delivery"]  # gaps in the headline
ethnicity_indicators: list = ["hypertension_detection", "smi_health_checks"]  # by group
trend_indicators: list = ["mortality_u75", "life_expectancy"]  # charted over time
sii_trend_indicator: str = "mortality_u75"  # its SII charted over time
le_gap_groups: str = "quintile"  # LE gap: "quintile", "core20" or "comparator"
le_gap_pool: int = 3  # periods pooled for the LE gap (PHE pools 3 years)
scatter_indicators: list = ["hypertension_detection", "smi_health_checks"]  # x and y
benchmark_level: str = "95"  # "95", "99.8" or "both" (five classes)
map_scheme: str = "benchmark"  # "benchmark", "quintiles" or a mapclassify scheme
confidence: float = 0.95  # confidence level of intervals and significance tests
seed: int = 1  # seed of the SII simulation (same seed, same numbers)
output_dir: str = ""  # folder for figures (CSV, Parquet, summary.json); empty: none
"""

cells = [
    new_code_cell(
        "from IPython.display import display\n\nimport hiworkbook as hw",
        metadata={"tags": ["remove-cell"]},
    ),
    new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
    new_markdown_cell(
        "<!-- Validate everything before any work: one DataError lists every problem. -->"
    ),
    new_code_cell(
        "place = hw.load_place(\n"
        "    config,\n"
        "    place_code,\n"
        "    period=period,\n"
        "    indicators=[*indicators, map_indicator, chart_indicator, *gap_indicators, *ethnicity_indicators, *scatter_indicators, *trend_indicators, sii_trend_indicator],\n"
        ")\n"
        "results = hw.place_results(\n"
        "    place,\n"
        "    period=period or None,\n"
        "    indicators=indicators or None,\n"
        "    comparator=comparator or None,\n"
        "    confidence=confidence,\n"
        "    seed=seed,\n"
        ")\n"
        "hw.export.save_results(results, output_dir)\n"
        "display(hw.narrative.title(results))",
    ),
    new_markdown_cell("## Headline"),
    new_code_cell("display(hw.narrative.headline(results, gap_indicators))"),
    new_markdown_cell("## Where deprivation is concentrated"),
    new_code_cell(
        "display(hw.narrative.deprivation_summary(results))\n"
        "display(\n"
        "    hw.maps.deprivation_map(\n"
        "        place.areas,\n"
        "        code_col=place.workspace.area_col,\n"
        "        outline=place.outline(),\n"
        '        title=f"{place.name}: neighbourhoods by national IMD decile",\n'
        "    )\n"
        ")"
    ),
    new_markdown_cell("## All indicators: area profile"),
    new_code_cell(
        "display(hw.tables.indicator_table(results, level=benchmark_level))\n"
        "display(hw.views.spine_chart(results, level=benchmark_level))"
    ),
    new_markdown_cell("## An indicator by neighbourhood"),
    new_code_cell(
        "display(\n"
        "    hw.maps.benchmark_map(\n"
        "        results,\n"
        "        map_indicator,\n"
        "        level=benchmark_level,\n"
        "        scheme=map_scheme,\n"
        "        outline=place.outline(),\n"
        "    )\n"
        ")"
    ),
    # one bar per neighbourhood: the longest figure, left out of the printed board paper
    # (report.py puts a print-only sentence in its place; templates/report.css)
    new_code_cell(
        "display(hw.views.compare_areas_chart(results, map_indicator, level=benchmark_level))",
        metadata={"tags": ["print-omit"]},
    ),
    new_markdown_cell("## The gradient by deprivation"),
    new_code_cell(
        "display(hw.views.inequality_chart(results, chart_indicator, level=benchmark_level))\n"
        "display(hw.narrative.gradient_sentence(results, chart_indicator))"
    ),
    new_markdown_cell("## Ethnicity"),
    new_code_cell(
        "display(hw.charts.ethnicity_panel(results, ethnicity_indicators, level=benchmark_level))",
        metadata={"tags": ["print-grid"]},
    ),
    new_markdown_cell("## Population"),
    new_code_cell(
        "display(hw.views.population_pyramid(results))",
        metadata={"tags": ["print-small"]},
    ),
    new_markdown_cell(
        "## Two indicators across neighbourhoods", metadata={"tags": ["print-omit"]}
    ),
    new_code_cell(
        "display(hw.views.scatter_chart(results, *scatter_indicators[:2]))",
        metadata={"tags": ["print-omit"]},
    ),
    new_markdown_cell("## Trends"),
    new_code_cell(
        "periods = hw.trends.period_results(\n"
        "    place,\n"
        "    indicators=indicators or None,\n"
        "    comparator=comparator or None,\n"
        "    confidence=confidence,\n"
        "    seed=seed,\n"
        "    reuse=results,\n"
        ")\n"
        "display(hw.trendviews.trends_section(periods, trend_indicators, sii_trend_indicator))",
        metadata={"tags": ["print-grid", "print-compact"]},
    ),
    new_markdown_cell("## Life expectancy gap"),
    new_code_cell(
        "le_gap = hw.lifegap.le_gap(\n"
        "    place,\n"
        "    le_gap_groups,\n"
        "    period=period or None,\n"
        "    pool=le_gap_pool,\n"
        "    comparator=comparator or None,\n"
        ")\n"
        "display(hw.lifegap.gap_section(le_gap))",
        metadata={"tags": ["print-grid", "print-compact"]},
    ),
    new_code_cell(
        "display(\n"
        "    hw.narrative.methods_footer(\n"
        "        results, extra_methods=hw.trendviews.methods_items(periods, le_gap)\n"
        "    )\n"
        ")"
    ),
    new_code_cell(
        "hw.overview.save_place_summary(results, output_dir, chart_indicator=chart_indicator)",
        metadata={"tags": ["remove-cell"]},
    ),
]

NOTEBOOKS = {"place_profile.ipynb": cells}
