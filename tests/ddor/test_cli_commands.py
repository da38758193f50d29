"""Every store-reading command through click's CliRunner: what it prints and its exit code
(the interface users script against, docs/interface.md), on a store holding the
bundled reports as the parser reads them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import REPORT_STEMS, Env, expected, make_env, travis_history
from tests.ddor.clirunner import env_with_reports, invoke, url_of


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return env_with_reports(tmp_path)


def test_diff_by_ids_lists_the_notable_changes(env: Env) -> None:
    full = invoke("diff", "1", "2", config=env.config_path)
    assert full.exit_code == 0, full.output
    assert full.stdout.startswith("2017-01-28..2017-02-03 → 2017-02-04..2017-02-10: ")
    assert "New York City (5 boroughs), NY — declined 4 → 12" in full.stdout
    assert "➕ California — policy added" in full.stdout and "➕ Connecticut — policy added" in full.stdout
    assert "➖ Nassau County, NY — policy removed" in full.stdout
    issued = [line for line in full.stdout.splitlines() if "— issued" in line]
    assert issued[0].startswith("🆕 Los Angeles County, CA") and issued[1].startswith("🆕 New York County, NY")
    assert "&lt;" not in full.stdout and "&amp;" not in full.stdout  # Slack escapes, undone for a terminal
    second = invoke("diff", "2", "3", config=env.config_path)
    assert "➕ Maricopa County, AZ — policy added" in second.stdout


def test_diff_of_one_report_compares_with_the_one_before_it_in_its_series(env: Env) -> None:
    result = invoke("diff", "3", "--format", "json", config=env.config_path)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["from"], shown["to"]) == (2, 3)
    both = json.loads(invoke("diff", "2", "3", "--format", "json", config=env.config_path).stdout)
    assert shown["changes"] == both["changes"]


def test_diff_all_lists_more_changes_than_the_notable_ones(env: Env) -> None:
    notable = json.loads(invoke("diff", "1", "2", "--format", "json", config=env.config_path).stdout)["changes"]
    every = json.loads(invoke("diff", "1", "2", "--format", "json", "--all", config=env.config_path).stdout)["changes"]
    assert len(every) > len(notable) > 0
    assert all(change["reason"] == "" for change in every)


def test_diff_without_ids_takes_the_latest_report_which_may_have_nothing_before_it(env: Env) -> None:
    # The latest report is the first quarterly one: weekly reports are another series.
    result = invoke("diff", config=env.config_path)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "ddor: no earlier report of the same kind to compare with (ids from `ddor reports`)"
    )


def test_diff_without_ids_on_a_weekly_series(tmp_path: Path) -> None:
    env = env_with_reports(tmp_path, REPORT_STEMS[:3])
    result = invoke("diff", "--format", "json", config=env.config_path)
    assert result.exit_code == 0 and (json.loads(result.stdout)["from"], json.loads(result.stdout)["to"]) == (2, 3)


def test_diff_refuses_unknown_ids_and_an_empty_store(env: Env, tmp_path: Path) -> None:
    unknown = invoke("diff", "1", "9", config=env.config_path)
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == "ddor: no stored report with id 9 (ids from `ddor reports`)"
    empty = make_env(tmp_path / "empty", None, None)
    nothing = invoke("diff", config=empty.config_path)
    assert nothing.exit_code == 1 and "no stored reports yet; run `ddor crawl` first" in nothing.stderr


def test_replay_recomputes_alerts_from_a_date(env: Env) -> None:
    strict = invoke("replay", "--from", "2017-01-01", "--format", "json", config=env.config_path)
    assert strict.exit_code == 0, strict.output
    assert [p["kind"] for p in json.loads(strict.stdout)] == ["baseline", "digest", "digest", "baseline"]
    env.config_path.write_text(
        env.config_path.read_text() + "alerts:\n  watch: ['MD:baltimore city']\n  min_abs_change: 500\n"
    )
    loose = json.loads(invoke("replay", "--from", "2017-02-01", "--format", "json", config=env.config_path).stdout)
    changes = [c["key"] for c in loose[0]["payload"]["changes"] if c["kind"] == "declined"]
    assert "TX:travis" not in changes and "MD:baltimore city" in changes


def test_replay_as_text_names_each_alert_and_says_nothing_was_sent(env: Env) -> None:
    result = invoke("replay", "--from", "2017-02-01", config=env.config_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("[digest] ") == 2 and result.stdout.count("[baseline] ") == 1
    assert result.stderr.strip() == "3 alert(s) would be produced; nothing was sent."
    env_store = env.store()
    assert env_store.outbox.alerts() == []
    env_store.close()


def test_replay_refuses_a_date_it_cannot_read(env: Env) -> None:
    result = invoke("replay", "--from", "soon", config=env.config_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == "ddor: --from: expected a date like 2017-01-28, got 'soon'"


def test_reports_as_json_and_as_a_table(env: Env) -> None:
    rows = json.loads(invoke("reports", "--format", "json", config=env.config_path).stdout)
    assert [(r["id"], r["kind"], r["period_start"]) for r in rows] == [
        (1, "weekly", "2017-01-28"),
        (2, "weekly", "2017-02-04"),
        (3, "weekly", "2017-02-11"),
        (4, "quarterly", "2018-01-01"),
    ]
    interface = {"id", "kind", "period_start", "period_end", "pages", "detainers_issued", "declined", "sha256"}
    assert interface <= set(rows[0])
    assert rows[0]["declined"] == len(expected(REPORT_STEMS[0])["declined"]) == 206
    assert {r["status"] for r in rows} == {"good"} and {r["withdrawn_at"] for r in rows} == {None}
    listed = invoke("reports", config=env.config_path)
    assert listed.exit_code == 0
    assert "2017-01-28..2017-02-03" in listed.stdout and rows[0]["sha256"][:12] in listed.stdout


def test_forget_records_a_withdrawn_report_once_and_refuses_an_unknown_url(env: Env) -> None:
    url = url_of(REPORT_STEMS[1])
    unknown = invoke("forget", url_of("nope"), config=env.config_path)
    assert unknown.exit_code == 2 and "not a report URL this store has seen" in unknown.stderr
    first = invoke("forget", url, config=env.config_path)
    assert (first.exit_code, first.stdout.strip()) == (0, f"recorded as withdrawn: {url}")
    again = invoke("forget", url, config=env.config_path)
    assert (again.exit_code, again.stdout.strip()) == (0, f"already recorded as withdrawn: {url}")
    listed = invoke("reports", config=env.config_path)
    assert f"withdrawn from the page: {url}" in listed.stdout.replace("\n", "")
    rows = json.loads(invoke("reports", "--format", "json", config=env.config_path).stdout)
    assert [r["withdrawn_at"] is not None for r in rows] == [False, True, False, False]


def test_status_summarises_store_daemon_reports_alerts_and_health(env: Env) -> None:
    result = invoke("status", config=env.config_path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Store ") and "schema v" in lines[0]
    assert lines[1] == "Daemon not running"
    assert lines[2] == "Latest report quarterly 2018-01-01..2018-03-31 (good)"
    assert lines[3] == "Alerts pending 0, sending 0, sent 0, dead 0"
    assert "Health crawl: 0 consecutive failures" in result.stdout
    assert "Health delivery: 0 consecutive failures" in result.stdout


def test_status_of_a_store_not_created_yet(tmp_path: Path) -> None:
    env = make_env(tmp_path, None, None)
    result = invoke("status", config=env.config_path)
    assert result.exit_code == 0, result.output
    assert "not created yet (`ddor crawl` creates it)" in result.stdout.splitlines()[0]


def test_history_of_a_jurisdiction_in_any_spelling(env: Env) -> None:
    history = json.loads(invoke("history", "Travis County, TX", "--format", "json", config=env.config_path).stdout)
    truth = travis_history()
    assert [(h["period_start"], h["issued"], h["declined"]) for h in history] == truth
    assert truth[0] == ("2017-01-28", None, 142) and truth[1] == ("2017-02-04", 23, 2)
    by_key = json.loads(invoke("history", "TX:travis", "--format", "json", config=env.config_path).stdout)
    assert by_key == history
    table = invoke("history", "Travis County, Texas", config=env.config_path)
    assert table.exit_code == 0 and "(TX:travis)" in table.stdout and "2017-01-28..2017-02-03" in table.stdout


def test_history_refuses_a_name_without_a_state_and_an_unknown_jurisdiction(env: Env) -> None:
    no_state = invoke("history", "Travis", config=env.config_path)
    assert no_state.exit_code == 2 and "give the state too" in no_state.stderr
    unknown = invoke("history", "ZZ:nowhere", config=env.config_path)
    assert unknown.exit_code == 1 and unknown.stderr.strip() == "ddor: ZZ:nowhere: not in any stored report"
    as_json = invoke("history", "ZZ:nowhere", "--format", "json", config=env.config_path)
    assert (as_json.exit_code, json.loads(as_json.stdout)) == (0, [])


def test_export_tables_as_csv_and_json(env: Env, tmp_path: Path) -> None:
    releases = invoke("export", "--format", "csv", config=env.config_path)
    rows = list(csv.DictReader(io.StringIO(releases.stdout)))
    assert len(rows) == 206 + 47 + 65 + 420
    assert sum(1 for r in rows if r["period_start"] == "2017-01-28") == 206
    policies = json.loads(invoke("export", "--format", "json", "--table", "policies", config=env.config_path).stdout)
    [maricopa] = [p for p in policies if p["jurisdiction_key"] == "AZ:maricopa"]
    assert maricopa["first_seen"] == "2017-02-11"
    [california] = [p for p in policies if p["jurisdiction_key"] == "CA:*"]
    assert (california["first_seen"], california["reports"]) == ("2017-02-04", 3)
    out = tmp_path / "series.csv"
    written = invoke("export", "--table", "series", "--out", str(out), config=env.config_path)
    assert (written.exit_code, written.stdout) == (0, "")
    assert next(csv.reader(io.StringIO(out.read_text())))[:2] == ["jurisdiction_key", "label"]


def test_export_xlsx_needs_an_out_path_and_holds_every_table(env: Env, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    no_out = invoke("export", "--format", "xlsx", config=env.config_path)
    assert no_out.exit_code == 2
    assert no_out.stderr.strip() == "ddor: --out: an .xlsx workbook needs a file to go to"
    # An --out that cannot be written: tests/ddor/test_export_safety.py.
    out = tmp_path / "ddor.xlsx"
    assert invoke("export", "--format", "xlsx", "--out", str(out), config=env.config_path).exit_code == 0
    assert load_workbook(out, read_only=True).sheetnames == ["releases", "series", "policies"]


def test_alert_test_dry_run_prints_the_payloads(env: Env) -> None:
    dry = invoke("alert", "test", "--dry-run", config=env.config_path)
    assert dry.exit_code == 0, dry.output
    assert '"blocks"' in dry.stdout and "test alerts: sent 0, dead 0" in dry.stderr
    unknown = invoke("alert", "test", "--route", "#nowhere", "--dry-run", config=env.config_path)
    assert unknown.exit_code == 2 and unknown.stderr.startswith("ddor: ")


def test_alert_retry_with_nothing_dead_and_an_unknown_key(env: Env) -> None:
    nothing = invoke("alert", "retry", config=env.config_path)
    assert nothing.exit_code == 0, nothing.output
    assert "re-queued 0; sent 0, dead 0, waiting 0" in nothing.stderr
    unknown = invoke("alert", "retry", "no-such:key", config=env.config_path)
    assert unknown.exit_code == 1 and "ddor: no-such:key: no dead alert with that key" in unknown.stderr


def test_db_commands(env: Env) -> None:
    upgraded = invoke("db", "upgrade", config=env.config_path)
    assert upgraded.exit_code == 0 and "schema version" in upgraded.stdout
    metadata = invoke("db", "metadata", "--database", "newsroom")
    assert metadata.exit_code == 0 and "newsroom" in json.loads(metadata.stdout)["databases"]


def test_site_build_needs_an_out_dir(env: Env) -> None:
    result = invoke("site", "build", config=env.config_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == "ddor: site.out_dir is not set in the config; give --out DIR"


def test_a_second_daemon_is_refused_and_so_is_a_crawl_that_will_not_wait(env: Env) -> None:
    from ddor.config import load_config
    from ddor.locks import Lock

    config = load_config(env.config_path)
    store = env.store()
    daemon_lock, cycle_lock = Lock(config, store, "daemon"), Lock(config, store, "cycle")
    daemon_lock.acquire(wait=False)
    cycle_lock.acquire(wait=False)
    try:
        daemon = invoke("daemon", "--no-standby", config=env.config_path)
        assert daemon.exit_code == 2 and "refusing to start a second daemon" in daemon.stderr
        crawl = invoke("crawl", "--no-wait", config=env.config_path)
        assert crawl.exit_code == 2 and "not starting a second cycle" in crawl.stderr
    finally:
        cycle_lock.release()
        daemon_lock.release()
        store.close()
