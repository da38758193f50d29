"""What a corpus variant prints, apart from how it is drawn: a report's ground truth turned
into headings, prose and tables in one *layout*'s wording, column order, date and state style.

Every table cell carries the row's id (``issued/3``) so a renderer can wrap it in a link; the
link annotations in the rendered PDF say on which page each row starts (``readback.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parsers.states import STATE_NAMES

EXPECTED = Path(__file__).resolve().parents[2] / "ddor" / "demo_site" / "expected"
STEMS = ("ddor2017_01-28to02-03", "ddor2017_02-04to02-10", "ddor2017_02-11to02-17", "ddor-fy18-q2")
ROW_LINK = "https://row.invalid/"
NUMBER_WORDS = dict(enumerate("zero one two three four five six seven eight nine ten eleven twelve".split()))


@dataclass(frozen=True)
class Layout:
    """One way to dress a report. ``varies`` says, for the results table, what it tests."""

    name: str
    report: str
    varies: str
    family: str = "serif"  # serif | sans | mono
    size: float = 9.0
    page: str = "letter"  # letter | legal | a4
    landscape: bool = False
    rules: str = "grid"  # grid | none | horizontal (a rule under the header only)
    zebra: bool = False  # filled rectangles behind every other row
    header_bold: bool = True
    header_shade: bool = False
    repeat_header: bool = True
    header_wrap: bool = False  # header cells broken over two or three lines
    wording: str = "mirror"  # mirror | alt | terse: other spellings of the same columns
    column_order: str = "mirror"  # mirror | reversed | shuffled
    valign: str = "TOP"  # TOP | MIDDLE | BOTTOM
    footer: str = "page"  # page ("Page 3") | page-of ("Page 3 of 35") | bare ("3") | none
    dates: str = "plain"  # plain (2/3/2017) | padded (02/03/2017)
    states: str = "codes"  # codes | names, in Sections II and III
    title_wrap: bool = False
    contents: str = "none"  # none | bullets | plain: a list of the sections on page 1
    split_rows: bool = False  # a row may break across a page
    padding: float = 3.0
    leading: float = 1.2  # line pitch in a cell, times the font size


HEADERS: dict[str, dict[str, list[str]]] = {
    "issued": {
        "mirror": ["County, State", "Issued Detainers"],
        "alt": ["Jurisdiction", "Number of Detainers Issued"],
        "terse": ["County/State", "Detainers"],
    },
    "declined": {
        "mirror": [
            "State",
            "County",
            "Facility",
            "Citizenship",
            "Notable Criminal Activity",
            "Detainer Issued",
            "Detainer Declined",
        ],
        "alt": [
            "State",
            "County/Jurisdiction",
            "Facility",
            "Country of Citizenship",
            "Notable Criminal Activity",
            "Detainer Issued Date",
            "Detainer Declined Date",
        ],
        "terse": ["St.", "County", "Detention Facility", "Nationality", "Offense", "Date Issued", "Date Declined"],
    },
    "policies": {
        "mirror": ["State", "Jurisdiction", "Policy", "Criteria for Honoring Detainer", "Date Enacted"],
        "alt": ["State", "Location", "Policy or Ordinance", "Conditions for Honoring Detainers", "Date of Enactment"],
        "terse": ["State", "County/City", "Policy", "Criteria", "Enacted"],
    },
}
# Where a header cell breaks when ``header_wrap`` is on (the rest wrap only if too wide).
WRAPPED = {
    "Date Enacted": "Date\nEnacted",
    "Country of Citizenship": "Country of\nCitizenship",
    "Criteria for Honoring Detainer": "Criteria for\nHonoring\nDetainer",
    "Notable Criminal Activity": "Notable\nCriminal\nActivity",
    "Detainer Issued": "Detainer\nIssued",
    "Detainer Declined": "Detainer\nDeclined",
    "Issued Detainers": "Issued\nDetainers",
    "Date Issued": "Date\nIssued",
    "Date Declined": "Date\nDeclined",
    "Date of Enactment": "Date of\nEnactment",
    "Conditions for Honoring Detainers": "Conditions for\nHonoring\nDetainers",
    "Number of Detainers Issued": "Number of\nDetainers\nIssued",
}
# Relative column widths, in the mirror's column order.
FRACTIONS = {
    "issued": [0.6, 0.3],
    "declined": [0.08, 0.14, 0.15, 0.16, 0.21, 0.13, 0.13],
    "policies": [0.14, 0.16, 0.2, 0.38, 0.12],
}
ORDERS = {
    "reversed": {"issued": [1, 0], "declined": [6, 5, 4, 3, 2, 1, 0], "policies": [4, 3, 2, 1, 0]},
    "shuffled": {"issued": [1, 0], "declined": [1, 0, 3, 2, 4, 6, 5], "policies": [1, 0, 4, 2, 3]},
}


@dataclass
class TableModel:
    key: str
    header: list[str]
    rows: list[list[str]]
    fractions: list[float]
    row_ids: list[str] = field(default_factory=list)


@dataclass
class SectionModel:
    heading: str
    paragraphs: list[str]
    table: TableModel | None


@dataclass
class DocModel:
    kicker: str
    title_lines: list[str]
    period_line: str
    summary: list[str]
    contents: list[str]
    sections: list[SectionModel]


def expected(stem: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXPECTED / f"{stem}.json").read_text())
    return data


def _date(iso: str | None, style: str) -> str:
    if iso is None:
        return ""
    day = dt.date.fromisoformat(iso)
    if style == "padded":
        return f"{day.month:02d}/{day.day:02d}/{day.year}"
    return f"{day.month}/{day.day}/{day.year}"


def _state(code: str, style: str) -> str:
    return STATE_NAMES[code] if style == "names" else code


def _status(row: dict[str, Any]) -> str:
    status = row["conviction_status"]
    return f"{row['criminal_activity']} ({status.title()})" if status else row["criminal_activity"]


def _table(key: str, layout: Layout, cells: list[list[str]]) -> TableModel:
    header = [WRAPPED.get(text, text) if layout.header_wrap else text for text in HEADERS[key][layout.wording]]
    order = ORDERS.get(layout.column_order, {}).get(key, list(range(len(header))))
    return TableModel(
        key,
        [header[i] for i in order],
        [[row[i] for i in order] for row in cells],
        [FRACTIONS[key][i] for i in order],
        [f"{key}/{n}" for n in range(len(cells))],
    )


def build(truth: dict[str, Any], layout: Layout) -> DocModel:
    meta = truth["report"]
    a, b = dt.date.fromisoformat(meta["period_start"]), dt.date.fromisoformat(meta["period_end"])
    between = f"{a:%B} {a.day}, {a.year} and {b:%B} {b.day}, {b.year}"
    title = meta["title"]
    words = title.split()
    title_lines = [" ".join(words[:-2]), " ".join(words[-2:])] if layout.title_wrap else [title]
    total = sum(r["issued_detainers"] for r in truth["issued"])
    issued = _table(
        "issued",
        layout,
        [[f"{r['county']}, {STATE_NAMES[r['state']]}", f"{r['issued_detainers']:,}"] for r in truth["issued"]],
    )
    declined = _table(
        "declined",
        layout,
        [
            [
                _state(r["state"], layout.states),
                r["county"],
                r["facility"],
                r["citizenship"],
                _status(r),
                _date(r["detainer_issued"], layout.dates),
                _date(r["detainer_declined"], layout.dates),
            ]
            for r in truth["declined"]
        ],
    )
    policies = _table(
        "policies",
        layout,
        [
            [_state(r["state"], layout.states), r["jurisdiction"], r["policy"], r["criteria"], r["date_enacted"]]
            for r in truth["policies"]
        ],
    )
    headings = [
        f"Section I: Highest Volume of Detainers Issued between {between} to Jurisdictions which Restrict "
        "Cooperation with ICE",
        f"Section II: Jurisdictions with Recorded Declined Detainers between {between}",
        "Section III: Table of Jurisdictions that have Enacted Policies which Limit Cooperation with ICE",
        "Section IV: Report Scope and Data Fidelity",
    ]
    return DocModel(
        kicker="ENFORCEMENT AND REMOVAL OPERATIONS",
        title_lines=title_lines,
        period_line=f"For Recorded Declined Detainers {a:%b} {a.day} – {b:%b} {b.day}, {b.year}",
        summary=[
            "ICE is making available for public release the non-Federal jurisdictions that do not honor "
            f"detainers, based on detainers recorded as declined between {between}.",
            "This report is comprised of four sections:",
        ],
        contents=headings if layout.contents != "none" else [],
        sections=[
            SectionModel(
                headings[0],
                [
                    f"During the reporting period, {between}, ICE issued {meta['detainers_issued']:,} detainers "
                    "throughout the United States. The following table reflects the jurisdictions with the highest "
                    f"volume of detainers issued ({total:,} to these {NUMBER_WORDS.get(len(truth['issued']), 'ten')} "
                    "jurisdictions during the reporting period)."
                ],
                issued,
            ),
            SectionModel(headings[1], [], declined),
            SectionModel(headings[2], [], policies),
            SectionModel(
                headings[3],
                ["Law enforcement agencies do not generally advise ICE of when a detainer is not honored."],
                None,
            ),
        ],
    )
