"""``ddor export``'s tables: which rows and columns each names, and how one is written."""

from __future__ import annotations

import csv
import io
import json

from monitor import tables
from monitor.export import TABLES, export_sheets, export_table, write_table
from parsers.models import Report
from tests.conftest import REPORT_STEMS, expected

REPORTS = [Report.from_json(expected(stem)) for stem in REPORT_STEMS]
HOSTILE = '=HYPERLINK("http://x.io","y")'


def test_each_table_has_its_own_columns_and_rows() -> None:
    columns, rows = export_table(REPORTS, "releases")
    assert columns == tables.RELEASE_COLUMNS and len(rows) == 206 + 47 + 65 + 420
    columns, rows = export_table(REPORTS, "series")
    assert columns == tables.SERIES_COLUMNS and rows == tables.series_rows(REPORTS)
    columns, rows = export_table(REPORTS, "policies")
    assert columns == tables.POLICY_COLUMNS
    [maricopa] = [p for p in rows if p["jurisdiction_key"] == "AZ:maricopa"]
    assert maricopa["first_seen"] == "2017-02-11"


def test_the_workbook_holds_every_table_a_sheet_each() -> None:
    sheets = export_sheets(REPORTS[:1])
    assert tuple(sheets) == TABLES == ("releases", "series", "policies")
    assert {name: len(rows) for name, (_, rows) in sheets.items()}["releases"] == 206
    assert all(sheets[name] == export_table(REPORTS[:1], name) for name in TABLES)


def test_write_table_as_json_keeps_text_verbatim_and_as_csv_neutralises_it() -> None:
    rows = [{"facility": HOSTILE, "count": 3}]
    as_json, as_csv = io.StringIO(), io.StringIO()
    write_table(rows, ["facility", "count"], "json", as_json)
    write_table(rows, ["facility", "count"], "csv", as_csv)
    assert json.loads(as_json.getvalue()) == rows and as_json.getvalue().endswith("\n")
    assert list(csv.DictReader(io.StringIO(as_csv.getvalue()))) == [{"facility": "'" + HOSTILE, "count": "3"}]
