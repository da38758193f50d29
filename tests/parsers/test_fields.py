"""Field parsers and self-validation, table-tested."""

from __future__ import annotations

import pytest

from parsers.ddor import parse_date, parse_period, split_activity, validate
from parsers.models import DeclinedRow, IssuedRow


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("For Recorded Declined Detainers Jan. 28 – Feb. 3, 2017", ("2017-01-28", "2017-02-03")),
        ("For Recorded Declined Detainers Feb 4 – Feb 10, 2017", ("2017-02-04", "2017-02-10")),
        ("For Recorded Declined Detainers Feb 4 Feb 10, 2017", ("2017-02-04", "2017-02-10")),  # dash dropped
        ("Feb 11 - Feb 17, 2017", ("2017-02-11", "2017-02-17")),
        ("January 1, 2018 – March 31, 2018", ("2018-01-01", "2018-03-31")),
        ("between January 28, 2017, and February 3, 2017", ("2017-01-28", "2017-02-03")),
        ("Dec 30 – Jan 5, 2018", ("2017-12-30", "2018-01-05")),
        ("Sept. 2 – Sept. 8, 2017", ("2017-09-02", "2017-09-08")),
        ("For Recorded Declined Detainers 1/28/2017 - 2/3/2017", ("2017-01-28", "2017-02-03")),
        ("2018-01-01 through 2018-03-31", ("2018-01-01", "2018-03-31")),
        ("no dates here", None),
        ("Feb 30 – Mar 3, 2017", None),
    ],
)
def test_periods(text: str, period: tuple[str, str] | None) -> None:
    assert parse_period(text) == period


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2/1/2017", "2017-02-01"),
        ("12/24/2016", "2016-12-24"),
        ("2017-02-01", "2017-02-01"),
        ("Feb. 1, 2017", "2017-02-01"),
        ("2/30/2017", None),
        ("", None),
        ("1/2/17", "2017-01-02"),
    ],
)
def test_dates(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    ("text", "offence", "status"),
    [
        ("Arson (Convicted)", "Arson", "convicted"),
        ("Sexual Assault – Carnal Abuse (Charged)", "Sexual Assault – Carnal Abuse", "charged"),
        (
            "Obstruct Judiciary, Congress, Legislature, Etc. (Convicted)",
            "Obstruct Judiciary, Congress, Legislature, Etc.",
            "convicted",
        ),
        ("Assault - Charged", "Assault", "charged"),
        ("Liquor", "Liquor", None),
    ],
)
def test_activity_marker(text: str, offence: str, status: str | None) -> None:
    assert split_activity(text) == (offence, status)


def _declined(declined: str | None) -> DeclinedRow:
    return DeclinedRow(
        "TX", "Travis County", "Travis County Jail", "Mexico", "Arson", "charged", "2016-01-01", declined, 3
    )


def test_validation_passes_consistent_rows() -> None:
    issued = [IssuedRow("Clark", "NV", 100, 2), IssuedRow("Cook", "IL", 57, 2)]
    assert (
        validate(issued, [_declined("2017-02-01")], ("2017-01-28", "2017-02-03"), {"top_total": 157, "top_rows": 2})
        == []
    )


def test_validation_names_each_inconsistency() -> None:
    issued = [IssuedRow("Clark", "NV", 100, 2)]
    problems = validate(
        issued,
        [_declined("2017-03-01"), _declined(None)],
        ("2017-01-28", "2017-02-03"),
        {"top_total": 157, "top_rows": 10},
    )
    assert problems[0] == "Section I rows sum to 100, the text states 157"
    assert problems[1] == "Section I has 1 rows, the text states 10"
    assert problems[2].startswith(
        "Section II: 2 declined date(s) missing or outside 2017-01-28..2017-02-03 (first on p.3"
    )
