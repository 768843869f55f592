"""Lesson 5: maps — classification choices, small-number instability, hot spots, misleading maps."""

from teaching import IMPORTS, LOAD, PARAMETERS, code, exercise, header, md

LESSON = 5
CELLS = [
    header(LESSON),
    code(IMPORTS),
    code(PARAMETERS, tags=("parameters",)),
    code(LOAD),
    md(
        """
## One set of numbers, many maps

A choropleth map colours each neighbourhood by its class. **How the classes are cut** changes the
story as much as the data do:

- **Quantiles**: each class holds the same number of neighbourhoods. A fifth of the map is always
  dark, however small the differences.
- **Equal intervals**: each class spans the same range of values. A few extreme neighbourhoods
  (often the smallest, noisiest ones) can stretch the scale so most of the map looks alike.

Hypertension detection by neighbourhood, cut both ways (darker = worse):
"""
    ),
    code(
        """
display(hw.maps.results_map(results, "hypertension_detection", scheme="quantiles"))
display(hw.maps.results_map(results, "hypertension_detection", scheme="equal_interval"))
display(hw.teaching.lessons.class_comparison(results, "hypertension_detection"))
"""
    ),
    exercise(
        "maps-equal-top",
        """
values = hw.teaching.lessons.small_area_values(results, "hypertension_detection")["value"]
edges, classes = hw.maps.classify(values, 5, "equal_interval")
answer = int((classes == len(edges) - 2).sum())
""",
    ),
    code(
        'display(hw.teaching.lessons.explain_classes(results, "hypertension_detection"))'
    ),
    md(
        """
## Benchmark colours

Fingertips colours an area by whether it is **significantly** better, similar or worse than a
benchmark — here, the place itself — using each neighbourhood's 95% interval. This map answers a
different question: not "how high?" but "is it different beyond chance?". Most small areas come
out *similar*, because their intervals are wide.
"""
    ),
    code('display(hw.maps.benchmark_map(results, "hypertension_detection"))'),
    exercise(
        "maps-worse",
        """
hypertension = hw.teaching.lessons.small_area_values(results, "hypertension_detection")
answer = int((hypertension["comparison"] == "worse").sum())
""",
    ),
    md(
        """
## Small numbers make maps unstable

Compare each neighbourhood's value in two years. If the map showed real, lasting differences,
this year's "worst fifth" would mostly be last year's too. With small numbers, many are not:
"""
    ),
    code(
        """
stability = hw.teaching.lessons.instability(place, "smoking_at_delivery", ("2023", "2024"))
display(stability.head(10))
"""
    ),
    exercise(
        "maps-stay",
        """
answer = int((stability["top_2023"] & stability["top_2024"]).sum())
""",
    ),
    code(
        'display(hw.teaching.lessons.explain_instability(place, "smoking_at_delivery"))'
    ),
    md(
        """
## Hot spots: clusters, not single areas

One dark neighbourhood may be chance. A **cluster** of touching neighbourhoods that are each
significantly worse is a stronger signal of a place worth a closer look. This simple screen joins
significantly-worse neighbourhoods that share a boundary. The formal next step — local Moran's
I, with a correction for testing many areas at once — is in `notebooks/indicator_deep_dive.ipynb`.
"""
    ),
    code(
        """
display(hw.teaching.lessons.worse_clusters(results, "hypertension_detection"))
display(hw.teaching.lessons.explain_clusters(results, "hypertension_detection"))
"""
    ),
    md(
        """
## How a map can mislead — a checklist

- **Big, empty areas shout.** Rural neighbourhoods cover most of the map but hold few people.
- **The classification is a choice.** Say which one, and why.
- **Small numbers are noisy.** Prefer benchmark colours, wider areas or pooled years.
- **Suppressed is not zero.** Suppressed areas are hatched grey, never coloured as a value.
- **Colour direction.** Say whether darker means worse or higher.
- **A map shows where, not why.**
"""
    ),
]
