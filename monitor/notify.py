"""Delivery: drain the outbox to Slack (bot token or webhook) or the console, exactly once.

The SDK's default retry handler re-sends after a connection reset and can double-post, so
the WebClient is built with no retry handlers; we classify errors ourselves:

* retryable (429 with ``Retry-After``, ``ratelimited``, ``service_unavailable``): Slack did not
  post it; wait as told and retry. Rate limits never use up the attempt budget;
* ambiguous (connection reset, timeout, 5xx, ``internal_error``, ``fatal_error``): Slack may
  have posted it. The alert is *in doubt* until a history read (by the channel's ID, with the
  alert key in the message metadata) says whether Slack has it; it is re-posted only when that
  read says it is absent. A failed read is never taken as "absent": the read is retried with
  backoff, and the doubt is kept in the outbox for the next drain;
* permanent (auth, channel, payload errors): dead at once, visible in ``ddor status``; an
  alert also dies when ``slack.give_up_after_hours`` pass without it being delivered.

Claims: each drainer (``ddor crawl``, ``backfill --alert``, ``alert retry``, in any process)
takes one alert at a time with one conditional UPDATE (pending → sending) and holds it under a
lease it renews before each call to Slack. A claim whose drainer died (a process gone on this
host, or a lapsed lease) is taken over, and its doubt resolved first. Each attempt is recorded
(in doubt) before the call, so a crash between Slack's answer and our commit is reconciled the
same way on the next drain.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import socket
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError

from monitor.faults import crash_point
from monitor.health import record_delivery
from monitor.render import render_console, render_slack
from storage.store import OutboxAlert, Store

log = logging.getLogger("ddor.notify")

PERMANENT = {
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "missing_scope",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "posting_to_general_channel_denied",
    "msg_too_long",
    "no_text",
    "invalid_blocks",
    "msg_blocks_too_long",
    "invalid_arguments",
    "invalid_metadata_format",
    "restricted_action",
}
RETRYABLE = {"ratelimited", "service_unavailable", "request_timeout"}
METADATA_EVENT = "ddor_alert"
# A Slack conversation ID (public C…, private G…, direct D…), as opposed to a "#name".
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
# History pages read before giving up on finding an alert (never read as "absent").
MAX_HISTORY_PAGES = 20


class DeliveryError(Exception):
    def __init__(self, reason: str, outcome: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.outcome = outcome  # retryable | ambiguous | permanent
        self.retry_after = retry_after


@dataclass(frozen=True)
class Posted:
    """Slack's answer to a post: the message's ``ts`` and the channel's ID (None when the
    destination does not say, as the console and webhooks do not)."""

    ts: str | None
    channel_id: str | None = None


class Destination(Protocol):
    name: str
    can_reconcile: bool  # can read the channel back (resolve a doubt); webhooks cannot
    can_upload: bool  # can attach a file (the chart) to a thread: the bot token's Web API only
    delivers: bool  # False for --dry-run: payloads are shown, nothing is recorded as sent

    def post(self, alert: OutboxAlert, message: dict[str, Any], channel: str, thread_ts: str | None) -> Posted: ...

    def find(self, channel_id: str, key: str, oldest: float, thread_ts: str | None = None) -> str | None:
        """The ts of the message carrying ``key``, or None when the whole window was read and
        it is not there; raises DeliveryError when that cannot be told."""
        ...

    def resolve_channel(self, channel: str) -> str:
        """The ID of a channel given by name."""
        ...

    def reply(self, channel: str, thread_ts: str, text: str) -> None: ...

    def upload(self, channel: str, thread_ts: str, content: bytes, filename: str, title: str) -> None:
        """Attach a file in the thread (called only when ``can_upload``)."""
        ...


@dataclass
class ConsoleDestination:
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    name: str = "console"
    can_reconcile: bool = False
    can_upload: bool = False
    delivers: bool = True

    def post(self, alert: OutboxAlert, message: dict[str, Any], channel: str, thread_ts: str | None) -> Posted:
        self.stream.write(f"\n[{alert.kind} → {channel}]\n{render_console(alert.payload)}\n")
        self.stream.flush()
        return Posted(None)

    def find(self, channel_id: str, key: str, oldest: float, thread_ts: str | None = None) -> str | None:
        return None

    def resolve_channel(self, channel: str) -> str:
        return channel

    def reply(self, channel: str, thread_ts: str, text: str) -> None:
        return None

    def upload(self, channel: str, thread_ts: str, content: bytes, filename: str, title: str) -> None:
        return None


@dataclass
class DryRunDestination(ConsoleDestination):
    """Prints the exact JSON payload that would be sent."""

    name: str = "dry-run"
    delivers: bool = False

    def post(self, alert: OutboxAlert, message: dict[str, Any], channel: str, thread_ts: str | None) -> Posted:
        body = {
            "channel": channel,
            "text": message["text"],
            "blocks": message["blocks"],
            "thread_ts": thread_ts,
            "metadata": _metadata(alert.key),
        }
        self.stream.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return Posted(None)


def _metadata(key: str) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"alert_key": key}}


def classify_api_error(exc: SlackApiError) -> DeliveryError:
    response = exc.response
    error = str(response.get("error") or "") if response is not None else ""
    status = getattr(response, "status_code", 0)
    if status == 429 or error == "ratelimited":
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
        return DeliveryError(error or "ratelimited", "retryable", float(retry_after or 1))
    if error in PERMANENT:
        return DeliveryError(error, "permanent")
    if error in RETRYABLE:
        return DeliveryError(error, "retryable")
    if status >= 500 or error in ("internal_error", "fatal_error"):
        return DeliveryError(error or f"HTTP {status}", "ambiguous")
    return DeliveryError(error or f"HTTP {status}", "permanent")


def _connection_error(exc: BaseException, outcome: str) -> DeliveryError:
    # The type only: an exception's text can carry a URL, and a webhook's URL is its secret.
    return DeliveryError(f"connection error: {type(exc).__name__}", outcome)


def _post_connection_error(exc: BaseException) -> DeliveryError:
    """A refused connection or an unknown host never reached Slack: nothing can have been
    posted. Anything else (reset, timeout) may have been."""
    reason = getattr(exc, "reason", exc)  # urllib wraps the socket error in URLError
    if isinstance(reason, ConnectionRefusedError | socket.gaierror):
        return DeliveryError(f"connection error: {type(reason).__name__}", "retryable")
    return _connection_error(exc, "ambiguous")


class SlackWebDestination:
    name = "slack"
    can_reconcile = True
    can_upload = True
    delivers = True

    def __init__(self, token: str, base_url: str, timeout: float = 15.0) -> None:
        # retry_handlers=[]: the SDK's connection-error retry could post a message twice.
        # The SDK hands timeout to urlopen, which takes fractions of a second too.
        self.client = WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])  # type: ignore[arg-type]

    def post(self, alert: OutboxAlert, message: dict[str, Any], channel: str, thread_ts: str | None) -> Posted:
        try:
            response = self.client.chat_postMessage(
                channel=channel,
                text=message["text"],
                blocks=message["blocks"],
                thread_ts=thread_ts,
                reply_broadcast=bool(thread_ts and message.get("reply_broadcast")),
                metadata=_metadata(alert.key),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            raise classify_api_error(exc) from None
        except (OSError, TimeoutError) as exc:  # URLError, resets, timeouts are OSErrors
            raise _post_connection_error(exc) from None
        channel_id = response.get("channel")
        return Posted(str(response.get("ts")), str(channel_id) if channel_id else None)

    def find(self, channel_id: str, key: str, oldest: float, thread_ts: str | None = None) -> str | None:
        # A reply that is not broadcast is absent from conversations.history: read its thread.
        try:
            cursor = None
            for _ in range(MAX_HISTORY_PAGES):
                window = f"{oldest:.6f}"
                if thread_ts:
                    response = self.client.conversations_replies(
                        channel=channel_id,
                        ts=thread_ts,
                        oldest=window,
                        include_all_metadata=True,
                        limit=200,
                        cursor=cursor,
                    )
                else:
                    response = self.client.conversations_history(
                        channel=channel_id, oldest=window, include_all_metadata=True, limit=200, cursor=cursor
                    )
                messages: list[dict[str, Any]] = response.get("messages", [])
                for message in messages:
                    payload = (message.get("metadata") or {}).get("event_payload") or {}
                    if payload.get("alert_key") == key:
                        return str(message.get("ts"))
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return None
        except SlackApiError as exc:
            raise classify_api_error(exc) from None
        except (OSError, TimeoutError) as exc:
            raise _connection_error(exc, "retryable") from None
        raise DeliveryError(f"history longer than {MAX_HISTORY_PAGES} pages; cannot tell", "retryable")

    def resolve_channel(self, channel: str) -> str:
        wanted = channel.lstrip("#")
        try:
            cursor = None
            for _ in range(MAX_HISTORY_PAGES):
                response = self.client.conversations_list(
                    types="public_channel,private_channel", exclude_archived=True, limit=200, cursor=cursor
                )
                listed: list[dict[str, Any]] = response.get("channels", [])
                for entry in listed:
                    if entry.get("name") == wanted:
                        return str(entry["id"])
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as exc:
            raise classify_api_error(exc) from None
        except (OSError, TimeoutError) as exc:
            raise _connection_error(exc, "retryable") from None
        raise DeliveryError(f"conversations.list has no channel named {channel}", "permanent")

    def reply(self, channel: str, thread_ts: str, text: str) -> None:
        self.client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=text, unfurl_links=False, unfurl_media=False
        )

    def upload(self, channel: str, thread_ts: str, content: bytes, filename: str, title: str) -> None:
        self.client.files_upload_v2(
            channel=channel, thread_ts=thread_ts, content=content, filename=filename, title=title
        )


class WebhookDestination:
    """Incoming webhook: it cannot read back, so delivery is at-least-once (README)."""

    name = "webhook"
    can_reconcile = False
    can_upload = False
    delivers = True

    def __init__(self, url: str, timeout: float = 15.0) -> None:
        self.client = WebhookClient(url, timeout=timeout, retry_handlers=[])  # type: ignore[arg-type]

    def post(self, alert: OutboxAlert, message: dict[str, Any], channel: str, thread_ts: str | None) -> Posted:
        try:
            response = self.client.send(
                text=message["text"], blocks=message["blocks"], unfurl_links=False, unfurl_media=False
            )
        except (OSError, TimeoutError) as exc:
            raise _post_connection_error(exc) from None
        if response.status_code == 200:
            return Posted(None)
        body = str(response.body)[:100]
        if response.status_code == 429:
            retry = response.headers.get("Retry-After") or response.headers.get("retry-after")
            raise DeliveryError(f"HTTP 429 {body}", "retryable", float(retry or 1))
        outcome = "ambiguous" if response.status_code >= 500 else "permanent"
        raise DeliveryError(f"HTTP {response.status_code} {body}", outcome)

    def find(self, channel_id: str, key: str, oldest: float, thread_ts: str | None = None) -> str | None:
        return None

    def resolve_channel(self, channel: str) -> str:
        return channel

    def reply(self, channel: str, thread_ts: str, text: str) -> None:
        return None

    def upload(self, channel: str, thread_ts: str, content: bytes, filename: str, title: str) -> None:
        return None


@dataclass
class DrainResult:
    sent: int = 0
    dead: int = 0
    pending: int = 0  # left for a later drain after failures (not dead: still within its time budget)
    reconciled: int = 0
    deferred: int = 0  # a thread reply whose parent was still on its way
    lost: int = 0  # another drainer took the claim over (this one overran its lease)
    printed: int = 0  # --dry-run: shown, not sent


class _ClaimLost(Exception):
    """Another drainer holds the alert now; this one must not touch it again."""


def drainer_identity() -> str:
    """host:pid:token — unique per drainer, and tells another drainer on this host whether
    the process holding a claim still lives."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_gone(owner: str) -> bool:
    """True when ``owner``'s process is known to be dead: on this host, and no such pid.
    Elsewhere (or unsure) its claim is only taken over when its lease lapses."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: alive, someone else's
        return False
    return False


def backoff(failures: int) -> float:
    return min(2.0**failures, 30.0)


@dataclass
class Drainer:
    store: Store
    destination: Destination
    channel: str
    ops_channel: str
    max_attempts: int = 5  # ambiguous or failed posts per alert per drain, then it waits for the next drain
    min_interval: float = 1.0
    top_changes: int = 12
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    max_wait: float = 120.0  # longest single wait in a drain (a longer Retry-After: the next drain)
    give_up_after: float = 24 * 3600.0  # slack.give_up_after_hours: undelivered this long → dead
    lease_seconds: float = 600.0  # must outlast one Slack call plus one wait
    read_attempts: int = 5  # history reads per doubt per drain before leaving it for the next drain
    max_rate_limited: int = 30  # 429s per alert per drain before leaving it for the next drain
    retry_later: float = 60.0  # an alert left for later is not claimed again before this
    owner: str = field(default_factory=drainer_identity)
    _last_post: dict[str, float] = field(default_factory=dict)
    _channel_ids: dict[str, str] = field(default_factory=dict)

    def drain(self) -> DrainResult:
        result = DrainResult()
        if not self.destination.delivers:
            # --dry-run: show the exact payloads, record no attempt, mark nothing sent.
            for alert in self.store.outbox.alerts(states=("pending", "sending")):
                message = render_slack(alert.payload, self.top_changes)
                self.destination.post(alert, message, alert.channel or self._channel(alert), None)
                result.printed += 1
            return result
        # One claim at a time, from the database: never from a list read before other
        # drainers (or this one) changed it.
        while True:
            claimed = self.store.outbox.claim_next(self.owner, self._now(), self.lease_seconds, owner_is_gone)
            if claimed is None:
                return result
            try:
                outcome = self._deliver(claimed)
            except _ClaimLost:
                log.warning("alert %s: another drainer took it over; leaving it", claimed.key)
                outcome = "lost"
            except BaseException:
                # Leave it for the next drain, its doubt intact (a crash would do the same, later).
                self.store.outbox.release(claimed.id, self.owner, "drain interrupted", None)
                raise
            setattr(result, outcome, getattr(result, outcome) + 1)
            if outcome == "pending":
                # Slack is failing or rate limiting: the rest waits for the next drain rather
                # than each alert spending its own retries and waits on the same outage.
                return result

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)

    def _channel(self, alert: OutboxAlert) -> str:
        if route_channel := alert.payload.get("channel"):  # a desk's route digest (monitor/alerts.py)
            return str(route_channel)
        return self.ops_channel if alert.audience == "ops" else self.channel

    def _thread_ts(self, alert: OutboxAlert) -> str | None:
        if not alert.thread_key:
            return None
        parent = self.store.outbox.by_key(alert.thread_key)
        return parent.slack_ts if parent and parent.state == "sent" else None

    def _parent_on_its_way(self, alert: OutboxAlert) -> bool:
        parent = self.store.outbox.by_key(alert.thread_key) if alert.thread_key else None
        return parent is not None and parent.state in ("pending", "sending")

    def _throttle(self, channel: str) -> None:
        last = self._last_post.get(channel)
        if last is not None:
            wait = self.min_interval - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)
        self._last_post[channel] = self.clock()

    def _renew(self, alert: OutboxAlert) -> None:
        if not self.store.outbox.renew_claim(
            alert.id, self.owner, self._now() + dt.timedelta(seconds=self.lease_seconds)
        ):
            raise _ClaimLost(alert.key)

    def _out_of_time(self, first_attempt: dt.datetime | None) -> bool:
        return first_attempt is not None and (self._now() - first_attempt).total_seconds() >= self.give_up_after

    def _dead(self, alert: OutboxAlert, reason: str, in_doubt: bool) -> str:
        log.error("alert %s is dead: %s", alert.key, reason)
        if not self.store.outbox.mark_failed(alert.id, reason, dead=True, owner=self.owner, in_doubt=in_doubt):
            raise _ClaimLost(alert.key)
        return "dead"

    def _later(self, alert: OutboxAlert, reason: str, wait: float | None = None) -> str:
        """Not delivered in this drain, not dead either: the next drain carries on."""
        not_before = self._now() + dt.timedelta(seconds=max(wait or 0.0, self.retry_later))
        log.warning("alert %s left for a later drain: %s", alert.key, reason)
        channel_id = self._channel_ids.get(alert.channel or self._channel(alert))
        if not self.store.outbox.release(alert.id, self.owner, reason, not_before, channel_id):
            raise _ClaimLost(alert.key)
        return "pending"

    def _channel_id(self, channel: str) -> str:
        """The channel's ID, which history reads need (Slack refuses a name there): the channel
        itself when it is an ID, else the one a post answered with, else conversations.list."""
        if CHANNEL_ID.match(channel):
            return channel
        if channel not in self._channel_ids:
            known = self.store.outbox.known_channel_id(channel) or self.destination.resolve_channel(channel)
            self._channel_ids[channel] = known
        return self._channel_ids[channel]

    def _look_up(self, alert: OutboxAlert, channel: str, thread_ts: str | None) -> tuple[str, str | None]:
        """Whether Slack has the alert: ("found", ts), ("absent", None), ("unknown", why) after
        reads that kept failing, or ("refused", why) when Slack will not let us read."""
        # The message cannot predate its alert; a minute covers clocks that disagree.
        created = alert.created_at or (self._now() - dt.timedelta(days=7))
        oldest = created.timestamp() - 60
        failures = rate_limited = 0
        while True:
            try:
                self._renew(alert)
                channel_id = self._channel_id(channel)
                found = self.destination.find(channel_id, alert.key, oldest, thread_ts)
                if not found and thread_ts:
                    # An earlier attempt may have gone out before the parent had a ts, top-level.
                    found = self.destination.find(channel_id, alert.key, oldest, None)
            except DeliveryError as exc:
                if exc.outcome == "permanent":
                    return "refused", exc.reason
                if exc.retry_after is not None and rate_limited < self.max_rate_limited:
                    rate_limited += 1
                    if exc.retry_after <= self.max_wait:
                        self.sleep(exc.retry_after)
                        continue
                failures += 1
                if failures >= self.read_attempts:
                    return "unknown", exc.reason
                log.warning("alert %s: history read failed (%s); retrying", alert.key, exc.reason)
                self.sleep(backoff(failures))
                continue
            return ("found", found) if found else ("absent", None)

    def _deliver(self, alert: OutboxAlert) -> str:
        channel = alert.channel or self._channel(alert)
        if self._parent_on_its_way(alert):
            # A reply posted before its parent has no thread to go in: wait for the parent
            # (another drainer's, or one left for later), without claiming this one again at once.
            not_before = self._now() + dt.timedelta(seconds=max(self.min_interval, 5.0))
            if not self.store.outbox.release(alert.id, self.owner, alert.last_error, not_before):
                raise _ClaimLost(alert.key)
            return "deferred"
        message = render_slack(alert.payload, self.top_changes)
        thread_ts = self._thread_ts(alert)
        in_doubt, first_attempt, last_error = alert.in_doubt, alert.first_attempt_at, alert.last_error
        failures = rate_limited = 0
        while True:
            if in_doubt and self.destination.can_reconcile:
                verdict, detail = self._look_up(alert, channel, thread_ts)
                if verdict == "found":
                    if not self.store.outbox.mark_sent(
                        alert.id, detail, self._channel_ids.get(channel), owner=self.owner
                    ):
                        raise _ClaimLost(alert.key)
                    log.info("alert %s was already posted (ts %s); marked sent", alert.key, detail)
                    # Its details never went out: they follow only a post whose ts we recorded.
                    self._post_thread(channel, detail, message, alert.payload)
                    return "reconciled"
                if verdict == "refused":
                    return self._dead(alert, f"cannot check whether Slack has it: {detail}", in_doubt=True)
                if verdict == "unknown":
                    reason = f"cannot check whether Slack has it yet: {detail}"
                    if self._out_of_time(first_attempt):
                        return self._dead(alert, f"gave up after {self.give_up_after / 3600:g} h: {reason}", True)
                    return self._later(alert, reason)
                self.store.outbox.set_in_doubt(alert.id, self.owner, False)
                in_doubt = False
            if self._out_of_time(first_attempt):
                return self._dead(
                    alert, f"gave up after {self.give_up_after / 3600:g} h: {last_error or 'unknown'}", in_doubt
                )
            if failures >= self.max_attempts:
                return self._later(alert, f"{failures} failed attempts in this drain: {last_error}")
            self._throttle(channel)
            lease = self._now() + dt.timedelta(seconds=self.lease_seconds)
            if not self.store.outbox.record_attempt(alert.id, self.owner, channel, self._now(), lease):
                raise _ClaimLost(alert.key)
            first_attempt = first_attempt or self._now()
            in_doubt = True
            try:
                posted = self.destination.post(alert, message, channel, thread_ts)
            except DeliveryError as exc:
                last_error = exc.reason
                log.warning("alert %s: post failed: %s (%s)", alert.key, exc.reason, exc.outcome)
                if exc.outcome == "permanent":
                    return self._dead(alert, exc.reason, in_doubt=False)
                if exc.outcome == "retryable":  # Slack refused it: nothing was posted
                    self.store.outbox.set_in_doubt(alert.id, self.owner, False, exc.reason)
                    in_doubt = False
                    if exc.retry_after is not None:  # rate limited: wait as told, no attempt used
                        rate_limited += 1
                        if exc.retry_after > self.max_wait or rate_limited > self.max_rate_limited:
                            return self._later(alert, exc.reason, exc.retry_after)
                        self.sleep(exc.retry_after)
                        continue
                else:
                    self.store.outbox.set_in_doubt(alert.id, self.owner, True, exc.reason)
                failures += 1
                if failures < self.max_attempts:  # else: no wait, the next drain carries on
                    self.sleep(backoff(failures))
                continue
            crash_point("after-accept")
            if posted.channel_id:
                self._channel_ids[channel] = posted.channel_id
            if not self.store.outbox.mark_sent(alert.id, posted.ts, posted.channel_id, owner=self.owner):
                raise _ClaimLost(alert.key)
            crash_point("after-sent")
            self._post_thread(channel, posted.ts, message, alert.payload)
            return "sent"

    def _post_thread(
        self, channel: str, ts: str | None, message: dict[str, Any], payload: dict[str, Any] | None = None
    ) -> None:
        """Details (and the chart) go as replies; best-effort, never blocking or duplicating
        the alert, which is already marked sent."""
        if not ts:
            return
        series = (payload or {}).get("chart")
        if self.destination.can_upload and isinstance(series, dict) and len(series.get("periods", [])) >= 2:
            try:
                from monitor.chart import series_png

                self.destination.upload(
                    channel,
                    ts,
                    series_png(series),
                    "ddor-top-jurisdictions.png",
                    "Declined detainers, top jurisdictions",
                )
            except Exception as exc:  # noqa: BLE001 — a failed chart must not undo the alert
                log.warning("chart upload failed: %s", type(exc).__name__)
        for text in message.get("thread", []):
            try:
                self._throttle(channel)
                self.destination.reply(channel, ts, text)
            except Exception as exc:  # noqa: BLE001 — a failed reply must not undo the alert
                log.warning("thread reply failed: %s", type(exc).__name__)


@dataclass(frozen=True)
class RetryOutcome:
    requeued: list[str]
    unknown: list[str]  # asked-for keys that are not dead alerts
    delivery: DrainResult
    problem: str | None  # delivery health after the drain; None when healthy


def retry_dead(
    store: Store, drainer: Drainer, keys: Sequence[str] = (), run_id: str = "", failures_before_ops_alert: int = 2
) -> RetryOutcome:
    """``ddor alert retry``: dead alerts (all, or ``keys``) back to pending with a fresh time
    budget, then one drain — each delivered once, as usual (an alert that died in doubt is
    looked up before any re-post) — and delivery health recorded from the result."""
    requeued = store.outbox.requeue_dead(keys)
    unknown = [key for key in keys if key not in requeued]
    result = drainer.drain()
    problem = record_delivery(store, result, run_id or f"retry-{uuid.uuid4().hex[:8]}", failures_before_ops_alert)
    if problem is None:
        # The ops note that delivery recovered, now rather than at the next cycle.
        note = drainer.drain()
        result = DrainResult(**{name: getattr(result, name) + getattr(note, name) for name in vars(result)})
    return RetryOutcome(requeued, unknown, result, problem)
