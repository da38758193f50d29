"""Spreadsheets safe to open: text that Excel would run as a formula is neutralised with a
leading ``'`` in CSV and XLSX, XLSX text is never a formula cell, numbers stay numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from monitor.export import FORMULA_TRIGGERS, neutralise, write_csv, write_xlsx

HOSTILE = '=HYPERLINK("http://x.io","y")'
COLUMNS = ["facility", "count", "share", "flag", "missing"]


def _read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _read_xlsx(path: Path, sheet: str) -> list[list[Any]]:
    book = load_workbook(path)
    return [[cell.value for cell in row] for row in book[sheet].iter_rows()]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", HOSTILE])
def test_text_that_starts_a_formula_gets_a_quote(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Travis County", "2017-01-28", "1=1", " =1", "", "'=1", 5, -3, 0.25, True, None])
def test_everything_else_is_unchanged(value: Any) -> None:
    assert neutralise(value) == value


def test_csv_neutralises_text_and_keeps_numbers() -> None:
    stream = io.StringIO()
    write_csv([{"facility": HOSTILE, "count": -3, "share": 0.5, "flag": True}], COLUMNS, stream)
    [row] = _read_csv(stream.getvalue())
    assert row == {"facility": "'" + HOSTILE, "count": "-3", "share": "0.5", "flag": "True", "missing": ""}


def test_xlsx_stores_text_as_text_and_numbers_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    rows = [{"facility": HOSTILE, "count": -3, "share": 0.5, "flag": True}, {"facility": "-", "count": 7}]
    write_xlsx({"releases": (COLUMNS, rows)}, path)
    book = load_workbook(path)
    sheet = book["releases"]
    assert [c.value for c in sheet[1]] == COLUMNS
    assert [c.value for c in sheet[2]] == ["'" + HOSTILE, -3, 0.5, True, None]
    assert [c.data_type for c in sheet[2][:4]] == ["s", "n", "n", "b"]
    assert [c.value for c in sheet[3][:2]] == ["'-", 7]
    with zipfile.ZipFile(path) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_xlsx_replaces_characters_xml_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_xlsx({"t": (["facility"], [{"facility": "a\x00b\x1fc"}])}, path)
    assert _read_xlsx(path, "t")[1] == ["a\ufffdb\ufffdc"]


# Text a file can carry: no lone surrogates (not UTF-8); for XLSX, nothing XML 1.0 forbids.
csv_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
xml_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or ord(c) >= 0x20
    ),
    max_size=40,
)


def _starting_a_formula(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda lead, rest: lead + rest, st.sampled_from(FORMULA_TRIGGERS), text)


def _as_written(text: str) -> str:
    """What the reader must see: the text, behind a quote exactly when it starts a formula."""
    return "'" + text if text[:1] and text[0] in FORMULA_TRIGGERS else text


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(csv_text, _starting_a_formula(csv_text)), min_size=1, max_size=5))
def test_csv_round_trip_gives_the_same_text_and_no_formula(texts: list[str]) -> None:
    columns = [f"c{i}" for i in range(len(texts))]
    stream = io.StringIO(newline="")
    write_csv([dict(zip(columns, texts, strict=True))], columns, stream)
    [row] = _read_csv(stream.getvalue())
    assert [row[c] for c in columns] == [_as_written(t) for t in texts]
    assert not any(row[c].startswith(FORMULA_TRIGGERS) for c in columns)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(xml_text, _starting_a_formula(xml_text)), min_size=1, max_size=5))
def test_xlsx_round_trip_gives_the_same_text_and_no_formula(tmp_path: Path, texts: list[str]) -> None:
    columns = [f"c{i}" for i in range(len(texts))]
    path = tmp_path / "round.xlsx"
    write_xlsx({"s": (columns, [dict(zip(columns, texts, strict=True))])}, path)
    book = load_workbook(path)
    cells = list(book["s"].iter_rows(min_row=2))[0]
    # openpyxl reads an empty string back as an empty cell.
    assert [c.value if c.value is not None else "" for c in cells] == [_as_written(t) for t in texts]
    assert all(c.data_type == "s" for c, t in zip(cells, texts, strict=True) if t)
