"""Indicator definitions: what each indicator measures and how it is calculated.

Definitions live in a versioned TOML file (the built-in one is ``hiworkbook/data/indicators.toml``)
so users add indicators without touching code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from hiworkbook.validate import ProblemLog, did_you_mean

__all__ = ["Indicator", "load_indicators", "MEASURES", "POLARITIES", "CORE20PLUS5"]

MEASURES = ("proportion", "rate", "dsr", "life_expectancy", "isratio")
POLARITIES = ("high_is_good", "low_is_good", "no_judgement")
CORE20PLUS5 = {
    "maternity": "Maternity",
    "smi": "Severe mental illness",
    "respiratory": "Chronic respiratory disease",
    "cancer": "Early cancer diagnosis",
    "hypertension": "Hypertension case-finding",
    # children and young people's five (NHS England, Core20PLUS5 CYP, 2022)
    "cyp_asthma": "Asthma (children and young people)",
    "cyp_diabetes": "Diabetes (children and young people)",
    "cyp_epilepsy": "Epilepsy (children and young people)",
    "cyp_oral_health": "Oral health (children and young people)",
    "cyp_mental_health": "Mental health (children and young people)",
}


@dataclass(frozen=True)
class Indicator:
    """One indicator definition (see ``hiworkbook/data/indicators.toml`` for the fields)."""

    id: str
    name: str
    measure: str
    multiplier: float
    unit: str
    polarity: str
    sexes: tuple[str, ...] = ("persons",)
    ages: str = "All ages"
    age_bands: tuple[str, ...] = ()
    core20plus5: str = ""
    breakdowns: tuple[str, ...] = ()
    numerator: str = ""
    denominator: str = ""
    source: str = ""
    cause: str = (
        ""  # broad cause of death its deaths are (life-expectancy gap by cause)
    )

    @property
    def core20plus5_name(self) -> str:
        """The Core20PLUS5 clinical area in words, or ``""``."""
        return CORE20PLUS5.get(self.core20plus5, "")

    def format_value(self, value: float) -> str:
        """Format a value with its unit, e.g. ``"312.4 per 100,000"`` or ``"64.2%"``."""
        if value != value:  # NaN
            return "not calculated"
        if self.unit == "%":
            return f"{value:.1f}%"
        if self.unit == "years":
            return f"{value:.1f} years"
        return f"{value:,.1f} {self.unit}"


def load_indicators(
    path: str | Path | None = None, log: ProblemLog | None = None
) -> dict[str, Indicator]:
    """Read indicator definitions from a TOML file (the built-in set when ``path`` is None).

    Parameters
    ----------
    path : str or Path, optional
        A TOML file with ``[[indicator]]`` tables.
    log : ProblemLog, optional
        Where to record problems; when None a DataError is raised listing them all.

    Returns
    -------
    dict
        Indicators by id, in file order.
    """
    own = log is None
    log = ProblemLog() if log is None else log
    if path is None:
        text = (
            files("hiworkbook")
            .joinpath("data/indicators.toml")
            .read_text(encoding="utf-8")
        )
        label = "built-in indicators.toml"
    else:
        path = Path(path)
        label = path.name
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            log.error(f"cannot be read: {exc.strerror}.", file=label)
            text = ""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        log.error(f"is not valid TOML: {exc}.", file=label)
        raw = {}
    out: dict[str, Indicator] = {}
    known = set(Indicator.__dataclass_fields__)
    for i, entry in enumerate(raw.get("indicator", []), 1):
        where = f"indicator #{i} ({entry.get('id', 'no id')})"
        missing = [
            k
            for k in ("id", "name", "measure", "multiplier", "unit", "polarity")
            if k not in entry
        ]
        if missing:
            log.error(f"{where} lacks {', '.join(missing)}.", file=label)
            continue
        unknown = [k for k in entry if k not in known]
        for k in unknown:
            log.error(
                f"{where} has an unknown field '{k}'{did_you_mean(k, known)}.",
                file=label,
            )
        if entry["measure"] not in MEASURES:
            log.error(
                f"{where}: measure '{entry['measure']}'{did_you_mean(entry['measure'], MEASURES)} "
                f"is not one of {', '.join(MEASURES)}.",
                file=label,
            )
            continue
        if entry["polarity"] not in POLARITIES:
            log.error(
                f"{where}: polarity '{entry['polarity']}' is not one of {', '.join(POLARITIES)}.",
                file=label,
            )
            continue
        area = entry.get("core20plus5", "")
        if area and area not in CORE20PLUS5:
            log.error(
                f"{where}: core20plus5 '{area}'{did_you_mean(str(area), CORE20PLUS5)} is not "
                "a Core20PLUS5 clinical area.",
                file=label,
                fix=f'Use one of {", ".join(CORE20PLUS5)}, or "" for none.',
            )
            continue
        if entry["id"] in out:
            log.error(f"{where}: the id '{entry['id']}' is used twice.", file=label)
            continue
        fields = {k: v for k, v in entry.items() if k in known}
        for k in ("sexes", "age_bands", "breakdowns"):
            if k in fields:
                fields[k] = tuple(fields[k])
        out[entry["id"]] = Indicator(**fields)
    if own:
        log.raise_if_errors(label)
    return out
