"""CSV and XLSX writers for tables of rows (exports, ``ddor parse --format csv``, the site's
downloads), safe to open in a spreadsheet.

A report's text comes from ICE's PDF, which we do not control: a facility named
``=HYPERLINK("http://x.io","y")`` would run as a formula when a reporter opens the file in
Excel or LibreOffice. Following OWASP's CSV-injection guidance, a text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, and the XLSX
writer stores every text cell as text, never as a formula. Numbers and booleans stay what
they are (a count of -3 is a number, not a formula). JSON exports are not spreadsheets and
stay verbatim, so they do not come through here.

    write_csv(rows, columns, sys.stdout)
    write_xlsx({"releases": (columns, rows)}, Path("ddor.xlsx"))
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from parsers.models import Report

# What a spreadsheet reads as the start of a formula (or, for tab and CR, what shifts a
# cell so that the next character starts one).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"

# Characters XML 1.0 cannot hold; openpyxl refuses them with an exception mid-workbook.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Row = Mapping[str, Any]
Sheets = Mapping[str, tuple[Sequence[str], Iterable[Row]]]


def neutralise(value: Any) -> Any:
    """The cell as it is safe to write: text that a spreadsheet would read as a formula gets
    a leading ``'``; anything that is not text is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return QUOTE + value
    return value


def write_csv(rows: Iterable[Row], columns: Sequence[str], stream: TextIO) -> None:
    """A header then one line per row, the columns in the order given (keys a row lacks are
    empty; keys not in ``columns`` are an error, as with :class:`csv.DictWriter`)."""
    writer = csv.DictWriter(stream, fieldnames=list(columns), lineterminator="\n")
    # csv quotes only fields holding a delimiter, a quote or the line terminator ("\n"), so a
    # bare carriage return would end the row for every reader; such rows are quoted in full.
    quoting_writer = csv.DictWriter(stream, fieldnames=list(columns), lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for row in rows:
        safe = {key: neutralise(value) for key, value in row.items()}
        has_cr = any(isinstance(value, str) and "\r" in value for value in safe.values())
        (quoting_writer if has_cr else writer).writerow(safe)


def xlsx_text(value: str) -> str:
    """Text as an XLSX cell holds it: neutralised, without the characters XML cannot carry
    (each becomes U+FFFD, so a reader still sees that something was there)."""
    return str(neutralise(_XML_ILLEGAL.sub("\ufffd", value)))


def write_xlsx(sheets: Sheets, path: Path | str) -> None:
    """One worksheet per entry, named by its key: a header row then one row per row."""
    from openpyxl import Workbook

    # Opened first: a path that cannot be written is then a plain OSError, before a
    # write-only workbook is half built (its clean-up error would hide the cause).
    with open(path, "wb") as target:
        book = Workbook(write_only=True)
        for name, (columns, rows) in sheets.items():
            sheet = book.create_sheet(name)
            sheet.append([xlsx_text(column) for column in columns])
            for row in rows:
                sheet.append([_xlsx_cell(sheet, row.get(column)) for column in columns])
        book.save(target)


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """Numbers, booleans and None as they are; text as a cell typed as text."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import TYPE_STRING

    # openpyxl guesses a cell's type from its value and takes any string that starts with
    # "=" for a formula; neutralising already rules that out, and the type says so outright.
    cell = WriteOnlyCell(sheet, value=xlsx_text(value))
    cell.data_type = TYPE_STRING
    return cell


TABLES = ("releases", "series", "policies")


def export_table(reports: Sequence[Report], which: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of one export table (one of :data:`TABLES`) over ``reports``."""
    from monitor import tables

    builders = {
        "releases": (tables.release_rows, tables.RELEASE_COLUMNS),
        "series": (tables.series_rows, tables.SERIES_COLUMNS),
        "policies": (tables.policy_rows, tables.POLICY_COLUMNS),
    }
    build_rows, columns = builders[which]
    return columns, build_rows(reports)


def export_sheets(reports: Sequence[Report]) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
    """Every export table, a workbook sheet each, in :data:`TABLES` order."""
    return {which: export_table(reports, which) for which in TABLES}


def write_table(rows: Sequence[Row], columns: Sequence[str], fmt: str, stream: TextIO) -> None:
    """One table as ``json`` (verbatim: not a spreadsheet) or ``csv`` (neutralised)."""
    if fmt == "json":
        stream.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    else:
        write_csv(rows, columns, stream)
