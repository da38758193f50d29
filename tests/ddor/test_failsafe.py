"""Failures an operator would otherwise never notice: each ends loud and loses nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ddor.mirror import LISTING_PATH, MirrorServer
from tests.conftest import make_env
from tests.crawler.test_crawl import respond
from tests.fakes.slack import FakeSlack
from tests.monitor.test_cycle import _page_without

R2 = "/doclib/ddor/ddor2017_02-04to02-10.pdf"


def test_a_failed_download_stays_pending_until_it_is_stored(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    env = make_env(tmp_path, mirror, slack, {"source": {"retries": 0}, "alerts": {"failures_before_ops_alert": 2}})
    assert env.run("crawl").returncode == 0  # report 1: the baseline
    mirror.stage = "2017-03-29"
    mirror.overrides[R2] = respond(503, b"busy", times=2)
    first = env.run("crawl")
    assert first.returncode == 1 and R2 in first.stderr
    # The listing is unchanged now; its validators must not have been saved, or the next
    # poll's 304 would end the cycle and report 2 would never be fetched.
    second = env.run("crawl")
    assert second.returncode == 1
    assert env.store().runs.health("crawl")["consecutive_failures"] == 2
    assert any("crawl failing" in m["text"] for m in slack.messages("#ddor-ops"))
    third = env.run("crawl")
    assert third.returncode == 0, third.stderr
    periods = [r.report.report.period_start for r in env.store().reports.all()]
    assert periods == ["2017-01-28", "2017-02-04"]
    assert any(m["metadata"]["event_payload"]["alert_key"].endswith(":digest") for m in slack.alerts())
    assert env.store().runs.health("crawl")["consecutive_failures"] == 0


def test_forget_acknowledges_a_withdrawn_report(tmp_path: Path, mirror: MirrorServer, slack: FakeSlack) -> None:
    env = make_env(tmp_path, mirror, slack)
    mirror.stage = "2017-03-29"
    assert env.run("crawl").returncode == 0
    mirror.replacements[LISTING_PATH] = _page_without("2017-03-29", R2)
    withdrawn = env.run("crawl")
    assert withdrawn.returncode == 1 and "ddor forget URL" in withdrawn.stderr
    url = mirror.base_url + R2
    assert env.run("forget", mirror.base_url + "/doclib/ddor/nope.pdf").returncode == 2
    forget = env.run("forget", url)
    assert forget.returncode == 0 and url in forget.stdout
    assert env.run("crawl").returncode == 0
    listed = env.run("reports")
    assert f"withdrawn from the page: {url}" in listed.stdout.replace("\n", "")
    rows = json.loads(env.run("reports", "--format", "json").stdout)
    assert [r["withdrawn_at"] is not None for r in rows] == [False, True]
    interface = {"id", "kind", "period_start", "period_end", "pages", "detainers_issued", "declined", "sha256"}
    assert interface <= set(rows[0])
    # Back on the page, then gone again: that second disappearance is news again.
    del mirror.replacements[LISTING_PATH]
    mirror.stage = "2017-04-06"
    assert env.run("crawl").returncode == 0
    mirror.replacements[LISTING_PATH] = _page_without("2017-04-06", R2)
    assert env.run("crawl").returncode == 1


def _refuse_report_inserts(store: Any) -> None:
    """Make the database refuse to store a report, as a full disk or a broken server would."""
    with store.transaction() as connection:
        if store.is_sqlite:
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON reports BEGIN SELECT RAISE(ABORT, 'disk full\n"
                "INSERT INTO reports ... (a multi-line SQL dump)'); END"
            )
        else:
            connection.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ "
                "LANGUAGE plpgsql"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON reports FOR EACH ROW EXECUTE FUNCTION refuse()"
            )


def test_a_database_error_is_a_loud_failure_that_claims_nothing(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    env = make_env(tmp_path, mirror, slack)
    assert env.run("crawl").returncode == 0
    store = env.store()
    _refuse_report_inserts(store)
    mirror.stage = "2017-03-29"
    failures = [env.run("crawl"), env.run("crawl")]
    for failed in failures:
        assert failed.returncode == 1
        assert "new reports 0" in failed.stderr
        errors = [line for line in failed.stderr.splitlines() if line.startswith("ddor: ")]
        assert errors and all("disk full" in line for line in errors), failed.stderr
        assert "INSERT INTO" not in failed.stderr  # one line, not the SQL dump
    assert store.runs.health("store")["consecutive_failures"] == 2
    assert any("store failing" in m["text"] for m in slack.messages("#ddor-ops"))
    with store.transaction() as connection:
        connection.exec_driver_sql("DROP TRIGGER refuse" + ("" if store.is_sqlite else " ON reports"))
    assert env.run("crawl").returncode == 0
    assert len(store.reports.all()) == 2 and store.runs.health("store")["consecutive_failures"] == 0
    assert "recovered" in slack.messages("#ddor-ops")[-1]["text"]
    sizes = [doc["size"] for doc in store.documents.for_sha(store.reports.all()[-1].sha256)]
    assert sizes and all(size > 10_000 for size in sizes)  # the real byte count, not 0
