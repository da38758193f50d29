"""Each report's own data as files a reader downloads from its page: a CSV of its Section II
releases (one row per released person) and an XLSX with a sheet per section.

Every download is written by ``write_report_downloads``, and only there: spreadsheet cells
that start with ``= + - @`` need neutralising before a reader opens them in Excel, and that
safeguard belongs in one place (the export writers), so this is the one call site to point at it.
"""

from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path

from monitor.tables import RELEASE_COLUMNS, release_rows
from parsers.models import DeclinedRow, IssuedRow, PolicyRow, Report

SECTION_SHEETS: tuple[tuple[str, type[IssuedRow] | type[DeclinedRow] | type[PolicyRow], str], ...] = (
    ("section_i_issued", IssuedRow, "issued"),
    ("section_ii_declined", DeclinedRow, "declined"),
    ("section_iii_policies", PolicyRow, "policies"),
)


def write_report_downloads(report: Report, directory: Path, stem: str) -> tuple[str, str]:
    """Write ``<stem>.csv`` and ``<stem>.xlsx`` into ``directory``; returns their file names."""
    from openpyxl import Workbook

    csv_name, xlsx_name = f"{stem}.csv", f"{stem}.xlsx"
    with open(directory / csv_name, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=RELEASE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(release_rows([report]))
    book = Workbook(write_only=True)  # streams rows: a quarter of the save time
    for sheet_name, record_type, attribute in SECTION_SHEETS:
        sheet = book.create_sheet(sheet_name)
        columns = list(record_type.__dataclass_fields__)
        sheet.append(columns)
        for row in getattr(report, attribute):
            values = asdict(row)
            sheet.append([values[column] for column in columns])
    book.save(directory / xlsx_name)
    return csv_name, xlsx_name
