"""The crawler against servers on 127.0.0.1 that log every request: conditional polling,
content addressing, corrections, politeness and safety, measured from the servers' logs."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from ddor.mirror import LISTING_PATH, MirrorServer
from tests.conftest import MIRROR, REPORTS, Env, expected, make_env
from tests.fakes.slack import FakeSlack

R1 = "/doclib/ddor/ddor2017_01-28to02-03.pdf"
R2 = "/doclib/ddor/ddor2017_02-04to02-10.pdf"


def respond(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None, times: int = 1
) -> Callable[[BaseHTTPRequestHandler], bool]:
    """An override that answers ``times`` requests itself, then lets the mirror answer."""
    left = [times]

    def handler(request: BaseHTTPRequestHandler) -> bool:
        if left[0] <= 0:
            return False
        left[0] -= 1
        request.send_response(status)
        for key, value in (headers or {}).items():
            request.send_header(key, value)
        if "Content-Length" not in (headers or {}) and "Transfer-Encoding" not in (headers or {}):
            request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
        return True

    return handler


@pytest.fixture
def other_server() -> Iterator[MirrorServer]:
    server = MirrorServer(MIRROR).start()
    yield server
    server.stop()


def pdf_requests(mirror: MirrorServer) -> list:
    return [entry for entry in mirror.log if entry.path.startswith("/doclib/")]


def test_unchanged_page_is_one_conditional_request_and_no_pdf(tmp_path: Path, mirror: MirrorServer) -> None:
    env = make_env(tmp_path, mirror, None)
    assert env.run("crawl").returncode == 0
    mirror.log.clear()
    result = env.run("crawl")
    assert result.returncode == 0, result.stderr
    # One request on the wire: robots.txt comes from the cache, known reports are not due.
    [listing] = mirror.log
    assert listing.path == LISTING_PATH and listing.status == 304 and listing.headers.get("If-None-Match")
    assert "not_modified" in result.stderr


def test_five_stages_in_order(tmp_path: Path, mirror: MirrorServer) -> None:
    env = make_env(tmp_path, mirror, None)
    expected_new = {"2017-03-20": 1, "2017-03-29": 1, "2017-04-06": 1, "2017-04-13": 0, "2019-07-15": 1}
    for stage, new in expected_new.items():
        mirror.stage = stage
        result = env.run("crawl")
        assert result.returncode == 0, result.stderr
        assert f"new reports {new}," in result.stderr, (stage, result.stderr)
    store = env.store()
    assert [r.kind for r in store.reports.all()] == ["weekly", "weekly", "weekly", "quarterly"]
    notes = [n["text"][:20] for n in store.documents.notes()]
    assert notes == ["Correction: Due to a", "ICE remains committe", "In order to increase"]


def _corrected_report_one() -> bytes:
    from tests.parsers.variant_pdf import Variant, render

    truth = expected("ddor2017_01-28to02-03")
    withdrawn = {("Montgomery", "IA"), ("Franklin", "NY"), ("Franklin", "IA"), ("Franklin", "PA")}
    truth["issued"] = [r for r in truth["issued"] if (r["county"], r["state"]) not in withdrawn]
    return render(truth, Variant())


def test_new_bytes_at_a_known_url_are_a_correction(tmp_path: Path, mirror: MirrorServer, slack: FakeSlack) -> None:
    """ICE re-posts report 1 at its URL and leaves the listing page as it was (a 304)."""
    env = make_env(tmp_path, mirror, slack, {"source": {"recheck_hours": 0}})
    assert env.run("crawl").returncode == 0
    mirror.replacements[R1] = _corrected_report_one()
    mirror.log.clear()
    result = env.run("crawl")
    assert result.returncode == 0, result.stderr
    assert "corrections 1" in result.stderr
    assert [(e.path, e.status) for e in mirror.log] == [(LISTING_PATH, 304), (R1, 200)]
    mirror.stage = "2017-03-29"
    assert env.run("crawl").returncode == 0
    store = env.store()
    assert [r.status for r in store.reports.all()] == ["superseded", "good", "good"]
    [correction] = [m for m in slack.alerts() if ":correction:" in m["metadata"]["event_payload"]["alert_key"]]
    baseline = slack.alerts()[0]
    assert correction["thread_ts"] == baseline["ts"] and correction["reply_broadcast"] in (True, "true", "1")
    text = "\n".join(b["text"]["text"] for b in correction["blocks"] if b["type"] == "section")
    removed = sorted(line for line in text.splitlines() if line.startswith("➖"))
    assert removed == sorted(
        [
            "➖ Section I: Franklin, IA — 5 issued",
            "➖ Section I: Franklin, NY — 9 issued",
            "➖ Section I: Franklin, PA — 5 issued",
            "➖ Section I: Montgomery, IA — 12 issued",
        ]
    )
    assert not [line for line in text.splitlines() if line.startswith("➕")]
    # Report 2 is compared with the corrected report 1: the withdrawn rows are not "left the table".
    [digest] = [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].endswith(":digest")]
    assert "Franklin County, NY" not in digest["text"] + str(digest["blocks"])


def test_same_bytes_at_a_new_url_are_an_alias(tmp_path: Path, mirror: MirrorServer) -> None:
    env = make_env(tmp_path, mirror, None)
    assert env.run("crawl").returncode == 0
    page = (MIRROR / "pages" / "2017-03-20.html").read_text()
    copy = '<p><a href="/doclib/ddor/copy-of-report-1.pdf">Declined Detainer Outcome Report (copy)</a></p>'
    entry = '<div class="ddor-entry">'
    mirror.replacements[LISTING_PATH] = page.replace(entry, copy + entry).encode()
    mirror.replacements["/doclib/ddor/copy-of-report-1.pdf"] = (REPORTS / "ddor2017_01-28to02-03.pdf").read_bytes()
    result = env.run("crawl")
    assert result.returncode == 0, result.stderr
    assert "new reports 0" in result.stderr
    assert len(env.store().reports.all()) == 1
    assert [d["status"] for d in env.store().documents.for_sha(env.store().reports.all()[0].sha256)] == [
        "report",
        "alias",
    ]


def test_offsite_links_and_redirects_are_refused(
    tmp_path: Path, mirror: MirrorServer, other_server: MirrorServer
) -> None:
    page = (MIRROR / "pages" / "2017-03-20.html").read_text()
    extra = (
        f'<p><a href="{other_server.base_url}{R2}">Weekly Declined Detainer Outcome Report (mirror)</a></p>'
        '<p><a href="/doclib/ddor/moved.pdf">Declined Detainer Outcome Report (moved)</a></p>'
    )
    page = page.replace('<div class="ddor-entry">', extra + '<div class="ddor-entry">')
    mirror.replacements[LISTING_PATH] = page.encode()
    mirror.overrides["/doclib/ddor/moved.pdf"] = respond(
        302, headers={"Location": f"{other_server.base_url}{R2}"}, times=10
    )
    env = make_env(tmp_path, mirror, None)
    result = env.run("crawl")
    assert other_server.log == []
    assert len(env.store().reports.all()) == 1  # the on-site report is still processed
    assert result.returncode == 1 and "report download(s) failed" in result.stderr


def test_429_retry_after_is_honoured(tmp_path: Path, mirror: MirrorServer) -> None:
    mirror.overrides[R1] = respond(429, b"slow down", {"Retry-After": "2"})
    env = make_env(tmp_path, mirror, None)
    result = env.run("crawl")
    assert result.returncode == 0, result.stderr
    attempts = mirror.requests_to(R1)
    assert len(attempts) == 2
    assert len(env.store().reports.all()) == 1


def test_retry_after_gap_is_measured(tmp_path: Path, mirror: MirrorServer) -> None:
    stamps: list[float] = []
    inner = respond(429, b"", {"Retry-After": "2"})

    def timed(request: BaseHTTPRequestHandler) -> bool:
        stamps.append(time.monotonic())
        return inner(request)

    mirror.overrides[R1] = timed
    env = make_env(tmp_path, mirror, None)
    assert env.run("crawl").returncode == 0
    assert len(stamps) == 2 and stamps[1] - stamps[0] >= 2.0


def test_server_errors_are_crawl_failures_then_an_ops_alert(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    env = make_env(tmp_path, mirror, slack)
    mirror.overrides[LISTING_PATH] = respond(500, b"oops", times=100)
    first, second = env.run("crawl"), env.run("crawl")
    assert (first.returncode, second.returncode) == (1, 1)
    assert "HTTP 500" in first.stderr
    [ops] = slack.messages("#ddor-ops")
    assert "crawl failing (2 runs in a row)" in ops["text"]
    assert slack.messages("#ddor-alerts") == []
    mirror.overrides.clear()
    assert env.run("crawl").returncode == 0
    assert "recovered" in slack.messages("#ddor-ops")[-1]["text"]


def test_oversize_download_is_cancelled_and_nothing_stored(tmp_path: Path, mirror: MirrorServer) -> None:
    big = (REPORTS / "ddor2017_01-28to02-03.pdf").read_bytes()
    env = make_env(tmp_path, mirror, None, {"source": {"max_download_bytes": len(big) // 2}})
    result = env.run("crawl")
    assert result.returncode == 1
    cause = f"download(s) failed, e.g. {mirror.base_url}{R1}: over the size cap of {len(big) // 2:,} bytes"
    assert cause in result.stderr
    assert not list((tmp_path / "archive").rglob("*.pdf"))
    assert env.store().reports.all() == []


def test_oversize_without_content_length_is_cancelled(tmp_path: Path, mirror: MirrorServer) -> None:
    body = b"%PDF-1.4\n" + b"0" * 400_000

    def chunked(request: BaseHTTPRequestHandler) -> bool:
        request.send_response(200)
        request.send_header("Content-Type", "application/pdf")
        request.send_header("Connection", "close")
        request.end_headers()
        request.wfile.write(body)
        request.close_connection = True
        return True

    mirror.overrides[R1] = chunked
    env = make_env(tmp_path, mirror, None, {"source": {"max_download_bytes": 200_000}})
    assert env.run("crawl").returncode == 1
    assert not list((tmp_path / "archive").rglob("*.pdf"))


def test_gzip_bomb_is_cancelled(tmp_path: Path, mirror: MirrorServer) -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    mirror.overrides[R1] = respond(200, bomb, {"Content-Encoding": "gzip", "Content-Type": "application/pdf"}, times=10)
    env = make_env(tmp_path, mirror, None, {"source": {"max_download_bytes": 1_000_000}})
    assert env.run("crawl").returncode == 1
    assert not list((tmp_path / "archive").rglob("*.pdf"))


def test_robots_disallow_is_obeyed(tmp_path: Path, mirror: MirrorServer) -> None:
    mirror.overrides["/robots.txt"] = respond(200, b"User-agent: *\nDisallow: /doclib/\n", times=10)
    env = make_env(tmp_path, mirror, None)
    result = env.run("crawl")
    assert pdf_requests(mirror) == []
    assert result.returncode == 1  # a report that cannot be fetched is a failure, not "no change"


def test_user_agent_identifies_the_bot(tmp_path: Path, mirror: MirrorServer) -> None:
    env = make_env(tmp_path, mirror, None)
    env.run("crawl")
    assert all("ddor-watch" in entry.headers.get("User-Agent", "") for entry in mirror.log)


def test_env_fixture_is_isolated(tmp_path: Path) -> None:
    env: Env = make_env(tmp_path, None, None)
    assert "SLACK_BOT_TOKEN" not in env.env


@pytest.mark.slow  # ten crawls killed at random moments
def test_kill_9_during_download_never_leaves_a_truncated_file(tmp_path: Path, mirror: MirrorServer) -> None:
    import hashlib
    import os
    import random
    import signal
    import subprocess
    import sys

    data = (REPORTS / "ddor2017_01-28to02-03.pdf").read_bytes()

    def slow(request: BaseHTTPRequestHandler) -> bool:
        request.send_response(200)
        request.send_header("Content-Type", "application/pdf")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        try:
            for start in range(0, len(data), 8192):
                request.wfile.write(data[start : start + 8192])
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return True

    mirror.overrides[R1] = slow
    env = make_env(tmp_path, mirror, None)
    rng = random.Random(7)
    for _ in range(10):
        process = subprocess.Popen(
            [sys.executable, "-m", "ddor", "--config", str(env.config_path), "crawl"],
            env=env.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 2.5))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for path in (tmp_path / "archive").rglob("*.pdf"):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.stem, "truncated file under a final name"
        store = env.store()
        for report in store.reports.all():
            assert (tmp_path / "archive" / report.sha256[:2] / f"{report.sha256}.pdf").is_file()
        store.close()
    mirror.overrides.clear()
    result = env.run("crawl")
    assert result.returncode == 0, result.stderr
    assert len(env.store().reports.all()) == 1
    assert not list((tmp_path / "archive").rglob(".part-*"))


def test_each_crawl_records_its_outcome(tmp_path: Path, mirror: MirrorServer) -> None:
    import json

    env = make_env(tmp_path, mirror, None)
    mirror.stage = "2017-03-29"
    assert env.run("crawl").returncode == 0
    assert env.run("crawl").returncode == 0
    first, second = (json.loads(r["stats"]) for r in reversed(env.store().runs.last(2)))
    assert first["listing_status"] == 200 and first["report_links"] == 2 and first["documents_downloaded"] == 2
    assert first["finish_reason"] == "finished" and first["errors"] == {} and first["pages_fetched"] >= 3
    assert len(first["new_reports"]) == 2
    assert second["listing_status"] == 304 and second["documents_downloaded"] == 0


def test_redirect_chain_is_cut_and_nothing_stored(tmp_path: Path, mirror: MirrorServer) -> None:
    for hop in range(10):
        mirror.overrides[f"/doclib/ddor/hop{hop}.pdf"] = respond(
            302, headers={"Location": f"/doclib/ddor/hop{hop + 1}.pdf"}, times=10
        )
    mirror.overrides[R1] = respond(302, headers={"Location": "/doclib/ddor/hop0.pdf"}, times=10)
    env = make_env(tmp_path, mirror, None)
    result = env.run("crawl")
    assert result.returncode == 1 and "report download(s) failed" in result.stderr
    hops = [e.path for e in mirror.log if e.path.startswith("/doclib/ddor/hop")]
    assert len(hops) <= 5  # REDIRECT_MAX_TIMES
    assert env.store().reports.all() == []


def test_a_page_without_report_links_is_a_failure_not_a_quiet_week(tmp_path: Path, mirror: MirrorServer) -> None:
    mirror.replacements[LISTING_PATH] = b"<html><body><h1>Page moved</h1><a href='/x.pdf'>Form</a></body></html>"
    env = make_env(tmp_path, mirror, None)
    result = env.run("crawl")
    assert result.returncode == 1 and "no report links" in result.stderr


def test_a_new_report_is_posted_before_known_reports_are_rechecked(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    """Report 2 appears while report 1 is due for its re-check and was re-posted: report 2 is
    fetched and its digest posted first, the re-check and its correction follow in the same run."""
    env = make_env(tmp_path, mirror, slack, {"source": {"recheck_hours": 0}})
    assert env.run("crawl").returncode == 0
    mirror.stage = "2017-03-29"
    mirror.replacements[R1] = _corrected_report_one()
    mirror.log.clear()
    result = env.run("crawl")
    assert result.returncode == 0, result.stderr
    assert "new reports 1, corrections 1" in result.stderr
    assert [e.path for e in pdf_requests(mirror)] == [R2, R1]
    keys = [m["metadata"]["event_payload"]["alert_key"] for m in slack.alerts()]
    digest = next(i for i, key in enumerate(keys) if key.endswith(":digest"))
    correction = next(i for i, key in enumerate(keys) if ":correction:" in key)
    assert digest < correction


def _age_checks(env: Env, url_part: str, hours: float) -> None:
    """Move the stored re-check clock of matching URLs back, as if ``hours`` had passed."""
    import datetime as dt

    from sqlalchemy import update

    from storage import schema

    store = env.store()
    with store.transaction() as connection:
        connection.execute(
            update(schema.sources)
            .where(schema.sources.c.url.contains(url_part))
            .values(checked_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours))
        )
    store.close()


def test_known_reports_are_rechecked_once_recheck_hours_have_passed(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    env = make_env(tmp_path, mirror, slack)  # recheck_hours: the default 24
    assert env.run("crawl").returncode == 0
    mirror.replacements[R1] = _corrected_report_one()
    mirror.log.clear()
    assert "corrections 0" in env.run("crawl").stderr
    assert pdf_requests(mirror) == []  # checked an instant ago: not due
    _age_checks(env, R1, 25)
    mirror.log.clear()
    result = env.run("crawl")
    assert "corrections 1" in result.stderr, result.stderr
    assert [(e.path, e.status) for e in pdf_requests(mirror)] == [(R1, 200)]
    mirror.log.clear()
    env.run("crawl")
    assert pdf_requests(mirror) == []  # the re-check restarted its clock


def test_restamped_bytes_with_the_same_parse_are_recorded_not_announced(
    tmp_path: Path, mirror: MirrorServer, slack: FakeSlack
) -> None:
    """A server that re-stamps a PDF's metadata on each download: new bytes, same report."""
    env = make_env(tmp_path, mirror, slack, {"source": {"recheck_hours": 0}})
    assert env.run("crawl").returncode == 0
    posted = len(slack.ledger)
    restamped = (REPORTS / "ddor2017_01-28to02-03.pdf").read_bytes() + b"\n% re-stamped on download\n"
    mirror.replacements[R1] = restamped
    result = env.run("crawl")
    assert result.returncode == 0, result.stderr
    assert "corrections 0" in result.stderr
    assert len(slack.ledger) == posted
    import hashlib

    store = env.store()
    [document] = store.documents.for_sha(hashlib.sha256(restamped).hexdigest())
    assert document["url"].endswith(R1) and document["status"] == "alias"
    assert [r.status for r in store.reports.all()] == ["good"]


def test_robots_txt_is_fetched_again_after_a_day(tmp_path: Path, mirror: MirrorServer) -> None:
    import json

    env = make_env(tmp_path, mirror, None)
    assert env.run("crawl").returncode == 0
    assert len(mirror.requests_to("/robots.txt")) == 1
    cache = tmp_path / ".ddor-robots.json"
    entries = json.loads(cache.read_text())
    for entry in entries.values():
        entry["fetched_at"] -= 25 * 3600
    cache.write_text(json.dumps(entries))
    mirror.log.clear()
    assert env.run("crawl").returncode == 0
    assert [e.path for e in mirror.log] == ["/robots.txt", LISTING_PATH]
