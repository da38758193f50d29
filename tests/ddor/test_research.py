"""For teams and researchers: backfill, history, exports and reparse, on whichever backend
the suite runs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.conftest import REPORT_STEMS, REPORTS, expected, make_env, travis_history
from tests.ddor.clirunner import run
from tests.fakes.slack import FakeSlack

FILES = [str(REPORTS / f"{stem}.pdf") for stem in REPORT_STEMS]


def test_backfill_in_period_order_without_alerts_then_history_and_exports(tmp_path: Path) -> None:
    env = make_env(tmp_path, None, None)
    result = run(env, "backfill", *reversed(FILES))
    assert result.exit_code == 0, result.stderr
    store = env.store()
    stored = store.reports.all()
    assert [(r.kind, r.period_start) for r in stored] == [
        ("weekly", "2017-01-28"),
        ("weekly", "2017-02-04"),
        ("weekly", "2017-02-11"),
        ("quarterly", "2018-01-01"),
    ]
    assert store.outbox.alerts() == []
    assert run(env, "backfill", FILES[0]).exit_code == 0  # already known: nothing new
    assert len(env.store().reports.all()) == 4

    history = json.loads(run(env, "history", "Travis County, TX", "--format", "json").stdout)
    truth = travis_history()
    assert [(h["period_start"], h["issued"], h["declined"]) for h in history] == truth
    assert truth[0] == ("2017-01-28", None, 142) and truth[1] == ("2017-02-04", 23, 2)
    assert run(env, "history", "Travis").exit_code == 2

    releases = run(env, "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(releases.stdout)))
    assert len(rows) == 206 + 47 + 65 + 420
    assert sum(1 for r in rows if r["period_start"] == "2017-01-28") == 206

    policies = json.loads(run(env, "export", "--format", "json", "--table", "policies").stdout)
    [maricopa] = [p for p in policies if p["jurisdiction_key"] == "AZ:maricopa"]
    assert maricopa["first_seen"] == "2017-02-11"
    [california] = [p for p in policies if p["jurisdiction_key"] == "CA:*"]
    assert (california["first_seen"], california["reports"]) == ("2017-02-04", 3)


def test_xlsx_export_opens_and_matches_the_stored_rows(tmp_path: Path) -> None:
    import pandas as pd

    env = make_env(tmp_path, None, None)
    assert run(env, "backfill", FILES[0]).exit_code == 0
    out = tmp_path / "ddor.xlsx"
    assert run(env, "export", "--format", "xlsx", "--out", str(out)).exit_code == 0
    sheets = pd.read_excel(out, sheet_name=None)
    assert set(sheets) == {"releases", "series", "policies"}
    releases = sheets["releases"]
    truth = expected(REPORT_STEMS[0])["declined"]
    assert len(releases) == 206
    assert list(releases["facility"]) == [r["facility"] for r in truth]
    assert list(releases["page"]) == [r["page"] for r in truth]
    assert len(sheets["policies"]) == len(
        {
            (p["jurisdiction"], p["state"], p["policy"], p["criteria"], p["date_enacted"])
            for p in expected(REPORT_STEMS[0])["policies"]
        }
    )


def test_backfill_with_alert_sends_what_a_live_run_would(tmp_path: Path, slack: FakeSlack) -> None:
    env = make_env(tmp_path, None, slack)
    result = run(env, "backfill", "--alert", FILES[1], FILES[0])
    assert result.exit_code == 0, result.stderr
    assert [k.split(":")[1] for k in slack.alert_keys()] == ["baseline", "digest"]


def test_backfill_reports_bad_sources_and_keeps_the_good(tmp_path: Path) -> None:
    env = make_env(tmp_path, None, None)
    bad = tmp_path / "not-a-report.pdf"
    bad.write_bytes(b"<html>404</html>")
    result = run(env, "backfill", str(bad), FILES[1], str(tmp_path / "missing.pdf"))
    assert result.exit_code == 1
    assert f"{bad}: not_pdf" in result.stderr and "missing.pdf: FileNotFoundError" in result.stderr
    assert len(env.store().reports.all()) == 1


def test_reparse_restores_what_the_parser_reads(tmp_path: Path) -> None:
    from sqlalchemy import select, update

    from storage.schema import reports

    env = make_env(tmp_path, None, None)
    assert run(env, "backfill", FILES[1], FILES[2]).exit_code == 0
    clean = run(env, "reparse", "--workers", "2")
    assert clean.exit_code == 0 and "0 report(s) changed" in clean.stderr
    store = env.store()
    with store.transaction() as connection:
        data = json.loads(connection.execute(select(reports.c.data).where(reports.c.id == 1)).scalar_one())
        data["declined"] = data["declined"][1:]  # as an older parser might have missed a row
        connection.execute(update(reports).where(reports.c.id == 1).values(data=json.dumps(data)))
    changed = run(env, "reparse", "--workers", "2")
    assert changed.exit_code == 0, changed.stderr
    assert "report 1 (2017-02-04..2017-02-10): +1 −0 rows" in changed.stdout
    assert len(env.store().reports.by_id(1).report.declined) == 47  # type: ignore[union-attr]
