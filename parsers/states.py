"""US state names and USPS codes, and the tolerant lookup the reports need.

The reports print states three ways: USPS codes in Section II (``TX``), full names in
Sections I and III (``Nevada``), and news-style abbreviations elsewhere (``Nev.``).
"""

from __future__ import annotations

import re

STATE_CODES: dict[str, str] = {
    "Alabama": "AL",
    "Alaska": "AK",
    "Arizona": "AZ",
    "Arkansas": "AR",
    "California": "CA",
    "Colorado": "CO",
    "Connecticut": "CT",
    "Delaware": "DE",
    "District of Columbia": "DC",
    "Florida": "FL",
    "Georgia": "GA",
    "Hawaii": "HI",
    "Idaho": "ID",
    "Illinois": "IL",
    "Indiana": "IN",
    "Iowa": "IA",
    "Kansas": "KS",
    "Kentucky": "KY",
    "Louisiana": "LA",
    "Maine": "ME",
    "Maryland": "MD",
    "Massachusetts": "MA",
    "Michigan": "MI",
    "Minnesota": "MN",
    "Mississippi": "MS",
    "Missouri": "MO",
    "Montana": "MT",
    "Nebraska": "NE",
    "Nevada": "NV",
    "New Hampshire": "NH",
    "New Jersey": "NJ",
    "New Mexico": "NM",
    "New York": "NY",
    "North Carolina": "NC",
    "North Dakota": "ND",
    "Ohio": "OH",
    "Oklahoma": "OK",
    "Oregon": "OR",
    "Pennsylvania": "PA",
    "Rhode Island": "RI",
    "South Carolina": "SC",
    "South Dakota": "SD",
    "Tennessee": "TN",
    "Texas": "TX",
    "Utah": "UT",
    "Vermont": "VT",
    "Virginia": "VA",
    "Washington": "WA",
    "West Virginia": "WV",
    "Wisconsin": "WI",
    "Wyoming": "WY",
    "Puerto Rico": "PR",
    "Guam": "GU",
    "U.S. Virgin Islands": "VI",
    "American Samoa": "AS",
    "Northern Mariana Islands": "MP",
}
STATE_NAMES: dict[str, str] = {code: name for name, code in STATE_CODES.items()}

# AP-style abbreviations as newsrooms and some agency tables print them.
_AP_STYLE = {
    "ala": "AL",
    "ariz": "AZ",
    "ark": "AR",
    "calif": "CA",
    "cal": "CA",
    "colo": "CO",
    "conn": "CT",
    "del": "DE",
    "fla": "FL",
    "ga": "GA",
    "ill": "IL",
    "ind": "IN",
    "kan": "KS",
    "kans": "KS",
    "ky": "KY",
    "la": "LA",
    "md": "MD",
    "mass": "MA",
    "mich": "MI",
    "minn": "MN",
    "miss": "MS",
    "mo": "MO",
    "mont": "MT",
    "neb": "NE",
    "nebr": "NE",
    "nev": "NV",
    "n.h": "NH",
    "n.j": "NJ",
    "n.m": "NM",
    "n.y": "NY",
    "n.c": "NC",
    "n.d": "ND",
    "okla": "OK",
    "ore": "OR",
    "oreg": "OR",
    "pa": "PA",
    "penn": "PA",
    "r.i": "RI",
    "s.c": "SC",
    "s.d": "SD",
    "tenn": "TN",
    "tex": "TX",
    "vt": "VT",
    "va": "VA",
    "wash": "WA",
    "w.va": "WV",
    "wis": "WI",
    "wisc": "WI",
    "wyo": "WY",
    "d.c": "DC",
    "washington dc": "DC",
    "washington d.c": "DC",
}
_BY_LOWER_NAME = {name.lower(): code for name, code in STATE_CODES.items()}


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().rstrip(".").lower())


def state_code(text: str) -> str | None:
    """The USPS code for a state printed as a code, a full name or an AP abbreviation."""
    folded = _fold(text)
    if not folded:
        return None
    if len(folded) == 2 and folded.upper() in STATE_NAMES:
        return folded.upper()
    return _BY_LOWER_NAME.get(folded) or _AP_STYLE.get(folded)
