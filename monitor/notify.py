"""Delivery: drain the outbox to Slack (bot token or webhook) or the console, exactly once.

The SDK's default retry handler re-sends after a connection reset and can double-post, so
the WebClient is built with no retry handlers; we classify errors ourselves:

* retryable (429 with ``Retry-After``, ``ratelimited``, ``service_unavailable``): wait, retry;
* ambiguous (connection reset/timeout, 5xx, ``internal_error``, ``fatal_error``): Slack may
  have posted; look for the alert key in ``conversations.history`` metadata before re-posting;
* permanent (auth, channel, payload errors): dead at once, visible in ``ddor status``.

Each attempt is recorded (state ``sending``) before the call, so a crash between Slack's
answer and our commit is reconciled the same way on the next drain.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError

from monitor.faults import crash_point
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


class DeliveryError(Exception):
    def __init__(self, reason: str, outcome: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.outcome = outcome  # retryable | ambiguous | permanent
        self.retry_after = retry_after


class Destination(Protocol):
    name: str
    can_reconcile: bool

    def post(self, alert: OutboxAlert, message: dict[str, Any], channel: str, thread_ts: str | None) -> str | None: ...

    def find(self, channel: str, key: str, oldest: float) -> str | None: ...

    def reply(self, channel: str, thread_ts: str, text: str) -> None: ...


@dataclass
class ConsoleDestination:
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    name: str = "console"
    can_reconcile: bool = False

    def post(self, alert: OutboxAlert, message: dict[str, Any], channel: str, thread_ts: str | None) -> str | None:
        self.stream.write(f"\n[{alert.kind} → {channel}]\n{render_console(alert.payload)}\n")
        self.stream.flush()
        return None

    def find(self, channel: str, key: str, oldest: float) -> str | None:
        return None

    def reply(self, channel: str, thread_ts: str, text: str) -> None:
        return None


@dataclass
class DryRunDestination(ConsoleDestination):
    """Prints the exact JSON payload that would be sent."""

    name: str = "dry-run"

    def post(self, alert: OutboxAlert, message: dict[str, Any], channel: str, thread_ts: str | None) -> str | None:
        body = {
            "channel": channel,
            "text": message["text"],
            "blocks": message["blocks"],
            "thread_ts": thread_ts,
            "metadata": _metadata(alert.key),
        }
        self.stream.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return None


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


class SlackWebDestination:
    name = "slack"
    can_reconcile = True

    def __init__(self, token: str, base_url: str, timeout: float = 15.0) -> None:
        # retry_handlers=[]: the SDK's connection-error retry could post a message twice.
        self.client = WebClient(token=token, base_url=base_url, timeout=int(timeout), retry_handlers=[])

    def post(self, alert: OutboxAlert, message: dict[str, Any], channel: str, thread_ts: str | None) -> str | None:
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
            raise DeliveryError(f"connection error: {type(exc).__name__}", "ambiguous") from None
        return str(response.get("ts"))

    def find(self, channel: str, key: str, oldest: float) -> str | None:
        try:
            cursor = None
            for _ in range(10):
                response = self.client.conversations_history(
                    channel=channel, oldest=f"{oldest:.6f}", include_all_metadata=True, limit=200, cursor=cursor
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
            raise DeliveryError(f"connection error: {type(exc).__name__}", "retryable") from None
        return None

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

    def __init__(self, url: str, timeout: float = 15.0) -> None:
        self.client = WebhookClient(url, timeout=int(timeout), retry_handlers=[])

    def post(self, alert: OutboxAlert, message: dict[str, Any], channel: str, thread_ts: str | None) -> str | None:
        try:
            response = self.client.send(
                text=message["text"], blocks=message["blocks"], unfurl_links=False, unfurl_media=False
            )
        except (OSError, TimeoutError) as exc:
            # The exception text can carry the URL, which is itself the secret.
            raise DeliveryError(f"connection error: {type(exc).__name__}", "ambiguous") from None
        if response.status_code == 200:
            return None
        body = str(response.body)[:100]
        if response.status_code == 429:
            retry = response.headers.get("Retry-After") or response.headers.get("retry-after")
            raise DeliveryError(f"HTTP 429 {body}", "retryable", float(retry or 1))
        outcome = "ambiguous" if response.status_code >= 500 else "permanent"
        raise DeliveryError(f"HTTP {response.status_code} {body}", outcome)

    def find(self, channel: str, key: str, oldest: float) -> str | None:
        return None

    def reply(self, channel: str, thread_ts: str, text: str) -> None:
        return None


@dataclass
class DrainResult:
    sent: int = 0
    dead: int = 0
    pending: int = 0
    reconciled: int = 0


@dataclass
class Drainer:
    store: Store
    destination: Destination
    channel: str
    ops_channel: str
    max_attempts: int = 5
    min_interval: float = 1.0
    top_changes: int = 12
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    max_wait: float = 120.0
    _last_post: dict[str, float] = field(default_factory=dict)

    def drain(self) -> DrainResult:
        result = DrainResult()
        if isinstance(self.destination, DryRunDestination):
            # --dry-run: show the exact payloads, record no attempt, mark nothing sent.
            for alert in self.store.alerts(states=("pending", "sending")):
                message = render_slack(alert.payload, self.top_changes)
                self.destination.post(alert, message, alert.channel or self._channel(alert), None)
                result.pending += 1
            return result
        for alert in self.store.alerts(states=("pending", "sending")):
            outcome = self._deliver(alert)
            setattr(result, outcome, getattr(result, outcome) + 1)
        return result

    def _channel(self, alert: OutboxAlert) -> str:
        if route_channel := alert.payload.get("channel"):  # a desk's route digest (monitor/alerts.py)
            return str(route_channel)
        return self.ops_channel if alert.audience == "ops" else self.channel

    def _thread_ts(self, alert: OutboxAlert) -> str | None:
        if not alert.thread_key:
            return None
        parent = self.store.alert_by_key(alert.thread_key)
        return parent.slack_ts if parent and parent.state == "sent" else None

    def _throttle(self, channel: str) -> None:
        last = self._last_post.get(channel)
        if last is not None:
            wait = self.min_interval - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)
        self._last_post[channel] = self.clock()

    def _deliver(self, alert: OutboxAlert) -> str:
        channel = alert.channel or self._channel(alert)
        message = render_slack(alert.payload, self.top_changes)
        attempts = alert.attempts
        uncertain = alert.state == "sending"
        while True:
            if uncertain and self.destination.can_reconcile:
                try:
                    found = self.destination.find(channel, alert.key, self.clock() - 7 * 86400)
                except DeliveryError as exc:
                    found = None
                    if exc.outcome == "permanent":
                        self.store.mark_failed(alert.id, f"reconcile: {exc.reason}", dead=True)
                        return "dead"
                if found:
                    self.store.mark_sent(alert.id, found)
                    log.info("alert %s was already posted (ts %s); marked sent", alert.key, found)
                    return "reconciled"
            if attempts >= self.max_attempts:
                self.store.mark_failed(
                    alert.id, f"gave up after {attempts} attempts: {alert.last_error or 'unknown'}", dead=True
                )
                return "dead"
            self._throttle(channel)
            self.store.claim_alert(alert.id, channel)
            attempts += 1
            try:
                ts = self.destination.post(alert, message, channel, self._thread_ts(alert))
            except DeliveryError as exc:
                log.warning("alert %s attempt %d failed: %s (%s)", alert.key, attempts, exc.reason, exc.outcome)
                if exc.outcome == "permanent":
                    self.store.mark_failed(alert.id, exc.reason, dead=True)
                    return "dead"
                if attempts >= self.max_attempts:
                    self.store.mark_failed(alert.id, f"gave up after {attempts} attempts: {exc.reason}", dead=True)
                    return "dead"
                uncertain = exc.outcome == "ambiguous"
                if not uncertain:
                    self.store.mark_failed(alert.id, exc.reason, dead=False)
                wait = exc.retry_after if exc.retry_after is not None else min(2.0**attempts, 30.0)
                self.sleep(min(wait, self.max_wait))
                continue
            crash_point("after-accept")
            self.store.mark_sent(alert.id, ts)
            crash_point("after-sent")
            self._post_thread(channel, ts, message, alert.payload)
            return "sent"

    def _post_thread(
        self, channel: str, ts: str | None, message: dict[str, Any], payload: dict[str, Any] | None = None
    ) -> None:
        """Details (and the chart) go as replies; best-effort, never blocking or duplicating
        the alert, which is already marked sent."""
        if not ts:
            return
        upload = getattr(self.destination, "upload", None)
        series = (payload or {}).get("chart")
        if upload is not None and isinstance(series, dict) and len(series.get("periods", [])) >= 2:
            try:
                from monitor.chart import series_png

                upload(
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
