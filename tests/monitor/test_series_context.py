"""A report's place in its series, as units (monitor/alerts.py, monitor/rules.py): the periods
missing between two reports, the silence alert, and the trailing-mean baseline that decides
whether a count's change is news. tests/monitor/test_cycle.py covers the same over whole
cycles on the mirror."""

from __future__ import annotations

import hashlib

import pytest

from monitor import alerts as build
from monitor.diff import Change
from monitor.rules import Thresholds, why_notable
from parsers.models import IssuedRow, Report, ReportMeta

# --- missing periods --------------------------------------------------------------------


def test_consecutive_weeks_miss_nothing() -> None:
    assert build.missing_periods("2017-02-03", "2017-02-04", "weekly") == ()


def test_one_missing_week_is_named() -> None:
    assert build.missing_periods("2017-02-03", "2017-02-11", "weekly") == (("2017-02-04", "2017-02-10"),)


def test_each_missing_week_is_named_on_its_own() -> None:
    gaps = build.missing_periods("2017-02-03", "2017-02-18", "weekly")
    assert gaps == (("2017-02-04", "2017-02-10"), ("2017-02-11", "2017-02-17"))


def test_a_gap_that_is_not_whole_weeks_ends_the_day_before_the_new_report() -> None:
    gaps = build.missing_periods("2017-02-03", "2017-02-14", "weekly")
    assert gaps == (("2017-02-04", "2017-02-10"), ("2017-02-11", "2017-02-13"))


def test_a_quarterly_gap_is_one_period() -> None:
    gaps = build.missing_periods("2017-12-31", "2018-07-01", "quarterly")
    assert gaps == (("2018-01-01", "2018-06-30"),)


@pytest.mark.parametrize("new_start", ["2017-02-01", "2017-02-03"])
def test_overlapping_reports_miss_nothing(new_start: str) -> None:
    assert build.missing_periods("2017-02-03", new_start, "weekly") == ()


# --- silence ----------------------------------------------------------------------------


def test_the_silence_alert_is_keyed_by_series_and_last_period_so_it_is_sent_once() -> None:
    first = build.silence_alert("2017-02-17", 30, "weekly")
    later = build.silence_alert("2017-02-17", 45, "weekly")
    assert first.key == later.key == "silence:weekly:2017-02-17"
    assert (first.kind, first.audience) == ("silence", "content")
    assert first.payload == {"kind": "silence", "series": "weekly", "last_period_end": "2017-02-17", "days": 30}
    assert build.silence_alert("2018-03-31", 300, "quarterly").key != first.key


# --- the trailing-mean baseline ---------------------------------------------------------


def weekly(week: int, travis: int, harris: int = 50) -> Report:
    """A weekly report ``week`` weeks after Jan 28, 2017 with two counties' issued counts."""
    start = dt_add("2017-01-28", 7 * week)
    meta = ReportMeta("weekly", "Weekly", start, dt_add(start, 6), 1, travis + harris, sha(f"{week}:{travis}:{harris}"))
    issued = (IssuedRow("Travis", "TX", travis, 2), IssuedRow("Harris", "TX", harris, 2))
    return Report(meta, issued, (), ())


def dt_add(day: str, days: int) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_history_holds_the_last_k_values_of_each_series_oldest_first() -> None:
    reports = [weekly(0, 10, 40), weekly(1, 11, 41), weekly(2, 12, 42), weekly(3, 13, 43)]
    assert build.history_by_key(reports, 2) == {"issued:TX:travis": [12, 13], "issued:TX:harris": [42, 43]}
    assert build.history_by_key(reports, 10)["issued:TX:travis"] == [10, 11, 12, 13]
    assert build.history_by_key([], 4) == {}


def change(old: int, new: int) -> Change:
    return Change("issued", "TX:travis", "Travis County, TX", old, new)


def test_without_history_the_previous_value_is_the_baseline() -> None:
    assert why_notable(change(10, 20), Thresholds()) == "significant"  # P ≈ 0.003 from a mean of 10
    assert why_notable(change(20, 30), Thresholds()) is None  # P ≈ 0.02 from a mean of 20


def test_a_jump_back_to_the_usual_level_is_not_news() -> None:
    # 10 → 20 looks significant against last week alone, not against a mean of 17.5.
    assert why_notable(change(10, 20), Thresholds(), [18, 20, 22, 10]) is None


def test_a_rise_far_above_a_low_trailing_mean_is_news() -> None:
    # 20 → 30 is within chance of 20, not of the trailing mean 12.5.
    assert why_notable(change(20, 30), Thresholds(), [10, 10, 10, 20]) == "significant"


def test_the_trailing_mean_never_overrides_the_size_thresholds() -> None:
    # Tiny against any baseline: the floor and the absolute and relative minimums still apply.
    assert why_notable(change(1, 2), Thresholds(), [0, 0, 0, 1]) is None
    assert why_notable(change(100, 104), Thresholds(), [1, 1, 1, 100]) is None
    assert why_notable(change(100, 140), Thresholds(), [1, 1, 1, 100]) is None


def test_trailing_reports_sets_how_many_earlier_reports_make_the_baseline() -> None:
    """Through the digest builder: the same report is news against a low four-week mean and
    not against last week alone (``alerts.trailing_reports``)."""
    series = [(weekly(week, count), f"https://example.test/r{week}.pdf") for week, count in enumerate([10, 10, 10, 20])]
    new = weekly(4, 30)

    def notable_keys(trailing: int) -> list[str]:
        [digest] = build.alerts_for_new_report(new, "https://example.test/r4.pdf", series, Thresholds(), trailing)
        assert digest.kind == "digest"
        return [c["key"] for c in digest.payload["changes"]]

    assert notable_keys(4) == ["TX:travis"]
    assert notable_keys(1) == []


def test_only_earlier_reports_of_the_series_make_the_baseline() -> None:
    """A report that arrives late is compared with the reports before its period, not after."""
    earlier = [(weekly(week, 10), f"r{week}") for week in range(3)]
    later = [(weekly(5, 30), "r5")]
    [digest] = build.alerts_for_new_report(weekly(3, 20), "r3", earlier + later, Thresholds(), 4)
    assert [c["key"] for c in digest.payload["changes"]] == ["TX:travis"]
    assert digest.payload["out_of_order"] is True
    assert digest.payload["previous"]["period_start"] == "2017-02-11"


def test_the_first_report_of_a_series_is_its_baseline() -> None:
    [alert] = build.alerts_for_new_report(weekly(0, 10), "r0", [], Thresholds(), 4)
    assert alert.kind == "baseline"
