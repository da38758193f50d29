"""Each report's own data as files a reader downloads from its page: a CSV of its Section II
releases (one row per released person) and an XLSX with a sheet per section.

Written through the formula-safe export writers (``monitor/export.py``): a cell that starts
with ``= + - @`` is neutralised before a reader opens it in Excel.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from monitor.export import write_csv, write_xlsx
from monitor.tables import RELEASE_COLUMNS, release_rows
from parsers.models import DeclinedRow, IssuedRow, PolicyRow, Report

SECTION_SHEETS: tuple[tuple[str, type[IssuedRow] | type[DeclinedRow] | type[PolicyRow], str], ...] = (
    ("section_i_issued", IssuedRow, "issued"),
    ("section_ii_declined", DeclinedRow, "declined"),
    ("section_iii_policies", PolicyRow, "policies"),
)


def write_report_downloads(report: Report, directory: Path, stem: str) -> tuple[str, str]:
    """Write ``<stem>.csv`` and ``<stem>.xlsx`` into ``directory``; returns their file names."""
    csv_name, xlsx_name = f"{stem}.csv", f"{stem}.xlsx"
    with open(directory / csv_name, "w", newline="", encoding="utf-8") as stream:
        write_csv(release_rows([report]), RELEASE_COLUMNS, stream)
    sheets = {
        sheet_name: (list(record_type.__dataclass_fields__), [asdict(row) for row in getattr(report, attribute)])
        for sheet_name, record_type, attribute in SECTION_SHEETS
    }
    write_xlsx(sheets, directory / xlsx_name)
    return csv_name, xlsx_name
