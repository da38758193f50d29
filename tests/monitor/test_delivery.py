"""Exactly-once delivery through the real slack-sdk to a fake Slack on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import multiprocessing.synchronize
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from monitor.notify import (
    Drainer,
    Posted,
    SlackWebDestination,
    WebhookDestination,
    drainer_identity,
    owner_is_gone,
)
from storage import NewAlert, OutboxAlert, Store
from tests.conftest import storage_url
from tests.fakes.slack import FakeSlack, Fault


def _note(key: str, text: str = "Note posted on ICE.gov") -> NewAlert:
    return NewAlert(key, "note", "content", {"kind": "note", "text": text, "date_line": "April 13, 2017", "url": None})


@pytest.fixture
def store(tmp_path: Path) -> Store:
    result = Store(storage_url(tmp_path))
    result.upgrade()
    return result


class FakeClock:
    """Time that moves only when the drainer sleeps (or a test says so): no real waiting."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def drainer(
    store: Store, slack: FakeSlack, token: str | None = None, clock: FakeClock | None = None, timeout: float = 5.0
) -> Drainer:
    clock = clock or FakeClock()
    destination = SlackWebDestination(token or slack.token, slack.base_url, timeout=timeout)
    return Drainer(
        store,
        destination,
        "#ddor-alerts",
        "#ddor-ops",
        max_attempts=4,
        min_interval=0.0,
        sleep=clock.sleep,
        clock=clock,
    )


def queue(store: Store, *alerts: NewAlert) -> None:
    with store.transaction() as connection:
        store.outbox.add(connection, list(alerts))


