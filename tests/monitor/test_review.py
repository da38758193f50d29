"""``ddor diff`` and ``ddor replay``'s computations over stored reports (here: the bundled
reports as the parser reads them)."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.alerts import notable_changes
from monitor.diff import diff_reports
from monitor.review import changes_between, replay_alerts
from monitor.rules import Thresholds
from parsers.models import Report
from tests.conftest import REPORT_STEMS, expected

W1, W2, W3, Q = (Report.from_json(expected(stem)) for stem in REPORT_STEMS)


@dataclass(frozen=True)
class Stored:
    report: Report
    url: str

    @property
    def kind(self) -> str:
        return self.report.report.kind

    @property
    def period_start(self) -> str:
        return self.report.report.period_start

    @property
    def period_end(self) -> str:
        return self.report.report.period_end


def stored(report: Report) -> Stored:
    return Stored(report, f"https://www.ice.gov/doclib/ddor/{report.report.sha256[:8]}.pdf")


def test_changes_between_gives_the_notable_changes_most_important_first() -> None:
    changes = changes_between(W1, W2, Thresholds(), show_all=False)
    notable, total = notable_changes(W1, W2, Thresholds())
    assert changes == notable and 0 < len(changes) < total
    travis = [c for c in changes if c["key"] == "TX:travis" and c["kind"] == "declined"]
    assert [(c["old"], c["new"]) for c in travis] == [(142, 2)]


def test_changes_between_with_show_all_gives_every_change_unjudged() -> None:
    changes = changes_between(W1, W2, Thresholds(), show_all=True)
    every = diff_reports(W1, W2)
    assert len(changes) == len(every) > len(changes_between(W1, W2, Thresholds(), show_all=False))
    assert all(c["reason"] == "" for c in changes)
    assert [c["delta"] for c in changes] == [c.delta for c in every]


def test_replay_gives_each_report_the_alerts_of_its_place_in_its_series() -> None:
    good = [stored(r) for r in (W1, W2, W3, Q)]
    produced = replay_alerts(good, "2017-01-01", Thresholds(), 4)
    assert [p["kind"] for p in produced] == ["baseline", "digest", "digest", "baseline"]
    # Each digest compares with the report before it, not with the latest one stored.
    previous = [p["payload"]["previous"]["period_start"] for p in produced if p["kind"] == "digest"]
    assert previous == ["2017-01-28", "2017-02-04"]
    assert [p["key"] for p in produced][1] == f"{W2.report.sha256}:digest"


def test_replay_starts_at_the_date_but_compares_with_what_came_before_it() -> None:
    good = [stored(r) for r in (W1, W2, W3, Q)]
    produced = replay_alerts(good, "2017-02-04", Thresholds(), 4)
    assert [p["kind"] for p in produced] == ["digest", "digest", "baseline"]
    assert produced[0]["payload"]["previous"]["period_start"] == "2017-01-28"  # before the date, still its previous
    assert replay_alerts(good, "2030-01-01", Thresholds(), 4) == []


def test_replay_applies_the_rules_it_is_given() -> None:
    good = [stored(r) for r in (W1, W2)]
    loose = Thresholds(min_abs_change=500, watch=("MD:baltimore city",))
    [digest] = replay_alerts(good, "2017-02-01", loose, 4)
    declined = [c["key"] for c in digest["payload"]["changes"] if c["kind"] == "declined"]
    assert "TX:travis" not in declined and "MD:baltimore city" in declined
