"""A fake Slack Web API (and incoming webhook) on 127.0.0.1 for the real slack-sdk.

It keeps a ledger of every accepted message, enforces the documented limits (50 blocks,
3,000 characters a section, 150 a header, 40,000 of text) and can be told to misbehave:
``fail(method, ...)`` queues faults consumed one per call.

It is as strict as Slack where Slack refuses: each channel has an ID (``C…``, made when a
channel name is first posted to, or listed in ``channels``); ``chat.postMessage`` takes a name
or an ID and answers with the ID; ``conversations.history`` and ``conversations.replies`` take
only an ID (a name is ``channel_not_found``), return message metadata only with
``include_all_metadata``, and history leaves out thread replies that were not broadcast.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Fault:
    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    reset_after_accept: bool = False  # store the message, then drop the connection
    reset_before_accept: bool = False  # drop the connection; nothing is stored
    delay: float = 0.0  # store the message, then answer this many seconds later


@dataclass
class FakeSlack:
    token: str = "fake-bot-token-for-tests"
    ledger: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    webhook_ledger: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, float]] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)  # name (without '#') → ID
    latency: float = 0.0  # every chat.postMessage takes this long before it is recorded
    _stopping: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _counter: int = 0
    _pending_files: dict[str, bytes] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    @property
    def webhook_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/services/T000/B000/secretwebhook"

    def fail(self, method: str, *faults: Fault) -> None:
        self.faults.setdefault(method, []).extend(faults)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.ledger if channel is None or m["channel"] == channel]

    def alerts(self) -> list[dict[str, Any]]:
        """Top-level alert messages (thread replies with details carry no alert key)."""
        return [m for m in self.ledger if m.get("metadata")]

    def alert_keys(self) -> list[str]:
        return [m["metadata"]["event_payload"]["alert_key"] for m in self.alerts()]

    def channel_id(self, channel: str, create: bool = False) -> str | None:
        """The ID for a name (``#x`` or ``x``) or an ID; a name never seen gets one when
        ``create`` (the channel exists in the workspace once someone posts to it)."""
        if channel in self.channels.values():
            return channel
        name = channel.lstrip("#")
        with self._lock:
            if name not in self.channels and create:
                self.channels[name] = f"C{len(self.channels) + 1:08d}"
            return self.channels.get(name)

    def _read(self, data: dict[str, Any], replies_to: str | None) -> dict[str, Any]:
        """conversations.history (``replies_to`` None) or .replies, as Slack answers them."""
        channel = data.get("channel") or ""
        if channel not in self.channels.values():
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(data.get("oldest") or 0)
        with_metadata = str(data.get("include_all_metadata", "")).lower() in ("1", "true")
        found = []
        for message in reversed(self.ledger):
            if message["channel_id"] != channel or float(message["ts"]) < oldest:
                continue
            thread = message.get("thread_ts")
            if replies_to is None and thread and not message.get("reply_broadcast"):
                continue
            if replies_to is not None and replies_to not in (thread, message["ts"]):
                continue
            entry = {"ts": message["ts"], "text": message.get("text")}
            if thread:
                entry["thread_ts"] = thread
            if with_metadata and message.get("metadata"):
                entry["metadata"] = message["metadata"]
            found.append(entry)
        start = int(data.get("cursor") or 0)
        limit = int(data.get("limit") or 100)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _check_limits(self, message: dict[str, Any]) -> None:
        blocks = message.get("blocks") or []
        if len(blocks) > 50:
            self.violations.append(f"{len(blocks)} blocks")
        for block in blocks:
            text = (block.get("text") or {}).get("text", "")
            if block.get("type") == "header" and len(text) > 150:
                self.violations.append("header over 150")
            if block.get("type") == "section" and len(text) > 3000:
                self.violations.append("section over 3000")
        if len(message.get("text") or "") > 40000:
            self.violations.append("text over 40000")

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _body_or_raw(self, path: str) -> dict[str, Any]:
                if path.startswith("/upload/"):
                    return {"raw": self.rfile.read(int(self.headers.get("Content-Length") or 0))}
                return self._body()

            def _body(self) -> dict[str, Any]:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    body: dict[str, Any] = json.loads(raw or "{}")
                    return body
                return {k: v[0] for k, v in parse_qs(raw).items()}

            def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if not isinstance(payload, bytes) else "text/plain")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                path, _, query = self.path.partition("?")
                data = {**{k: v[0] for k, v in parse_qs(query).items()}, **self._body_or_raw(path)}
                if path.startswith("/upload/"):
                    fake._pending_files[path.rsplit("/", 1)[-1]] = data["raw"]
                    self._reply(200, b"OK")
                    return
                if path.startswith("/services/"):
                    method = "webhook"
                else:
                    method = path.rsplit("/", 1)[-1]
                    if self.headers.get("Authorization") != f"Bearer {fake.token}":
                        self._reply(200, {"ok": False, "error": "invalid_auth"})
                        return
                with fake._lock:
                    fake.calls.append((method, time.time()))
                    fault = fake.faults.get(method, []).pop(0) if fake.faults.get(method) else None
                if method == "chat.postMessage":
                    fake.channel_id(str(data.get("channel") or ""), create=True)
                    if fake.latency:
                        fake._stopping.wait(fake.latency)
                if fault and fault.reset_before_accept:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault and not (fault.reset_after_accept or fault.delay):
                    if method == "webhook":
                        self._reply(fault.status, (fault.error or "error").encode(), fault.headers)
                    else:
                        self._reply(
                            fault.status, {"ok": False, "error": fault.error or "internal_error"}, fault.headers
                        )
                    return
                if method == "webhook":
                    fake.webhook_ledger.append(data)
                    fake._check_limits(data)
                    self._reply(200, b"ok")
                    return
                if method == "chat.postMessage":
                    for key in ("blocks", "metadata"):
                        if isinstance(data.get(key), str):
                            data[key] = json.loads(data[key])
                    with fake._lock:
                        fake._counter += 1
                        ts = f"{int(time.time())}.{fake._counter:06d}"
                    fake._check_limits(data)
                    channel_id = fake.channel_id(str(data.get("channel") or ""))
                    fake.ledger.append({**data, "ts": ts, "at": time.time(), "channel_id": channel_id})
                    if fault and fault.reset_after_accept:
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    if fault and fault.delay and fake._stopping.wait(fault.delay):
                        return  # stopped while the answer was still "on its way"
                    self._reply(200, {"ok": True, "channel": channel_id, "ts": ts})
                    return
                if method == "files.getUploadURLExternal":
                    with fake._lock:
                        fake._counter += 1
                        file_id = f"F{fake._counter:06d}"
                    port = fake._server.server_address[1]  # type: ignore[union-attr]
                    self._reply(
                        200, {"ok": True, "file_id": file_id, "upload_url": f"http://127.0.0.1:{port}/upload/{file_id}"}
                    )
                    return
                if method == "files.completeUploadExternal":
                    for item in json.loads(data.get("files", "[]")):
                        fake.uploads.append(
                            {
                                "id": item["id"],
                                "title": item.get("title"),
                                "channel": data.get("channel_id"),
                                "thread_ts": data.get("thread_ts"),
                                "content": fake._pending_files.pop(item["id"], b""),
                            }
                        )
                    self._reply(200, {"ok": True, "files": []})
                    return
                if method == "conversations.history":
                    self._reply(200, fake._read(data, None))
                    return
                if method == "conversations.replies":
                    self._reply(200, fake._read(data, str(data.get("ts") or "")))
                    return
                if method == "conversations.list":
                    listed = [{"id": cid, "name": name, "is_channel": True} for name, cid in fake.channels.items()]
                    self._reply(200, {"ok": True, "channels": listed, "response_metadata": {"next_cursor": ""}})
                    return
                self._reply(200, {"ok": False, "error": "unknown_method"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll: shutdown() waits up to one poll interval, and every test that uses
        # the fake pays it at teardown (0.5 s by default).
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
