"""``ddor export`` with hostile text in a report: CSV and XLSX neutralise it, JSON keeps it."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from parsers.models import Report
from tests.conftest import REPORT_STEMS, expected, make_env
from tests.ddor.clirunner import run

HOSTILE = '=HYPERLINK("http://x.io","y")'


def _store_a_hostile_report(tmp_path: Path) -> None:
    env = make_env(tmp_path, None, None)
    report = Report.from_json(expected(REPORT_STEMS[0]))
    first = dataclasses.replace(report.declined[0], facility=HOSTILE, county="@Alameda County")
    report = dataclasses.replace(report, declined=(first, *report.declined[1:]))
    store = env.store()
    with store.transaction() as connection:
        store.reports.add(connection, report, "https://www.ice.gov/doclib/ddor/x.pdf", "good")
    store.close()


def test_export_neutralises_spreadsheets_and_keeps_json_verbatim(tmp_path: Path) -> None:
    _store_a_hostile_report(tmp_path)
    env = make_env(tmp_path, None, None)

    rows = list(csv.DictReader(io.StringIO(run(env, "export", "--format", "csv").stdout)))
    assert (rows[0]["facility"], rows[0]["county"], rows[0]["page"]) == ("'" + HOSTILE, "'@Alameda County", "2")
    assert rows[1]["facility"] == expected(REPORT_STEMS[0])["declined"][1]["facility"]

    as_json = json.loads(run(env, "export", "--format", "json").stdout)
    assert (as_json[0]["facility"], as_json[0]["county"]) == (HOSTILE, "@Alameda County")

    out = tmp_path / "ddor.xlsx"
    assert run(env, "export", "--format", "xlsx", "--out", str(out)).exit_code == 0
    sheet = load_workbook(out)["releases"]
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, sheet[2], strict=True))
    assert (first["facility"].value, first["facility"].data_type) == ("'" + HOSTILE, "s")
    assert (first["page"].value, first["page"].data_type) == (2, "n")
    with zipfile.ZipFile(out) as archive:
        assert not any(b"<f>" in archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/"))


def test_an_out_path_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    env = make_env(tmp_path, None, None)
    for fmt in ("csv", "xlsx"):
        result = run(env, "export", "--format", fmt, "--out", str(tmp_path / "missing" / f"x.{fmt}"))
        assert result.exit_code == 2
        assert (
            result.stderr.strip()
            == f"ddor: --out: cannot write {tmp_path / 'missing' / f'x.{fmt}'}: No such file or directory"
        )
