"""One canonical key per (county, state), however a section spells it."""

from __future__ import annotations

import pytest

from parsers.jurisdictions import display_name, jurisdiction_key, split_county_state
from parsers.states import state_code

SAME_KEY = [
    # (county as printed, state as printed, bare Section I county?)
    [("Clark", "Nevada", True), ("Clark County", "NV", False), ("Clark County, Nevada", "Nevada", False)],
    [
        ("Prince George's", "Maryland", True),
        ("Prince George’s County", "MD", False),
        ("Prince Georges County", "Md.", False),
    ],
    [("New York", "New York", True), ("New York County", "NY", False)],
    [("St. Lawrence", "New York", True), ("Saint Lawrence County", "NY", False)],
    [("Miami-Dade County", "FL", False), ("Miami Dade", "Florida", True)],
]


@pytest.mark.parametrize("spellings", SAME_KEY)
def test_spellings_share_one_key(spellings: list[tuple[str, str, bool]]) -> None:
    keys = {jurisdiction_key(county, state, bare) for county, state, bare in spellings}
    assert len(keys) == 1, keys


def test_franklin_counties_stay_distinct_by_state() -> None:
    keys = {jurisdiction_key("Franklin County", state) for state in ("IA", "NY", "PA", "WA")}
    assert keys == {"IA:franklin", "NY:franklin", "PA:franklin", "WA:franklin"}


@pytest.mark.parametrize(
    ("county", "key"),
    [
        ("Baltimore City", "MD:baltimore city"),
        ("Baltimore County", "MD:baltimore"),
        ("Fairfax City", "VA:fairfax city"),
    ],
)
def test_city_and_county_of_one_name_differ(county: str, key: str) -> None:
    state = "MD" if "Baltimore" in county else "VA"
    assert jurisdiction_key(county, state) == key


def test_whole_state_policy_rows_key_as_the_state() -> None:
    assert jurisdiction_key("California", "CA") == "CA:*"
    assert jurisdiction_key("New York", "New York", bare_county=True) == "NY:new york"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("NV", "NV"),
        ("Nevada", "NV"),
        ("Nev.", "NV"),
        ("nevada", "NV"),
        ("District of Columbia", "DC"),
        ("Mass", "MA"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_state_codes(text: str, code: str | None) -> None:
    assert state_code(text) == code


def test_unknown_state_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown state"):
        jurisdiction_key("Clark County", "Atlantis")


def test_split_and_display() -> None:
    assert split_county_state("Clark County, Nevada") == ("Clark County", "NV")
    assert split_county_state("Chester Cnty Jail, Pa") == ("Chester Cnty Jail", "PA")
    assert split_county_state("Berkley") == ("Berkley", None)
    assert display_name("Clark", "NV", bare_county=True) == "Clark County, NV"
    assert display_name("California", "CA") == "California"
