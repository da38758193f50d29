"""Monitor behaviour over whole cycles on the mirror: what reporters get told, and what they
are spared (suspect parses, out-of-order reports, gaps, silences)."""

from __future__ import annotations

import json
from pathlib import Path

from ddor.mirror import LISTING_PATH, MirrorServer
from tests.conftest import MIRROR, expected, make_env
from tests.fakes.slack import FakeSlack
from tests.parsers.variant_pdf import Variant, render

R2 = "/doclib/ddor/ddor2017_02-04to02-10.pdf"


def _kinds(slack: FakeSlack, channel: str) -> list[str]:
    """Alert kinds in posting order, from their keys (``<sha256>:digest``, ``note:<digest>``)."""
    keys = [m["metadata"]["event_payload"]["alert_key"] for m in slack.alerts() if m["channel"] == channel]
    return [key.split(":")[0] if key.startswith(("note:", "silence:", "ops:")) else key.split(":")[1] for key in keys]


def _page_without(stage: str, href: str) -> bytes:
    page = (MIRROR / "pages" / f"{stage}.html").read_text()
    start = page.index(f'<p><a href="{href}">')
    entry_start = page.rindex('<div class="ddor-entry">', 0, start)
    entry_end = page.index("</div>", start) + len("</div>")
    return (page[:entry_start] + page[entry_end:]).encode()


def test_mirror_series_alerts(tmp_path: Path, mirror: MirrorServer, slack: FakeSlack) -> None:
    env = make_env(tmp_path, mirror, slack)
    for stage in ("2017-03-20", "2017-03-29", "2017-04-06", "2017-04-13", "2019-07-15"):
        mirror.stage = stage
        assert env.run("crawl").returncode == 0
    content = [m for m in slack.alerts() if m["channel"] == "#ddor-alerts"]
    kinds = _kinds(slack, "#ddor-alerts")
    assert [k for k in kinds if k != "note"] == ["baseline", "digest", "digest", "baseline"]
    notes = [m["text"] for m in content if m["metadata"]["event_payload"]["alert_key"].startswith("note:")]
    assert len(notes) == 3
    assert any("temporarily suspended" in n for n in notes) and any("quarterly basis" in n for n in notes)
    digests = [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].endswith(":digest")]
    first = " ".join(b["text"]["text"] for b in digests[0]["blocks"] if b["type"] == "section")
    full = env.run("diff", "1", "2")
    assert "New York City (5 boroughs), NY — declined 4 → 12" in full.stdout
    assert "➕ California — policy added" in full.stdout and "➕ Connecticut — policy added" in full.stdout
    assert "➖ Nassau County, NY — policy removed" in full.stdout
    lines = full.stdout.splitlines()
    issued = [line for line in lines if "— issued" in line]
    assert issued[0].startswith("🆕 Los Angeles County, CA") and issued[1].startswith("🆕 New York County, NY")
    assert "Travis County, TX — declined 142 → 2" in first
    second = env.run("diff", "2", "3")
    assert "➕ Maricopa County, AZ — policy added" in second.stdout
    # The quarterly report starts its own series: a baseline, compared with nothing weekly.
    baselines = [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].endswith(":baseline")]
    assert "Tracking started: DDOR Jan 1 – Mar 31, 2018" in baselines[-1]["text"]


def test_a_section_failing_its_self_checks_is_withheld_with_an_ops_alert(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    env = make_env(tmp_path, mirror, slack)
    assert env.run("crawl").returncode == 0
    truth = expected("ddor2017_02-04to02-10")
    stated = sum(r["issued_detainers"] for r in truth["issued"])
    truth["issued"] = truth["issued"][:-1]  # a row lost: the text's total and count no longer add up
    mirror.replacements[R2] = render(truth, Variant(), stated_total=stated, stated_rows=10)
    mirror.stage = "2017-03-29"
    assert env.run("crawl").returncode == 0
    # Section I cannot be trusted; Sections II and III still carry the week's news.
    assert [r.status for r in env.store().reports.all()] == ["good", "good"]
    [digest] = [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].endswith(":digest")]
    blocks = json.dumps(digest["blocks"], ensure_ascii=False)
    assert "Section I could not be read (Section I rows sum to 519, the text states 540" in blocks
    assert "Travis County, TX — declined 142 → 2" in blocks and "— issued" not in blocks
    [ops] = slack.messages("#ddor-ops")
    assert "withheld" in ops["text"] and "Section I rows sum to 519, the text states 540" in ops["text"]
    # The next report's Section I is not compared with the unread one either.
    mirror.stage = "2017-04-06"
    assert env.run("crawl").returncode == 0
    digests = [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].endswith(":digest")]
    assert "Section I could not be read (could not be read in the previous report" in json.dumps(
        digests[-1]["blocks"], ensure_ascii=False
    )