def test_429_with_retry_after_is_honoured_then_sent_once(store: Store, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", Fault(status=429, error="ratelimited", headers={"Retry-After": "2"}))
    queue(store, _note("n1"))
    clock = FakeClock()
    result = drainer(store, slack, clock=clock).drain()
    assert result.sent == 1 and slack.alert_keys() == ["n1"]
    assert clock.sleeps == [2.0]


def test_three_500s_then_ok_posts_once(store: Store, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", *[Fault(status=500, error="internal_error")] * 3)
    queue(store, _note("n2"))
    assert drainer(store, slack).drain().sent == 1
    assert slack.alert_keys() == ["n2"]


def test_reset_after_accept_is_reconciled_not_reposted(store: Store, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", Fault(reset_after_accept=True))
    queue(store, _note("n3"))
    result = drainer(store, slack).drain()
    assert result.reconciled == 1 and slack.alert_keys() == ["n3"]
    alert = store.outbox.by_key("n3")
    assert alert is not None and alert.state == "sent" and alert.slack_ts == slack.ledger[0]["ts"]


def test_channel_not_found_is_dead_after_one_attempt(store: Store, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", Fault(error="channel_not_found"))
    queue(store, _note("n4"))
    assert drainer(store, slack).drain().dead == 1
    assert [m for m, _ in slack.calls].count("chat.postMessage") == 1
    alert = store.outbox.by_key("n4")
    assert alert is not None and alert.state == "dead" and alert.last_error == "channel_not_found"


def test_invalid_auth_is_dead_and_the_token_is_never_logged(
    store: Store, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "fake-wrong-token-1234567890"
    queue(store, _note("n5"))
    with caplog.at_level(logging.DEBUG):
        assert drainer(store, slack, token=secret).drain().dead == 1
    assert secret not in caplog.text
    assert all(secret not in (a.last_error or "") for a in store.outbox.alerts())


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
    dead = store.outbox.by_key("w1")
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
        assert {a.state for a in env2.store().outbox.alerts()} == {"sent"}
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


class TimedDestination(SlackWebDestination):
    """Records the (fake) time of each post; each post takes 0.25 s of that time."""

    def __init__(self, slack: FakeSlack, clock: FakeClock) -> None:
        super().__init__(slack.token, slack.base_url)
        self.clock = clock
        self.posted_at: list[float] = []

    def post(self, alert: OutboxAlert, message: dict[str, Any], channel: str, thread_ts: str | None) -> Posted:
        self.posted_at.append(self.clock())
        self.clock.now += 0.25
        return super().post(alert, message, channel, thread_ts)


def test_posts_to_one_channel_are_at_least_a_second_apart(store: Store, slack: FakeSlack) -> None:
    queue(store, _note("t1"), _note("t2"), _note("t3"))
    clock = FakeClock()
    destination = TimedDestination(slack, clock)
    Drainer(store, destination, "#ddor-alerts", "#ddor-ops", min_interval=1.0, sleep=clock.sleep, clock=clock).drain()
    stamps = destination.posted_at
    assert len(stamps) == 3 and slack.alert_keys() == ["t1", "t2", "t3"]
    assert all(b - a >= 1.0 for a, b in zip(stamps, stamps[1:], strict=False))
    # It waits only for what is left of the second after the previous post, not a whole one.
    assert clock.sleeps == [0.75, 0.75]


# --- issue #15: doubt is resolved, never guessed -------------------------------------------

SLACK_HICCUPS = {
    "a 500": {"chat.postMessage": [Fault(status=500, error="internal_error")]},
    "a reset before the message is recorded": {"chat.postMessage": [Fault(reset_before_accept=True)]},
    "a dropped answer, then a failed history read": {
        "chat.postMessage": [Fault(reset_after_accept=True)],
        "conversations.history": [Fault(status=500, error="internal_error")],
    },
    "five 429s": {
        "chat.postMessage": [Fault(status=429, error="ratelimited", headers={"Retry-After": "1"})] * 5,
    },
    "an answer after 20 s": {"chat.postMessage": [Fault(delay=20.0)]},
}


@pytest.mark.parametrize("hiccup", list(SLACK_HICCUPS))
def test_one_slack_hiccup_gives_exactly_one_message_and_no_dead_alert(
    store: Store, slack: FakeSlack, hiccup: str
) -> None:
    for method, faults in SLACK_HICCUPS[hiccup].items():
        slack.fail(method, *faults)
    queue(store, _note("h1"))
    # The client gives up long before the slow answer comes (the fake is told to stop waiting).
    result = drainer(store, slack, timeout=0.5).drain()
    assert slack.alert_keys() == ["h1"]
    assert result.dead == 0 and result.sent + result.reconciled == 1
    alert = store.outbox.by_key("h1")
    assert alert is not None and alert.state == "sent" and alert.slack_ts == slack.ledger[0]["ts"]
    assert not alert.in_doubt
    assert all(not faults for faults in slack.faults.values()), "every injected fault was met"


def test_five_429s_wait_as_told_and_use_no_attempt(store: Store, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", *[Fault(status=429, error="ratelimited", headers={"Retry-After": "1"})] * 5)
    queue(store, _note("r1"))
    clock = FakeClock()
    result = drainer(store, slack, clock=clock).drain()  # max_attempts=4 < 5 rate limits
    assert result.sent == 1 and clock.sleeps == [1.0] * 5
    # Refused posts are not in doubt: no history read was needed.
    assert [m for m, _ in slack.calls].count("conversations.history") == 0


def test_history_is_read_by_channel_id_never_by_name(slack: FakeSlack) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=slack.token, base_url=slack.base_url, retry_handlers=[])
    posted = client.chat_postMessage(channel="#ddor-alerts", text="x")
    with pytest.raises(SlackApiError) as history:
        client.conversations_history(channel="#ddor-alerts")
    with pytest.raises(SlackApiError) as replies:
        client.conversations_replies(channel="#ddor-alerts", ts=posted["ts"])
    assert history.value.response["error"] == replies.value.response["error"] == "channel_not_found"
    assert client.conversations_history(channel=posted["channel"])["messages"][0]["ts"] == posted["ts"]


def test_the_channel_id_comes_from_the_first_post_and_is_kept(store: Store, slack: FakeSlack) -> None:
    queue(store, _note("c1"))
    drainer(store, slack).drain()
    sent = store.outbox.by_key("c1")
    assert sent is not None and sent.channel_id == slack.channel_id("#ddor-alerts")
    # A later doubt reads the history by that ID without asking conversations.list.
    slack.fail("chat.postMessage", Fault(reset_after_accept=True))
    queue(store, _note("c2"))
    assert drainer(store, slack).drain().reconciled == 1
    methods = [m for m, _ in slack.calls]
    assert "conversations.list" not in methods and methods.count("conversations.history") == 1
    assert slack.alert_keys() == ["c1", "c2"]


def test_a_failed_history_read_is_never_taken_as_absent(store: Store, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", Fault(reset_after_accept=True))
    slack.fail("conversations.history", *[Fault(status=500, error="internal_error")] * 5)
    queue(store, _note("d1"))
    clock = FakeClock()
    first = drainer(store, slack, clock=clock).drain()
    assert first.pending == 1 and first.dead == 0
    alert = store.outbox.by_key("d1")
    assert alert is not None and alert.state == "pending" and alert.in_doubt
    assert "cannot check whether Slack has it" in (alert.last_error or "")
    assert slack.alert_keys() == ["d1"], "not re-posted while in doubt"
    # The next drain (a minute later, when the backoff allows) reads again and finds it.
    assert drainer(store, slack, clock=clock).drain().pending == 0
    clock.now += 120
    assert drainer(store, slack, clock=clock).drain().reconciled == 1
    assert slack.alert_keys() == ["d1"]


def test_an_alert_dies_only_after_the_time_budget_never_after_seconds(store: Store, slack: FakeSlack) -> None:
    slack.fail("chat.postMessage", *[Fault(status=500, error="internal_error")] * 40)
    queue(store, _note("b1"))
    clock = FakeClock()
    for _ in range(3):  # three runs over a few hours: left for later each time, never dead
        result = drainer(store, slack, clock=clock).drain()
        assert (result.pending, result.dead) == (1, 0)
        clock.now += 3600
    alert = store.outbox.by_key("b1")
    assert alert is not None and alert.state == "pending" and "internal_error" in (alert.last_error or "")
    clock.now += 22 * 3600
    assert drainer(store, slack, clock=clock).drain().dead == 1
    alert = store.outbox.by_key("b1")
    assert alert is not None and alert.state == "dead" and (alert.last_error or "").startswith("gave up after 24 h")
    assert slack.alert_keys() == []


def test_slack_unreachable_leaves_the_outbox_for_the_next_run_without_doubt(store: Store) -> None:
    gone = FakeSlack().start()
    gone.stop()  # its port now refuses connections: no request can have reached Slack
    queue(store, _note("u1"), _note("u2"))
    clock = FakeClock()
    destination = SlackWebDestination(gone.token, gone.base_url, timeout=1.0)
    result = Drainer(store, destination, "#c", "#o", max_attempts=3, sleep=clock.sleep, clock=clock).drain()
    assert (result.pending, result.dead, result.sent) == (1, 0, 0)
    first, second = store.outbox.alerts()
    assert first.state == "pending" and not first.in_doubt and "ConnectionRefusedError" in (first.last_error or "")
    assert first.attempts == 3 and clock.sleeps == [2.0, 4.0]
    assert second.attempts == 0, "the outage is not retried once per alert"


def test_a_digest_found_after_a_lost_answer_still_gets_its_details_thread(store: Store, slack: FakeSlack) -> None:
    from monitor.samples import sample_alerts

    digest = sample_alerts()[0]
    queue(store, digest)
    slack.fail("chat.postMessage", Fault(reset_after_accept=True))
    clock = FakeClock()
    destination = SlackWebDestination(slack.token, slack.base_url)
    result = Drainer(store, destination, "#ddor-alerts", "#o", top_changes=2, sleep=clock.sleep, clock=clock).drain()
    assert result.reconciled == 1 and slack.alert_keys() == [digest.key]
    [details] = [m for m in slack.ledger if not m.get("metadata")]
    assert details["thread_ts"] == slack.alerts()[0]["ts"]


def test_a_reply_that_went_out_top_level_is_still_found_once_its_parent_has_a_ts(
    store: Store, slack: FakeSlack
) -> None:
    queue(store, _note("t1"))
    queue(store, NewAlert("t1:reply", "note", "content", _note("x", "Reply").payload, thread_key="t1"))
    [parent, _] = store.outbox.alerts()
    store.outbox.mark_failed(parent.id, "channel_not_found", dead=True)  # no thread to post into, for now
    slack.fail("chat.postMessage", Fault(reset_after_accept=True))
    slack.fail("conversations.history", *[Fault(status=500, error="internal_error")] * 5)
    clock = FakeClock()
    assert drainer(store, slack, clock=clock).drain().pending == 1  # posted top-level, then unsure
    store.outbox.mark_sent(parent.id, "1800000000.000009")  # the parent is re-sent meanwhile
    clock.now += 120
    assert drainer(store, slack, clock=clock).drain().reconciled == 1
    assert slack.alert_keys() == ["t1:reply"], "found top-level, not posted again in the thread"


def test_a_reply_waits_while_its_parent_is_held_by_another_drainer(store: Store, slack: FakeSlack) -> None:
    queue(store, _note("q1"))
    queue(store, NewAlert("q1:reply", "note", "content", _note("x", "In the thread").payload, thread_key="q1"))
    clock = FakeClock()
    [parent, _] = store.outbox.alerts()
    held_until = dt.datetime.fromtimestamp(clock.now + 3600, dt.UTC)
    assert store.outbox.claim(parent.id, owner=drainer_identity(), lease_until=held_until)  # a live drainer's
    result = drainer(store, slack, clock=clock).drain()
    assert (result.deferred, result.sent) == (1, 0) and slack.ledger == []
    store.outbox.mark_sent(parent.id, "1800000000.000001")  # the other drainer posts the parent
    clock.now += 10
    assert drainer(store, slack, clock=clock).drain().sent == 1
    [reply] = slack.alerts()
    assert reply["thread_ts"] == "1800000000.000001"


def test_a_thread_reply_in_doubt_is_looked_up_in_its_thread(store: Store, slack: FakeSlack) -> None:
    queue(store, _note("p1"))
    assert drainer(store, slack).drain().sent == 1
    queue(store, NewAlert("p1:reply", "note", "content", _note("x", "Reply in the thread").payload, thread_key="p1"))
    slack.fail("chat.postMessage", Fault(reset_after_accept=True))  # the reply's answer is lost
    assert drainer(store, slack).drain().reconciled == 1
    parent, reply = slack.alerts()
    assert reply["thread_ts"] == parent["ts"] and slack.alert_keys() == ["p1", "p1:reply"]
    assert "conversations.replies" in [m for m, _ in slack.calls]


# --- issue #15: each alert delivered once, whoever drains ----------------------------------
# Drainers in separate processes claim alerts one at a time from the database, by a conditional
# UPDATE; on SQLite and, in the suite's PostgreSQL pass, on PostgreSQL.


def drain_in_child(url: str, base_url: str, token: str, start: multiprocessing.synchronize.Event) -> None:
    store = Store(url)
    drainer = Drainer(store, SlackWebDestination(token, base_url), "#ddor-alerts", "#ddor-ops", min_interval=0.0)
    start.wait(60)
    result = drainer.drain()
    store.close()
    # The exit code carries how many this drainer posted (the test adds them up).
    os._exit(result.sent)


def test_four_drainers_in_separate_processes_post_each_alert_exactly_once(store: Store, slack: FakeSlack) -> None:
    keys = [f"a{n:02d}" for n in range(50)]
    with store.transaction() as connection:
        store.outbox.add(connection, [_note(key, key) for key in keys])
    slack.latency = 0.05  # a slow Slack keeps every drainer's post in flight while the others claim
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    children = [
        context.Process(target=drain_in_child, args=(store.url, slack.base_url, slack.token, start)) for _ in range(4)
    ]
    for child in children:
        child.start()
    start.set()  # all four begin together, once each has imported and connected
    for child in children:
        child.join(120)
    sent = [child.exitcode for child in children]
    assert sorted(slack.alert_keys()) == keys, "each alert exactly once"
    assert sum(code or 0 for code in sent) == 50
    assert sum(1 for code in sent if code) >= 2, f"the drainers shared the work: {sent}"
    assert {alert.state for alert in store.outbox.alerts()} == {"sent"}


def test_a_claim_is_won_by_exactly_one_drainer(store: Store) -> None:
    with store.transaction() as connection:
        store.outbox.add(connection, [_note("k", "k")])
    [alert] = store.outbox.alerts()
    lease = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    assert store.outbox.claim(alert.id, owner="one", lease_until=lease) is True
    assert store.outbox.claim(alert.id, owner="two") is False
    now = dt.datetime.now(dt.UTC)
    assert store.outbox.claim_next("three", now, 60, owner_is_gone) is None, "held under a live claim"


def test_a_claim_left_by_a_dead_process_or_a_lapsed_lease_is_taken_over(store: Store) -> None:
    with store.transaction() as connection:
        store.outbox.add(connection, [_note("dead-owner"), _note("lapsed"), _note("live")])
    now = dt.datetime.now(dt.UTC)
    gone = f"{socket.gethostname()}:{2**22 + 12345}:x"  # above pid_max: no such process
    assert owner_is_gone(gone) and not owner_is_gone(drainer_identity())
    dead_owner, lapsed, live = store.outbox.alerts()
    store.outbox.claim(dead_owner.id, owner=gone, lease_until=now + dt.timedelta(hours=1))
    store.outbox.claim(lapsed.id, owner=drainer_identity(), lease_until=now - dt.timedelta(seconds=1))
    store.outbox.claim(live.id, owner=drainer_identity(), lease_until=now + dt.timedelta(hours=1))
    first = store.outbox.claim_next("me", now, 60, owner_is_gone)
    second = store.outbox.claim_next("me", now, 60, owner_is_gone)
    assert (first and first.key, second and second.key) == ("dead-owner", "lapsed")
    assert store.outbox.claim_next("me", now, 60, owner_is_gone) is None


def test_a_v1_outbox_upgrades_and_its_unanswered_attempt_is_in_doubt(tmp_path: Path) -> None:
    from sqlalchemy import text

    from tests.storage.released import make_released_database

    url = storage_url(tmp_path)
    make_released_database(url, version=1)  # a store as the release's version 1 left it
    store = Store(url)
    with store.transaction() as connection:
        for key, state in (("left-sending", "sending"), ("sent-before", "sent")):
            connection.execute(
                text(
                    "INSERT INTO alerts (key, kind, audience, payload, state, attempts, created_at) "
                    "VALUES (:key, 'note', 'content', '{}', :state, 1, :at)"
                ),
                {"key": key, "state": state, "at": dt.datetime.now(dt.UTC)},
            )
    assert store.upgrade() == [2, 3, 4]
    left, done = store.outbox.by_key("left-sending"), store.outbox.by_key("sent-before")
    assert left is not None and left.state == "sending" and left.in_doubt
    assert done is not None and done.state == "sent" and not done.in_doubt
    store.close()
