"""County and state shapes from the vendored U.S. Census atlas, and the match from our
jurisdiction keys (``TX:travis``, ``MD:baltimore city``, ``CA:*``) to them. Pure apart from
reading the package's own data file.

The atlas (``data/counties-albers-10m.json``, see ``data/PROVENANCE.md``) is TopoJSON already
projected to a 975×610 Albers viewport, so drawing it is decoding arcs into SVG paths; no
projection maths and no geo library are needed.

Matching is by state and county name, the way the keys are made (``county_slug``): "Doña Ana"
is ``NM:dona ana``, "St. Louis" is ``MO:st louis``. Census codes independent cities as county
equivalents numbered 500 and up in their state; their names carry no "city" (both Baltimore
shapes are named "Baltimore"), so they key as ``MD:baltimore city``, and also by the bare name
when no county of that name exists in the state (``VA:alexandria``). A whole-state key matches
the state's shape, or its only county (the District of Columbia).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from parsers.jurisdictions import WHOLE_STATE, county_slug
from parsers.states import state_code

ATLAS_FILE = "counties-albers-10m.json"
# Drawing units per atlas pixel: coordinates are written as integers, a tenth of a pixel is
# fine enough for the smallest Virginia city and keeps the relative path numbers short.
UNITS_PER_PIXEL = 10
VIEWBOX_WIDTH, VIEWBOX_HEIGHT = 975 * UNITS_PER_PIXEL, 610 * UNITS_PER_PIXEL
# State FIPS codes whose county equivalents numbered 500+ are independent cities.
_INDEPENDENT_CITY_STATES = frozenset({"24", "29", "32", "51"})
# Alaska's county equivalents as a report may spell them ("Anchorage Municipality", "Juneau
# City and Borough" → "juneau city and" once "Borough" is dropped, "Bethel Census Area").
_ALASKA_SUFFIX = re.compile(r"\s+(municipality|census area|city and|city and borough)$")


@dataclass(frozen=True)
class CountyShape:
    fips: str  # five digits, state + county
    name: str  # as the Census prints it, e.g. "Travis", "Baltimore"
    state: str  # USPS code
    path: str  # SVG path data in drawing units

    @property
    def label(self) -> str:
        return f"{self.name}, {self.state}"


@dataclass(frozen=True)
class StateShape:
    fips: str
    name: str
    code: str
    path: str


@dataclass(frozen=True)
class Atlas:
    counties: tuple[CountyShape, ...]
    states: dict[str, StateShape]  # by USPS code
    county_keys: dict[str, str]  # jurisdiction key → county FIPS
    loose_keys: dict[str, str] = field(default_factory=dict)  # loose_key(key) → FIPS, when unambiguous


@dataclass(frozen=True)
class Matching:
    """Which shape each jurisdiction key is drawn on; ``unmatched`` keys are listed, never dropped."""

    counties: dict[str, str]  # key → county FIPS
    states: dict[str, str]  # key → state USPS code (a whole-state row)
    unmatched: tuple[str, ...]


# --- TopoJSON decoding ------------------------------------------------------------------------


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[int, int]]]:
    """Every arc as absolute points in drawing units (TopoJSON stores quantized deltas)."""
    (scale_x, scale_y), (shift_x, shift_y) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append(
                (
                    round((x * scale_x + shift_x) * UNITS_PER_PIXEL),
                    round((y * scale_y + shift_y) * UNITS_PER_PIXEL),
                )
            )
        arcs.append(points)
    return arcs


def ring_points(ring: Sequence[int], arcs: Sequence[Sequence[tuple[int, int]]]) -> list[tuple[int, int]]:
    """A ring's points from its arc indexes; ``~i`` (negative) is arc ``i`` reversed."""
    points: list[tuple[int, int]] = []
    for index in ring:
        arc = list(arcs[index]) if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc[1:] if points else arc)  # an arc starts where the previous one ended
    return points


def ring_path(points: Sequence[tuple[int, int]]) -> str:
    """``M x y`` then relative ``l`` steps, repeated points dropped: the shortest plain SVG."""
    if not points:
        return ""
    start_x, start_y = points[0]
    parts = [f"M{start_x} {start_y}l"]
    last_x, last_y = start_x, start_y
    steps = []
    for x, y in points[1:]:
        if (x, y) == (last_x, last_y):
            continue
        steps.append(f"{x - last_x} {y - last_y}")
        last_x, last_y = x, y
    if len(steps) < 2:
        return ""  # a ring smaller than a drawing unit: nothing to draw (and "M x yl z" is invalid)
    # A space before a minus sign is redundant in path data.
    parts.append(" ".join(steps).replace(" -", "-"))
    parts.append("z")
    return "".join(parts)


