"""Directly age-standardised rates with Dobson confidence intervals (PHE method)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hiworkbook.stats._common import (
    Checker,
    Confidence,
    as_list,
    build_result,
    confidence_levels,
    fail,
    index_desc,
    join_notes,
    make_groups,
    note_where,
    poisson_limits,
)
from hiworkbook.stats.standard_populations import ESP2013, standard_population
from hiworkbook.validate import did_you_mean, format_values

__all__ = ["dsr", "resolve_standard"]

#: PHE does not publish a DSR when the total count is below this.
DSR_MIN_COUNT = 10

StandardLike = pd.Series | Mapping[str, float] | pd.DataFrame | str


def resolve_standard(standard: StandardLike) -> pd.Series:
    """Turn any accepted standard population into a Series band label -> weight.

    Accepts a Series or dict (band -> weight), a DataFrame with the band labels
    in its index or first column and the weights in its (last) numeric column,
    or the names ``"esp2013"`` (19 bands) / ``"esp2013_18"`` (85+).
    """
    if isinstance(standard, str):
        key = standard.lower().replace(" ", "")
        if key in {"esp2013", "esp"}:
            return standard_population("esp2013", 19)
        if key in {"esp2013_18", "esp2013-18", "esp18"}:
            return standard_population("esp2013", 18)
        raise ValueError(
            f"unknown standard population {standard!r}: pass 'esp2013', 'esp2013_18', "
            "a Series/dict of weights by age band, or the name of a weights column"
        )
    if isinstance(standard, pd.DataFrame):
        df = standard
        num = df.select_dtypes("number").columns
        if len(num) == 0:
            raise ValueError("the standard population DataFrame has no numeric column")
        if len(df.columns) >= 2 and df.columns[0] not in num:
            s = pd.Series(df[num[-1]].to_numpy(), index=df[df.columns[0]].astype(str))
        else:
            s = pd.Series(df[num[-1]].to_numpy(), index=df.index.astype(str))
    elif isinstance(standard, pd.Series):
        s = standard.copy()
        s.index = s.index.astype(str)
    elif isinstance(standard, Mapping):
        s = pd.Series({str(k): v for k, v in standard.items()})
    else:
        raise TypeError(
            f"standard must be a Series, dict or DataFrame, not {type(standard)}"
        )
    s = pd.to_numeric(s, errors="coerce").astype(float)
    if s.index.has_duplicates:
        raise ValueError(
            f"standard population repeats age bands {format_values(s.index[s.index.duplicated()])}"
        )
    if s.isna().any() or (s < 0).any() or s.sum() <= 0:
        raise ValueError("standard population weights must be non-negative numbers")
    return s.rename("standard")


def dsr(
    data: pd.DataFrame,
    x: str,
    n: str,
    age_band: str,
    *,
    standard: StandardLike = ESP2013,
    group_by: str | Sequence[str] | None = None,
    confidence: Confidence = 0.95,
    multiplier: float = 100_000,
    min_count: int = DSR_MIN_COUNT,
    independent_events: bool = True,
    event_frequency: str | None = None,
) -> pd.DataFrame:
    """Directly age-standardised rate with Dobson's confidence interval.

    ``DSR = sum_i w_i O_i / n_i / sum_i w_i * multiplier`` with standard
    weights ``w_i`` (ESP 2013 by default). The interval applies Byar's limits
    of the total count ``O`` through Dobson's method (Dobson et al. 1991):
    ``DSR + sqrt(var(DSR) / O) (O_lower - O)`` and likewise for the upper
    limit, where ``var(DSR) = sum_i O_i (w_i / n_i)^2 / (sum_i w_i)^2``
    (PHEindicatormethods ``calculate_dsr``; PHE Technical Guide "Confidence
    intervals").

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and age band (or per group, age band and event
        frequency when ``independent_events=False``).
    x, n : str
        Columns of events and population in the band. With
        ``independent_events=False``, ``x`` is the number of *people* with
        ``event_frequency`` events and ``n`` the band population repeated on
        each frequency row.
    age_band : str
        Column of age-band labels matching the standard's labels.
    standard : Series, dict, DataFrame or str, default ESP 2013 (19 bands)
        Weights by age band, ``"esp2013"``, ``"esp2013_18"`` or the name of a
        column of ``data`` holding each row's weight.
    group_by : str or list of str, optional
        One DSR per group. Every group must have every band of the standard.
    confidence : float or list of float, default 0.95
    multiplier : float, default 100,000
    min_count : int, default 10
        PHE does not calculate a DSR from a total count below 10; such rows have
        NaN values and a ``value_note``.
    independent_events : bool, default True
        False applies PHE's adjustment for people who may have more than one
        event (``calculate_dsr(independent_events = FALSE)``): the variance is
        ``sum_{i,f} f^2 P_{i,f} (w_i / n_i)^2 / (sum w)^2`` where ``P_{i,f}`` is
        the number of people in band ``i`` with ``f`` events.
    event_frequency : str, optional
        Column of the number of events per person (required when
        ``independent_events=False``).

    Returns
    -------
    pandas.DataFrame
        Group columns, ``numerator`` (total events), ``denominator`` (total
        population), ``value``, CI columns, ``confidence``, ``multiplier``,
        ``method`` ("Dobson") and ``value_note``.

    Notes
    -----
    An age band with no population and no events contributes zero and is noted;
    events with zero population are an error.
    """
    levels = confidence_levels(confidence)
    group_by = as_list(group_by)
    chk = Checker(data, "dsr")
    field_std = isinstance(standard, str) and standard in data.columns
    chk.columns(x, n, age_band, *group_by)
    if not independent_events:
        if event_frequency is None:
            fail(
                "independent_events=False needs the event_frequency column "
                "(number of events per person).",
                fix="Pass event_frequency='<column>'.",
            )
        chk.columns(event_frequency)
    xv = chk.numeric(x, what="counts")
    nv = chk.numeric(n, what="populations")
    fv = (
        chk.numeric(event_frequency, what="event frequencies")
        if not independent_events
        else np.ones(len(data))
    )
    bands_col = data[age_band]
    chk.rows(
        bands_col.isna().to_numpy(),
        "age band is missing",
        age_band,
        fix="Give every row an age band.",
    )
    chk.raise_if()
    with np.errstate(invalid="ignore"):
        chk.rows(
            (nv == 0) & (xv > 0),
            "events with a population of zero",
            n,
            fix="Check the populations; events need people at risk.",
        )
    band_labels = bands_col.astype(str).to_numpy()
    g = make_groups(data, group_by)
    if field_std:
        wv = chk.numeric(standard, what="standard population weights")
        chk.raise_if()
        uniq, band_code = np.unique(band_labels, return_inverse=True)
        nb = len(uniq)
    else:
        std = resolve_standard(standard)
        band_code = std.index.get_indexer(band_labels)
        unknown = band_code < 0
        if unknown.any():
            bad = pd.unique(band_labels[unknown])
            hint = did_you_mean(str(bad[0]), std.index)
            chk.rows(
                unknown,
                f"age band(s) {format_values(bad)} are not in the standard population "
                f"({', '.join(std.index)}){hint}",
                age_band,
                fix="Relabel the bands to match the standard, or pass the matching standard=.",
            )
        chk.raise_if()
        wv = std.to_numpy()[band_code]
        nb = len(std)
    # band completeness and duplicates within groups
    pair = g.codes * nb + band_code
    counts = np.bincount(pair, minlength=g.n * nb).reshape(g.n, nb)
    if independent_events:
        dup = counts[g.codes, band_code] > 1
        chk.rows(
            dup,
            "the same group and age band appear more than once",
            age_band,
            fix="Sum these rows first (or pass the right group_by).",
        )
    missing = counts == 0
    if missing.any():
        bad_groups = np.flatnonzero(missing.any(axis=1))
        if field_std:
            names = np.asarray(uniq)
        else:
            names = np.asarray(std.index)
        examples = []
        for gi in bad_groups[:3]:
            key = (
                ", ".join(f"{c}={g.keys.iloc[gi][c]!r}" for c in group_by)
                if group_by
                else "the data"
            )
            examples.append(f"{key} lacks {format_values(names[missing[gi]])}")
        more = len(bad_groups) - len(examples)
        chk.log.error(
            f"age bands are missing: {'; '.join(examples)}"
            + (f" and {more} more groups" if more > 0 else "")
            + ".",
            column=age_band,
            fix="Add rows with zero events (and the population) for the missing bands.",
        )
    chk.raise_if()

    # for non-independent events, n and w are per band: count them once
    if independent_events:
        first = np.ones(len(data), dtype=bool)
    else:
        _, first_idx = np.unique(pair, return_index=True)
        first = np.zeros(len(data), dtype=bool)
        first[first_idx] = True
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(nv > 0, wv / nv, 0.0)
    events = fv * xv
    total = g.sum(events)
    pop = g.sum(np.where(first, nv, 0.0))
    wsum = g.sum(np.where(first, wv, 0.0))
    empty = g.any(nv == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = g.sum(events * ratio) / wsum
        var = g.sum(fv**2 * xv * ratio**2) / wsum**2
        se_per_event = np.sqrt(var / total)
    small = total < min_count
    value = np.where(small, np.nan, value)
    lowers, uppers = [], []
    for c in levels:
        lo, hi = poisson_limits(total, c, exact_below=0)  # Byar's, as PHE
        lowers.append(
            np.where(small, np.nan, (value + se_per_event * (lo - total)) * multiplier)
        )
        uppers.append(
            np.where(small, np.nan, (value + se_per_event * (hi - total)) * multiplier)
        )
    notes = join_notes(
        note_where(small, f"total count is less than {min_count}"),
        note_where(
            empty & ~small,
            "an age band with no population and no events contributed zero",
        ),
    )
    return build_result(
        g.keys,
        {"numerator": total, "denominator": pop, "value": value * multiplier},
        levels,
        lowers,
        uppers,
        "Dobson" if independent_events else "Dobson, non-independent events",
        notes,
        after={"multiplier": multiplier},
    )


_ = index_desc  # re-exported helper used in messages elsewhere
