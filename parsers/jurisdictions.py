"""One canonical key per jurisdiction, however a report section spells it.

Section I prints ``Clark, Nevada``, Section II ``Clark County`` beside ``NV`` and Section III
``Clark County`` beside ``Nevada``; all three are the key ``NV:clark``. The state is part of
the key because many counties share a name (Franklin County exists in two dozen states).
"""

from __future__ import annotations

import re
import unicodedata

from parsers.states import STATE_NAMES, state_code

WHOLE_STATE = "*"
# Only "County" (and its abbreviations) is dropped: "Baltimore City" and "Baltimore County"
# are different jurisdictions, and so are "Fairfax City" and "Fairfax County".
_COUNTY_SUFFIX = re.compile(r"\s+(county|cnty|co\.?|parish|borough)$")
_SAINT = re.compile(r"\b(saint|ste?\.)\s")


def _slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = text.lower().replace("'", "").replace("\u2019", "")
    text = _SAINT.sub("st ", text + " ").strip()
    text = re.sub(r"[^a-z0-9]+", " ", text.replace("-", " ")).strip()
    return text


def county_slug(county: str) -> str:
    """The county part of a key: lower case, ASCII, without the word "County"."""
    folded = re.sub(r"\s+", " ", county.strip()).lower()
    folded = _COUNTY_SUFFIX.sub("", folded)
    return _slug(folded)


def split_county_state(text: str) -> tuple[str, str | None]:
    """``"Clark County, Nevada"`` → (``"Clark County"``, ``"NV"``); no state → (text, None)."""
    head, sep, tail = text.rpartition(",")
    if sep:
        code = state_code(tail)
        if code:
            return head.strip(), code
    return text.strip(), None


def jurisdiction_key(county: str, state: str, bare_county: bool = False) -> str:
    """The canonical key of a county (or city) in a state; a whole state keys as ``XX:*``.

    ``bare_county`` is for Section I, whose header says every row is a county: there
    ``New York, New York`` is New York County, not the state."""
    code = state_code(state)
    if code is None:
        raise ValueError(f"unknown state {state!r}")
    name, embedded = split_county_state(county)
    if embedded is not None and embedded != code:
        raise ValueError(f"{county!r} names another state than {state!r}")
    if not bare_county and state_code(name) == code and _slug(name) == _slug(STATE_NAMES[code]):
        return f"{code}:{WHOLE_STATE}"
    return f"{code}:{county_slug(name)}"


def row_key(county: str, state: str, bare_county: bool = False) -> str:
    """A report row's key, never failing: ``jurisdiction_key``, or for a row whose state is
    unknown or contradicts its county ``?:<county>/<state>`` (one spelling everywhere: the
    database, the diffs, the site and the exports must agree on it)."""
    try:
        return jurisdiction_key(county, state, bare_county)
    except ValueError:
        return f"?:{county}/{state}"


def display_name(county: str, state: str, bare_county: bool = False) -> str:
    """A reader's label: ``Clark County, NV``; ``bare_county`` (Section I's ``Clark``) adds
    "County". A whole state reads as its name."""
    code = state_code(state) or state
    name = re.sub(r"\s+", " ", county.strip())
    if not bare_county and state_code(name) == code:
        return STATE_NAMES.get(code, name)
    if bare_county and not re.search(r"\b(county|city|parish|borough)$", name.lower()):
        name = f"{name} County"
    return f"{name}, {code}"
