"""Exactly-once delivery through the real slack-sdk to a fake Slack on 127.0.0.1."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from monitor.notify import Drainer, SlackWebDestination, WebhookDestination
from storage import NewAlert, Store
from tests.conftest import storage_url
from tests.fakes.slack import FakeSlack, Fault


def _note(key: str, text: str = "Note posted on ICE.gov") -> NewAlert:
    return NewAlert(key, "note", "content", {"kind": "note", "text": text, "date_line": "April 13, 2017", "url": None})


@pytest.fixture
def store(tmp_path: Path) -> Store:
    result = Store(storage_url(tmp_path))
    result.upgrade()
    return result


def drainer(store: Store, slack: FakeSlack, token: str | None = None, sleeps: list[float] | None = None) -> Drainer:
    import time

    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)
        time.sleep(seconds)

    destination = SlackWebDestination(token or slack.token, slack.base_url)
    return Drainer(store, destination, "#ddor-alerts", "#ddor-ops", max_attempts=4, min_interval=0.0, sleep=sleep)


def queue(store: Store, *alerts: NewAlert) -> None:
    with store.transaction() as connection:
        store.add_alerts(connection, list(alerts))


def test_429_with_retry_after_is_honoured_then_sent_once(store: Store, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", Fault(status=429, error="ratelimited", headers={"Retry-After": "2"}))
    queue(store, _note("n1"))
    result = drainer(store, slack).drain()
    assert result.sent == 1 and slack.alert_keys() == ["n1"]
    attempts = [at for method, at in slack.calls if method == "chat.postMessage"]
    assert attempts[1] - attempts[0] >= 2.0


def test_three_500s_then_ok_posts_once(store: Store, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", *[Fault(status=500, error="internal_error")] * 3)
    queue(store, _note("n2"))
    assert drainer(store, slack, sleeps=[]).drain().sent == 1
    assert slack.alert_keys() == ["n2"]


def test_reset_after_accept_is_reconciled_not_reposted(store: Store, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", Fault(reset_after_accept=True))
    queue(store, _note("n3"))
    result = drainer(store, slack).drain()
    assert result.reconciled == 1 and slack.alert_keys() == ["n3"]
    alert = store.alert_by_key("n3")
    assert alert is not None and alert.state == "sent" and alert.slack_ts == slack.ledger[0]["ts"]


def test_channel_not_found_is_dead_after_one_attempt(store: Store, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", Fault(error="channel_not_found"))
    queue(store, _note("n4"))
    assert drainer(store, slack).drain().dead == 1
    assert [m for m, _ in slack.calls].count("chat.postMessage") == 1
    alert = store.alert_by_key("n4")
    assert alert is not None and alert.state == "dead" and alert.last_error == "channel_not_found"


def test_invalid_auth_is_dead_and_the_token_is_never_logged(
    store: Store, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "fake-wrong-token-1234567890"
    queue(store, _note("n5"))
    with caplog.at_level(logging.DEBUG):
        assert drainer(store, slack, token=secret).drain().dead == 1
    assert secret not in caplog.text
    assert all(secret not in (a.last_error or "") for a in store.alerts())


def test_pdf_text_cannot_ping_the_channel(store: Store, slack: FakeSlack) -> None:
    queue(store, _note("n6", "<!channel> *Jail* <@U123> <https://evil.example|Gov report> & more"))
    drainer(store, slack).drain()
    sent = slack.ledger[0]
    for text in (sent["text"], sent["blocks"][0]["text"]["text"]):
        assert "<!channel>" not in text and "<@U123>" not in text and "<https://evil" not in text
        assert "&lt;!channel&gt; *Jail*" in text and "&amp; more" in text


def test_webhook_delivers_and_reports_http_errors(store: Store, slack: FakeSlack) -> None:
    queue(store, _note("w1"), _note("w2"))
    slack.fail("webhook", Fault(status=404, error="no_service"))
    destination = WebhookDestination(slack.webhook_url)
    result = Drainer(store, destination, "#c", "#o", max_attempts=3, min_interval=0.0).drain()
    assert (result.sent, result.dead) == (1, 1)
    dead = store.alert_by_key("w1")
    assert dead is not None and "no_service" in (dead.last_error or "")
    assert "secretwebhook" not in (dead.last_error or "")


def test_chart_is_uploaded_into_the_digest_thread(tmp_path: Path, slack: FakeSlack) -> None:
    from ddor.mirror import MirrorServer
    from tests.conftest import MIRROR, make_env

    mirror = MirrorServer(MIRROR).start()
    try:
        env = make_env(tmp_path / "ok", mirror, slack)
        assert env.run("crawl").returncode == 0
        mirror.stage = "2017-03-29"
        assert env.run("crawl").returncode == 0
        [digest] = [m for m in slack.alerts() if m["metadata"]["event_payload"]["alert_key"].endswith(":digest")]
        [upload] = slack.uploads
        assert upload["thread_ts"] == digest["ts"] and upload["channel"] == "#ddor-alerts"
        assert upload["content"].startswith(b"\x89PNG\r\n\x1a\n")

        # A failed upload neither blocks nor duplicates the digest.
        slack.ledger.clear()
        slack.uploads.clear()
        slack.fail("files.getUploadURLExternal", Fault(error="internal_error"))
        env2 = make_env(tmp_path / "failing", mirror, slack)
        mirror.stage = "2017-03-20"
        assert env2.run("crawl").returncode == 0
        mirror.stage = "2017-03-29"
        assert env2.run("crawl").returncode == 0
        assert slack.uploads == []
        assert len([k for k in slack.alert_keys() if k.endswith(":digest")]) == 1
        assert {a.state for a in env2.store().alerts()} == {"sent"}
    finally:
        mirror.stop()


def test_alert_test_sends_a_realistic_digest_and_an_ops_alert(tmp_path: Path, slack: FakeSlack) -> None:
    from tests.conftest import make_env

    env = make_env(tmp_path, None, slack)
    result = env.run("alert", "test")
    assert result.returncode == 0, result.stderr
    assert [m["channel"] for m in slack.alerts()] == ["#ddor-alerts", "#ddor-ops"]
    text = str(slack.alerts()[0]["blocks"])
    for marker in ("↓ Travis County", "🆕", "↘", "➕ California", "➖ Nassau"):
        assert marker in text
    dry = env.run("alert", "test", "--dry-run")
    assert dry.returncode == 0 and '"blocks"' in dry.stdout and len(slack.alerts()) == 2


def test_posts_to_one_channel_are_at_least_a_second_apart(store: Store, slack: FakeSlack) -> None:
    queue(store, _note("t1"), _note("t2"), _note("t3"))
    destination = SlackWebDestination(slack.token, slack.base_url)
    Drainer(store, destination, "#ddor-alerts", "#ddor-ops", min_interval=1.0).drain()
    stamps = [m["at"] for m in slack.ledger]
    assert len(stamps) == 3 and all(b - a >= 0.95 for a, b in zip(stamps, stamps[1:], strict=False))
