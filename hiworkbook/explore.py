"""Exploring one place interactively: pick place, indicator, period and breakdown; the map, the
chart, the table and the sentence update together.

:func:`explore_views` computes the four views with the same package functions as the reports
(:func:`hiworkbook.results.place_results` and :func:`hiworkbook.maps.results_map` for the map,
:func:`hiworkbook.breakdowns.indicator_by` for the chart, table and sentence). :func:`explorer`
wraps it in ipywidgets — imported here, lazily, so no batch report ever imports them.

In a notebook, display the default views first as ordinary outputs (they stay in the saved
notebook and its HTML export, where no kernel runs), then the explorer::

    views = hw.explore.explore_views(place, "hypertension_detection", "imd_quintile")
    views.display()
    display(hw.explore.explorer(place, "hypertension_detection", "imd_quintile"))
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hiworkbook.breakdowns import BREAKDOWNS, Breakdown, indicator_by
from hiworkbook.narrative import HTMLFragment
from hiworkbook.workspace import Place

_log = logging.getLogger(__name__)

__all__ = ["ExploreViews", "Explorer", "explore_views", "explorer"]

NO_KERNEL_TEXT = (
    "Interactive explorer: open this notebook in JupyterLab (make lab) and run it to change "
    "place, indicator, period and breakdown. The views above show the defaults."
)


@dataclass
class ExploreViews:
    """The four views of one choice of place, indicator, period and breakdown."""

    breakdown: Breakdown
    map: Any
    chart: Any
    table: HTMLFragment
    sentence: HTMLFragment
    small_areas: pd.DataFrame

    def display(self) -> None:
        """Display sentence, map, chart and table as ordinary notebook outputs."""
        from IPython.display import display

        for v in (self.sentence, self.map, self.chart, self.table):
            display(v)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables behind the views, for :func:`hiworkbook.export.save_tables`."""
        b = self.breakdown
        return {
            f"{b.indicator.id}_by_{b.breakdown}": b.table,
            f"{b.indicator.id}_by_small_area": self.small_areas,
        }


def explore_views(
    place: Place,
    indicator_id: str,
    breakdown: str = "imd_quintile",
    period: str | None = None,
    confidence: float = 0.95,
) -> ExploreViews:
    """Compute the map, chart, table and sentence for one choice.

    Parameters
    ----------
    place : Place
    indicator_id : str
    breakdown : str, default "imd_quintile"
        A key of :data:`hiworkbook.breakdowns.BREAKDOWNS`.
    period : str, optional
    confidence : float, default 0.95

    Returns
    -------
    ExploreViews
        Where the data cannot support the breakdown, the chart and table are the reason in
        words (no error).
    """
    from hiworkbook import maps
    from hiworkbook.results import place_results, small_area_frame

    period = str(period or place.period or place.workspace.default_period)
    bd = indicator_by(place, indicator_id, breakdown, period, confidence)
    res = place_results(
        place,
        period=period,
        indicators=[indicator_id],
        confidence=confidence,
        sii_reps=1_000,  # the explorer shows no SII; the result table needs one
    )
    frame = small_area_frame(res, indicator_id)
    if frame["value"].notna().any() or frame["is_suppressed"].any():
        the_map = maps.results_map(res, indicator_id, outline=place.outline())
    else:
        the_map = HTMLFragment(
            f"<p>{_esc(bd.indicator.name)} has no values by small area in "
            f"{_esc(period)}, so there is no map.</p>"
        )
    cols = [
        place.workspace.area_col,
        "area_name",
        "imd_decile",
        "imd_quintile",
        "population",
        "numerator",
        "denominator",
        "value",
        "lower_ci",
        "upper_ci",
        "is_suppressed",
        "value_note",
    ]
    small = pd.DataFrame(frame[[c for c in cols if c in frame]]).assign(
        indicator_id=indicator_id, period=period
    )
    return ExploreViews(
        breakdown=bd,
        map=the_map,
        chart=bd.chart(),
        table=bd.html_table(),
        sentence=bd.sentence(),
        small_areas=small,
    )


