"""The geometry layer on hand-made words: header columns found by meaning, and rows that a
page break cut before their anchor."""

from __future__ import annotations

from parsers.ddor import DECLINED_TABLE, POLICY_TABLE
from parsers.pdftext import Word
from parsers.tables import Line, build_rows, label_header, split_line

SIZE = 9.0


def _line(y: float, *cells: tuple[float, str], page: int = 1) -> Line:
    """A line from (x, text) pairs; each word is 5 pt per character wide, one space apart."""
    words = []
    for x, text in cells:
        for token in text.split():
            words.append(Word(token, x, x + 5 * len(token), y, SIZE))
            x += 5 * len(token) + 2.5
    return Line(page, y, tuple(words))


def test_tight_header_is_cut_into_columns_by_meaning() -> None:
    """Gutters no wider than a word space: spacing alone merged "Citizenship Notable"."""
    band = [
        _line(
            700,
            (10, "State"),
            (40, "County"),
            (77, "Facility"),
            (120, "Citizenship"),
            (178, "Notable Criminal"),
            (262, "Detainer"),
            (305, "Detainer"),
        ),
        _line(690, (178, "Activity"), (262, "Issued"), (305, "Declined")),
    ]
    found = label_header(band, DECLINED_TABLE.columns, DECLINED_TABLE.extra_vocabulary)
    assert found is not None
    groups, names = found
    assert names == ["state", "county", "facility", "citizenship", "activity", "issued", "declined"]
    assert [g.text for g in groups][4] == "Notable Criminal Activity"


def test_columns_in_another_order_are_named_where_they_are() -> None:
    band = [
        _line(700, (10, "Date"), (60, "Criteria for"), (200, "State"), (260, "Policy"), (330, "Jurisdiction")),
        _line(690, (10, "Enacted"), (60, "Honoring Detainer")),
    ]
    found = label_header(band, POLICY_TABLE.columns, POLICY_TABLE.extra_vocabulary)
    assert found is not None
    assert found[1] == ["enacted", "criteria", "state", "policy", "jurisdiction"]


def test_header_missing_a_column_is_not_a_header() -> None:
    band = [_line(700, (10, "State"), (60, "Jurisdiction"), (160, "Policy"), (260, "Date Enacted"))]
    assert label_header(band, POLICY_TABLE.columns, POLICY_TABLE.extra_vocabulary) is None


def test_row_cut_by_a_page_break_before_its_anchor_starts_on_the_first_page() -> None:
    """Page 1 ends with row A (anchor "X") and, after a wide gap, the top of row B's long
    cell; row B's anchor is on page 2. Row B starts on page 1 and owns both pieces."""
    boundaries = [50.0]
    page_one = [
        _line(700, (10, "long"), (60, "X")),
        _line(690, (10, "text")),
        _line(660, (10, "B-first")),
        _line(650, (10, "B-second")),
    ]
    page_two = [
        _line(700, (10, "B-third"), page=2),
        _line(690, (10, "B-fourth"), (60, "Y"), page=2),
    ]
    rows, orphans = build_rows(
        [(page_one, boundaries, None), (page_two, boundaries, None)],
        is_anchor=lambda cells: bool(cells[1]),
        continues=lambda cells: not cells[0],
        anchor_column=1,
    )
    assert orphans == []
    assert [(row.page, row.cell(0), row.cell(1)) for row in rows] == [
        (1, "long text", "X"),
        (1, "B-first B-second B-third B-fourth", "Y"),
    ]


def test_row_lines_one_leading_apart_stay_with_the_last_row_of_the_page() -> None:
    boundaries = [50.0]
    page_one = [_line(700, (10, "a"), (60, "X")), _line(690, (10, "b")), _line(680, (10, "c"))]
    page_two = [_line(700, (10, "d"), (60, "Y"), page=2)]
    rows, _ = build_rows(
        [(page_one, boundaries, None), (page_two, boundaries, None)],
        is_anchor=lambda cells: bool(cells[1]),
        continues=lambda cells: not cells[0],
        anchor_column=1,
    )
    assert [row.cell(0) for row in rows] == ["a b c", "d"]
    assert split_line(page_one[0], boundaries)[1][0].text == "X"