def geometry_path(geometry: dict[str, Any], arcs: Sequence[Sequence[tuple[int, int]]]) -> str:
    if geometry.get("type") == "Polygon":
        polygons = [geometry["arcs"]]
    elif geometry.get("type") == "MultiPolygon":
        polygons = geometry["arcs"]
    else:
        return ""
    rings = [ring_points(ring, arcs) for polygon in polygons for ring in polygon]
    path = "".join(ring_path(points) for points in rings)
    if not path and rings and rings[0]:
        # The whole county is smaller than a drawing unit once simplified (Lexington, VA):
        # keep a speck where it is, so every county still has its shape and its hover title.
        x, y = rings[0][0]
        path = f"M{x} {y}h3v3h-3z"
    return path


# --- keys ---------------------------------------------------------------------------------------


def is_independent_city(fips: str) -> bool:
    return fips[:2] in _INDEPENDENT_CITY_STATES and int(fips[2:]) >= 500


def city_key(state: str, name: str) -> str:
    slug = county_slug(name)
    return f"{state}:{slug}" if slug.endswith(" city") else f"{state}:{slug} city"


def county_keys(counties: Iterable[CountyShape]) -> dict[str, str]:
    """Jurisdiction key → FIPS for every county shape (see the module docstring for cities)."""
    counties = list(counties)
    keys: dict[str, str] = {}
    for county in counties:
        if not is_independent_city(county.fips):
            keys[f"{county.state}:{county_slug(county.name)}"] = county.fips
    for county in counties:
        if is_independent_city(county.fips):
            keys[city_key(county.state, county.name)] = county.fips
            # "Alexandria, VA" can only mean the city; "Richmond, VA" stays the county.
            keys.setdefault(f"{county.state}:{county_slug(county.name)}", county.fips)
    return keys


def loose_key(key: str) -> str:
    """A second chance for spellings the Census and a report disagree on: no spaces
    ("De Kalb" / "DeKalb", "La Salle" / "LaSalle") and no Alaskan suffix."""
    state, _, place = key.partition(":")
    return f"{state}:{_ALASKA_SUFFIX.sub('', place).replace(' ', '')}"


def loose_keys(keys: dict[str, str]) -> dict[str, str]:
    loose: dict[str, set[str]] = {}
    for key, fips in keys.items():
        loose.setdefault(loose_key(key), set()).add(fips)
    return {key: next(iter(found)) for key, found in loose.items() if len(found) == 1}


def match_keys(keys: Iterable[str], atlas: Atlas) -> Matching:
    """Each key's shape: a county, a whole state, or none (kept in ``unmatched``)."""
    counties: dict[str, str] = {}
    states: dict[str, str] = {}
    unmatched: list[str] = []
    counties_per_state: dict[str, list[str]] = {}
    for shape in atlas.counties:
        counties_per_state.setdefault(shape.state, []).append(shape.fips)
    for key in keys:
        state, _, place = key.partition(":")
        if key in atlas.county_keys:
            counties[key] = atlas.county_keys[key]
        elif place != WHOLE_STATE and loose_key(key) in atlas.loose_keys:
            counties[key] = atlas.loose_keys[loose_key(key)]
        elif place == WHOLE_STATE and len(counties_per_state.get(state, [])) == 1:
            counties[key] = counties_per_state[state][0]  # the District of Columbia is its one county
        elif place == WHOLE_STATE and state in atlas.states:
            states[key] = state
        else:
            unmatched.append(key)
    return Matching(counties, states, tuple(unmatched))


# --- loading ------------------------------------------------------------------------------------


def load_topology() -> dict[str, Any]:
    data = resources.files("monitor.site").joinpath("data", ATLAS_FILE).read_text(encoding="utf-8")
    topology: dict[str, Any] = json.loads(data)
    return topology


def atlas_from_topology(topology: dict[str, Any]) -> Atlas:
    arcs = decode_arcs(topology)
    states: dict[str, StateShape] = {}
    codes_by_fips: dict[str, str] = {}
    for geometry in topology["objects"]["states"]["geometries"]:
        name = geometry["properties"]["name"]
        code = state_code(name)
        if code is None:
            continue  # a territory we have no code for; its counties are skipped below too
        codes_by_fips[geometry["id"]] = code
        states[code] = StateShape(geometry["id"], name, code, geometry_path(geometry, arcs))
    counties = tuple(
        CountyShape(g["id"], g["properties"]["name"], codes_by_fips[g["id"][:2]], geometry_path(g, arcs))
        for g in topology["objects"]["counties"]["geometries"]
        if g["id"][:2] in codes_by_fips
    )
    keys = county_keys(counties)
    return Atlas(counties, states, keys, loose_keys(keys))


@lru_cache(maxsize=1)
def atlas() -> Atlas:
    """The vendored atlas, decoded once per process (a build draws it once per report)."""
    return atlas_from_topology(load_topology())