class Explorer:
    """The interactive explorer: four dropdowns over four outputs (ipywidgets).

    Displays as the widget in a live kernel; where no widget can render (a saved notebook's
    HTML export, a terminal) it shows :data:`NO_KERNEL_TEXT` instead of a widget's repr.

    Attributes
    ----------
    widget : ipywidgets.VBox
    controls : dict of str to ipywidgets.Dropdown
        ``place``, ``indicator``, ``period``, ``breakdown``.
    outputs : dict of str to ipywidgets.Output
        ``sentence``, ``map``, ``chart``, ``table`` (CSS classes ``hiw-explore-<name>``).
    views : ExploreViews or None
        The views last shown.
    """

    def __init__(
        self,
        place: Place,
        indicator_id: str | None = None,
        breakdown: str = "imd_quintile",
        period: str | None = None,
        confidence: float = 0.95,
    ) -> None:
        import ipywidgets as w

        self.workspace = place.workspace
        self.confidence = confidence
        self.views: ExploreViews | None = None
        ws = self.workspace
        places = ws.places()
        with_counts = set(ws.counts["indicator_id"])
        inds = [(ind.name, i) for i, ind in ws.indicators.items() if i in with_counts]
        period = str(period or place.period or ws.default_period)
        ids = [i for _, i in inds]
        indicator_id = (
            indicator_id if indicator_id in ids else (ids[0] if ids else None)
        )
        style = {"description_width": "initial"}
        layout = w.Layout(width="auto")
        self.controls = {
            "place": w.Dropdown(
                options=[
                    (f"{r.place_name} ({r.place_code})", r.place_code)
                    for r in places.itertuples()
                ],
                value=place.code,
                description="Place",
                style=style,
                layout=layout,
            ),
            "indicator": w.Dropdown(
                options=inds,
                value=indicator_id,
                description="Indicator",
                style=style,
                layout=layout,
            ),
            "period": w.Dropdown(
                options=ws.periods,
                value=period if period in ws.periods else ws.default_period,
                description="Period",
                style=style,
                layout=layout,
            ),
            "breakdown": w.Dropdown(
                options=[(label, key) for key, label in BREAKDOWNS.items()],
                value=breakdown,
                description="Breakdown",
                style=style,
                layout=layout,
            ),
        }
        self.outputs = {}
        for name in ("sentence", "map", "chart", "table"):
            out = w.Output()
            out.add_class(f"hiw-explore-{name}")
            self.outputs[name] = out
        self.status = w.HTML()
        self.status.add_class("hiw-explore-status")
        for c in self.controls.values():
            c.observe(self._changed, names="value")
        self.widget = w.VBox(
            [
                w.HBox(list(self.controls.values())[:2]),
                w.HBox(list(self.controls.values())[2:] + [self.status]),
                *self.outputs.values(),
            ]
        )
        self.widget.add_class("hiw-explorer")
        self.update()

    def _changed(self, change: dict) -> None:
        self.update()

    def update(self) -> None:
        """Recompute the views for the current choices and redraw the four outputs."""
        from hiworkbook.validate import DataError

        c = {k: v.value for k, v in self.controls.items()}
        self.status.value = "<i>updating…</i>"
        try:
            place = self.workspace.place(c["place"], period=c["period"])
            views = explore_views(
                place, c["indicator"], c["breakdown"], c["period"], self.confidence
            )
        except DataError as exc:  # a choice the data cannot support: say so, keep going
            msg = HTMLFragment(f"<pre>{_esc(str(exc))}</pre>")
            for name, out in self.outputs.items():
                _show(out, msg if name == "sentence" else None)
            self.status.value = ""
            return
        self.views = views
        shown = {
            "sentence": views.sentence,
            "map": views.map,
            "chart": views.chart,
            "table": views.table,
        }
        for name, view in shown.items():
            _show(self.outputs[name], view)
        self.status.value = ""

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data or {})
        data["text/plain"] = NO_KERNEL_TEXT
        data["text/html"] = f"<p class='hiw-explore-static'>{_esc(NO_KERNEL_TEXT)}</p>"
        return data


def _show(out: Any, view: Any | None) -> None:
    """Make ``view`` (or nothing) the whole content of an ``ipywidgets.Output``.

    The widget's ``outputs`` are set in the kernel, in one change the front end draws, instead
    of capturing a ``display`` with ``with out:``. Captured output is routed by the front end; a
    notebook run by Papermill has nbclient stand in for it, and nbclient answers each captured
    output with a message on the kernel's shell channel while it waits on that channel for the
    cell's reply, which now and then never arrives (the run hangs: nbclient issue #312). Set
    this way, nbclient only reads the widget's state, and the view shows at once.
    """
    if view is None:
        out.outputs = ()
        return
    from IPython.core.interactiveshell import InteractiveShell

    data, metadata = InteractiveShell.instance().display_formatter.format(view)
    out.outputs = ({"output_type": "display_data", "data": data, "metadata": metadata},)


def explorer(
    place: Place,
    indicator_id: str | None = None,
    breakdown: str = "imd_quintile",
    period: str | None = None,
    confidence: float = 0.95,
) -> Explorer:
    """The interactive explorer for a place (needs ipywidgets; ``make lab`` installs it).

    Parameters
    ----------
    place : Place
        The place shown first; the dropdown offers every place of the workbook.
    indicator_id : str, optional
        Default: the first indicator with counts.
    breakdown : str, default "imd_quintile"
    period : str, optional
    confidence : float, default 0.95

    Returns
    -------
    Explorer
    """
    return Explorer(place, indicator_id, breakdown, period, confidence)


def _esc(s: str) -> str:
    import html

    return html.escape(str(s))