def test_out_of_order_report_is_placed_in_its_period(tmp_path: Path, mirror: MirrorServer, slack: FakeSlack) -> None:
    env = make_env(tmp_path, mirror, slack)
    mirror.replacements[LISTING_PATH] = _page_without("2017-04-06", R2)
    assert env.run("crawl").returncode == 0  # reports 1 and 3
    del mirror.replacements[LISTING_PATH]
    mirror.stage = "2017-04-06"
    assert env.run("crawl").returncode == 0  # report 2 arrives late
    digests = [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].endswith(":digest")]
    assert len(digests) == 2
    late = json.dumps(digests[1]["blocks"], ensure_ascii=False)
    assert "Feb 4 – Feb 10, 2017" in digests[1]["text"]
    assert "Compared with Jan 28 – Feb 3, 2017" in late
    assert "arrived out of order (after Feb 11 – Feb 17, 2017)" in late
    early = json.dumps(digests[0]["blocks"], ensure_ascii=False)
    assert "no report for Feb 4 – Feb 10, 2017" in early


def test_long_silence_is_one_informational_alert(tmp_path: Path, mirror: MirrorServer, slack: FakeSlack) -> None:
    env = make_env(tmp_path, mirror, slack)
    assert env.run("crawl").returncode == 0
    store = env.store()
    from sqlalchemy import update

    from storage.schema import reports
    from storage.store import utcnow

    with store.transaction() as connection:
        connection.execute(update(reports).values(parsed_at=utcnow().replace(year=utcnow().year - 1)))
    assert env.run("crawl").returncode == 0  # 304: nothing new, for a year
    assert env.run("crawl").returncode == 0
    silence = [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].startswith("silence:")]
    assert len(silence) == 1 and "No new weekly DDOR for" in silence[0]["text"]


def test_replay_recomputes_alerts_without_sending(tmp_path: Path, mirror: MirrorServer, slack: FakeSlack) -> None:
    env = make_env(tmp_path, mirror, slack)
    for stage in ("2017-03-20", "2017-03-29"):
        mirror.stage = stage
        assert env.run("crawl").returncode == 0
    sent = len(slack.ledger)
    strict = env.run("replay", "--from", "2017-01-01", "--format", "json")
    assert strict.returncode == 0, strict.stderr
    produced = json.loads(strict.stdout)
    assert [p["kind"] for p in produced] == ["baseline", "digest"]
    assert len(slack.ledger) == sent
    env.config_path.write_text(
        env.config_path.read_text() + "alerts:\n  watch: ['MD:baltimore city']\n  min_abs_change: 500\n"
    )
    loose = json.loads(env.run("replay", "--from", "2017-02-01", "--format", "json").stdout)
    changes = [c["key"] for c in loose[0]["payload"]["changes"] if c["kind"] == "declined"]
    assert "TX:travis" not in changes and "MD:baltimore city" in changes
    assert env.run("replay", "--from", "soon").returncode == 2


def test_unparseable_download_is_quarantined_once_with_an_ops_alert(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    env = make_env(tmp_path, mirror, slack)
    assert env.run("crawl").returncode == 0
    mirror.stage = "2017-03-29"
    mirror.replacements[R2] = b"<!DOCTYPE html><html><body>Service unavailable</body></html>"
    first = env.run("crawl")
    assert first.returncode == 0 and "quarantined 1" in first.stderr
    [ops] = slack.messages("#ddor-ops")
    assert "could not parse" in ops["text"] and "not_pdf" in ops["text"]
    assert "digest" not in _kinds(slack, "#ddor-alerts")
    mirror.replacements[LISTING_PATH] = (MIRROR / "pages" / "2017-03-29.html").read_bytes() + b"<!-- changed -->"
    second = env.run("crawl")  # the page changed, the bytes did not: held, not re-parsed, not re-alerted
    assert second.returncode == 0 and "quarantined 0" in second.stderr
    assert len(slack.messages("#ddor-ops")) == 1
