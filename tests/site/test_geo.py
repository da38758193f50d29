"""Jurisdiction keys → Census shapes: counties, independent cities, whole states, and the
keys that match nothing (which the page lists instead of dropping)."""

from __future__ import annotations

import pytest

from monitor.site.geo import atlas, atlas_from_topology, match_keys, ring_path
from parsers.jurisdictions import jurisdiction_key


def key(county: str, state: str) -> str:
    """The key Section II's row would get (``Baltimore City`` + ``MD``)."""
    return jurisdiction_key(county, state)


@pytest.mark.parametrize(
    ("county", "state", "fips"),
    [
        ("Travis County", "TX", "48453"),
        ("Baltimore City", "MD", "24510"),  # the independent city...
        ("Baltimore County", "MD", "24005"),  # ...and the county of the same name
        ("St. Louis City", "MO", "29510"),
        ("Saint Louis County", "MO", "29189"),
        ("Fairfax City", "VA", "51600"),
        ("Fairfax County", "VA", "51059"),
        ("Manassas City", "VA", "51683"),
        ("Alexandria", "VA", "51510"),  # no Alexandria County: the bare name is the city
        ("Richmond", "VA", "51159"),  # a Richmond County exists: the bare name stays the county
        ("Richmond City", "VA", "51760"),
        ("Carson City", "NV", "32510"),
        ("Doña Ana County", "NM", "35013"),
        ("Orleans Parish", "LA", "22071"),
        ("District of Columbia", "DC", "11001"),  # keys as a whole "state", drawn as its one county
        ("De Kalb County", "IL", "17037"),  # the Census writes DeKalb
        ("Anchorage Municipality", "AK", "02020"),
        ("Juneau City and Borough", "AK", "02110"),
        ("Bethel Census Area", "AK", "02050"),
    ],
)
def test_rows_match_their_county_shape(county: str, state: str, fips: str) -> None:
    matching = match_keys([key(county, state)], atlas())
    assert matching.counties == {key(county, state): fips}
    assert matching.unmatched == ()


def test_a_whole_state_row_matches_the_state_shape() -> None:
    california = key("California", "CA")
    assert california == "CA:*"
    matching = match_keys([california], atlas())
    assert matching.states == {"CA:*": "CA"} and matching.counties == {}


def test_keys_with_no_shape_are_kept_as_unmatched_in_order() -> None:
    keys = ["NJ:middlesex cambridge", "TX:travis", "NY:new york city", "?:Nowhere"]
    matching = match_keys(keys, atlas())
    assert matching.unmatched == ("NJ:middlesex cambridge", "NY:new york city", "?:Nowhere")
    assert set(matching.counties) == {"TX:travis"}


def test_the_atlas_has_every_census_county_with_a_drawable_shape() -> None:
    shapes = atlas()
    assert len(shapes.counties) == 3142  # 50 states + DC in the 2017 cartographic boundaries
    assert len({c.fips for c in shapes.counties}) == len(shapes.counties)
    assert all(c.path.startswith("M") and c.path.endswith("z") for c in shapes.counties)
    assert len(shapes.states) == 51


def test_tiny_topology_decodes_to_relative_integer_paths() -> None:
    # One square county in one state, quantized with a 0.5-pixel step from (10, 20).
    topology = {
        "transform": {"scale": [0.5, 0.5], "translate": [10, 20]},
        "arcs": [[[0, 0], [4, 0], [0, 4], [-4, 0], [0, -4]]],
        "objects": {
            "states": {"geometries": [{"type": "Polygon", "arcs": [[0]], "id": "48", "properties": {"name": "Texas"}}]},
            "counties": {
                "geometries": [{"type": "Polygon", "arcs": [[0]], "id": "48453", "properties": {"name": "Travis"}}]
            },
        },
    }
    shapes = atlas_from_topology(topology)
    [travis] = shapes.counties
    assert (travis.state, travis.label) == ("TX", "Travis, TX")
    assert travis.path == "M100 200l20 0 0 20-20 0 0-20z"  # drawing units are tenths of a pixel
    assert shapes.county_keys == {"TX:travis": "48453"}


def test_a_ring_that_rounds_to_a_point_or_a_step_draws_nothing() -> None:
    # "M5 5lz" is invalid path data (Chromium logs an error for it), so such rings are skipped.
    assert ring_path([(5, 5), (5, 5), (5, 5)]) == ""
    assert ring_path([(5, 5), (6, 5)]) == ""
    assert ring_path([(5, 5), (6, 5), (6, 6), (5, 5)]) == "M5 5l1 0 0 1-1-1z"
