"""Fictional place names and ONS-shaped codes with the prefix ``X`` (which ONS never issues).

None of the local authority names below is (or was) the name of an English local authority; they
are invented English-sounding names so that a demo report can never be mistaken for a real place.
"""

from __future__ import annotations

__all__ = [
    "ICB_CODE",
    "ICB_NAME",
    "ENGLAND_CODE",
    "ENGLAND_NAME",
    "REGION_NAME",
    "LTLA_NAMES",
    "ltla_names",
    "small_area_code",
    "ltla_code",
    "small_area_name",
]

ICB_CODE = "X54000001"
ICB_NAME = "NHS Greyfield and Marsh Integrated Care Board"
ENGLAND_CODE = "X92000001"
ENGLAND_NAME = "England (synthetic)"
REGION_NAME = "Greyfield and Marsh (synthetic demo region)"

#: Fictional LTLA names, the first used for the most urban (and most deprived) district.
LTLA_NAMES: tuple[str, ...] = (
    "Greyfield",
    "Marshwick",
    "Kestrel Bay",
    "Hollinvale",
    "Larkspur Downs",
    "Brackenford",
    "Saltmere",
    "Wrenhallow",
    "Oakhithe",
    "Merrowdale",
    "Fenmoor Heath",
    "Starling Marsh",
)


def ltla_names(n: int) -> list[str]:
    """The first ``n`` fictional LTLA names (numbered variants beyond the list).

    Parameters
    ----------
    n : int
        How many names.

    Returns
    -------
    list of str
    """
    out = list(LTLA_NAMES[:n])
    i = 0
    while len(out) < n:
        base = LTLA_NAMES[i % len(LTLA_NAMES)]
        out.append(
            f"{base} {('North', 'South', 'East', 'West')[(i // len(LTLA_NAMES)) % 4]}"
        )
        i += 1
    return out


def small_area_code(i: int) -> str:
    """Code of the ``i``-th small area (1-based): ``X01000001`` …"""
    return f"X01{i:06d}"


def ltla_code(i: int) -> str:
    """Code of the ``i``-th LTLA (1-based): ``X06000001`` …"""
    return f"X06{i:06d}"


def small_area_name(ltla_name: str, msoa_number: int, letter_index: int) -> str:
    """An ONS-LSOA-style name: ``"<LTLA name> 001A"``."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    suffix = letters[letter_index % 26] * (1 + letter_index // 26)
    return f"{ltla_name} {msoa_number:03d}{suffix}"
