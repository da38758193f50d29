"""A report's place in its series: what it is compared with, and what its series held."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.series import earlier_in_series, previous_in_series, series_before


@dataclass(frozen=True)
class Listed:
    name: str
    kind: str
    period_start: str
    period_end: str


W1 = Listed("w1", "weekly", "2017-01-28", "2017-02-03")
W2 = Listed("w2", "weekly", "2017-02-04", "2017-02-10")
W3 = Listed("w3", "weekly", "2017-02-11", "2017-02-17")
Q1 = Listed("q1", "quarterly", "2017-01-01", "2017-03-31")


def names(reports: list[Listed]) -> list[str]:
    return [r.name for r in reports]


def test_the_previous_report_is_the_latest_of_its_kind_that_ended_before_it_started() -> None:
    assert previous_in_series([W1, W2, W3, Q1], W3) == W2
    assert previous_in_series([W3, Q1, W2, W1], W2) == W1  # the listing order does not matter


def test_the_first_report_of_a_kind_has_no_previous_one() -> None:
    assert previous_in_series([W1, W2, Q1], W1) is None
    assert previous_in_series([W1, W2, W3, Q1], Q1) is None  # weekly reports are another series


def test_a_report_that_overlaps_is_not_the_previous_one() -> None:
    overlapping = Listed("w2-long", "weekly", "2017-02-04", "2017-02-12")
    assert previous_in_series([W1, overlapping, W3], W3) == W1


def test_of_two_earlier_reports_with_the_same_start_the_one_listed_last_wins() -> None:
    first = Listed("a", "weekly", "2017-01-28", "2017-02-03")
    second = Listed("b", "weekly", "2017-01-28", "2017-02-02")
    assert previous_in_series([first, second, W2], W2) == second
    assert previous_in_series([second, first, W2], W2) == first


def test_earlier_in_series_is_oldest_first_and_never_the_report_itself() -> None:
    assert names(earlier_in_series([W3, Q1, W2, W1], W3)) == ["w1", "w2"]
    assert names(earlier_in_series([W1, W2, W3], W1)) == []


def test_the_series_before_a_report_keeps_an_overlapping_earlier_start() -> None:
    overlapping = Listed("w2-long", "weekly", "2017-02-04", "2017-02-12")
    assert names(series_before([W3, overlapping, W1, Q1], W3)) == ["w1", "w2-long"]
    assert names(earlier_in_series([W3, overlapping, W1, Q1], W3)) == ["w1"]


def test_the_series_before_a_report_holds_neither_it_nor_later_ones() -> None:
    assert names(series_before([W1, W2, W3, Q1], W2)) == ["w1"]
    assert names(series_before([W1, W2, W3, Q1], Q1)) == []
