"""The bot end to end: the real ``ddor`` command, Scrapy, pdfminer and slack-sdk against the
ICE mirror and a fake Slack Web API, both on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

from ddor.mirror import MirrorServer
from tests.conftest import make_env
from tests.fakes.slack import FakeSlack


def _digests(slack: FakeSlack) -> list[dict]:
    return [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].endswith(":digest")]


def test_stages_post_baseline_then_one_digest_per_new_report(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    env = make_env(tmp_path, mirror, slack)

    mirror.stage = "2017-03-20"
    first = env.run("crawl")
    assert first.returncode == 0, first.stderr
    store = env.store()
    [report] = store.reports.all()
    assert (report.period_start, report.period_end) == ("2017-01-28", "2017-02-03")
    assert report.report.report.detainers_issued == 3083
    assert len(slack.ledger) == 1
    assert slack.ledger[0]["channel"] == "#ddor-alerts"
    assert slack.ledger[0]["text"].startswith("Tracking started: DDOR Jan 28 – Feb 3, 2017")
    assert slack.ledger[0]["blocks"][0]["type"] == "header"

    mirror.stage = "2017-03-29"
    second = env.run("crawl")
    assert second.returncode == 0, second.stderr
    assert len(env.store().reports.all()) == 2
    [digest] = _digests(slack)
    body = "\n".join(b["text"]["text"] for b in digest["blocks"] if b["type"] in ("header", "section"))
    assert "Feb 4 – Feb 10, 2017" in digest["text"]
    assert "Travis County, TX — declined 142 → 2" in body
    assert "New York County, NY — issued 73" in body
    notes = [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].startswith("note:")]
    assert len(notes) == 1 and "Correction: Due to a data processing error" in notes[0]["text"]

    before = len(slack.ledger)
    again = env.run("crawl")
    assert again.returncode == 0, again.stderr
    assert len(slack.ledger) == before

    mirror.stage = "2017-04-06"
    third = env.run("crawl")
    assert third.returncode == 0, third.stderr
    assert len(_digests(slack)) == 2
    assert "Feb 11 – Feb 17, 2017" in _digests(slack)[1]["text"]
    keys = slack.alert_keys()
    assert len(keys) == len(set(keys)), "an alert key was posted twice"
    assert not slack.violations


def test_without_a_token_the_digests_go_to_stdout(tmp_path: Path, mirror: MirrorServer) -> None:
    env = make_env(tmp_path, mirror, None)
    mirror.stage = "2017-03-20"
    assert env.run("crawl").returncode == 0
    mirror.stage = "2017-03-29"
    result = env.run("crawl")
    assert result.returncode == 0, result.stderr
    assert "DDOR Feb 4 – Feb 10, 2017: 47 declined, 2,825 issued" in result.stdout
    assert "Travis County, TX — declined 142 → 2" in result.stdout


def test_dry_run_prints_payloads_and_marks_nothing_sent(tmp_path: Path, mirror: MirrorServer, slack: FakeSlack) -> None:
    env = make_env(tmp_path, mirror, slack)
    result = env.run("crawl", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert '"alert_key": ' in result.stdout and "Tracking started" in result.stdout
    assert slack.ledger == []
    assert env.run("crawl").returncode == 0  # the real run sends what the dry run only showed
    assert len(slack.ledger) == 1


def test_bad_config_exits_2_with_one_line_naming_the_key(tmp_path: Path) -> None:
    env = make_env(tmp_path, None, None)
    env.config_path.write_text(env.config_path.read_text() + "alerts:\n  min_abs_change: ten\n")
    result = env.run("crawl")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert str(env.config_path) in line and "alerts.min_abs_change" in line


def test_unreachable_page_is_a_failed_run_exit_1(tmp_path: Path) -> None:
    env = make_env(tmp_path, None, None)  # source.url points at a closed port
    result = env.run("crawl")
    assert result.returncode == 1
    assert "listing page" in result.stderr
    assert "Traceback" not in result.stderr
