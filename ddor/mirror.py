"""Serve one stage of the bundled ICE mirror on 127.0.0.1 (for tests and ``ddor demo``).

``GET /declined-detainer-outcome-report`` → ``pages/<stage>.html``; ``GET /doclib/<path>`` →
``doclib/<path>``; anything else → 404. Responses carry ``ETag``/``Last-Modified`` and
answer conditional requests with 304, as ice.gov's Drupal did. Every request is logged, and
``overrides`` lets a test make one path misbehave.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LISTING_PATH = "/declined-detainer-outcome-report"
STAGES = ("2017-03-20", "2017-03-29", "2017-04-06", "2017-04-13", "2019-07-15")


def bundled_mirror() -> Path:
    """The mirror shipped with the package (``ddor/demo_site``): ``ddor demo`` serves it, and
    the tests use it as their ICE page."""
    return Path(__file__).resolve().parent / "demo_site"


@dataclass
class Logged:
    method: str
    path: str
    headers: dict[str, str]
    status: int
    sent_bytes: int = 0


Override = Callable[[BaseHTTPRequestHandler], bool]


@dataclass
class MirrorServer:
    root: Path
    stage: str = STAGES[0]
    log: list[Logged] = field(default_factory=list)
    overrides: dict[str, Override] = field(default_factory=dict)
    # Files put over the mirror's ones (a corrected PDF at the same URL, say).
    replacements: dict[str, bytes] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def listing_url(self) -> str:
        return self.base_url + LISTING_PATH

    def body_for(self, path: str) -> tuple[bytes, str] | None:
        if path in self.replacements:
            kind = "text/html; charset=utf-8" if path == LISTING_PATH else "application/pdf"
            return self.replacements[path], kind
        if path == LISTING_PATH:
            page = self.root / "pages" / f"{self.stage}.html"
            return page.read_bytes(), "text/html; charset=utf-8"
        if path.startswith("/doclib/") and ".." not in path:
            target = self.root / path.lstrip("/")
            if target.is_file():
                return target.read_bytes(), "application/pdf"
        return None

    def start(self) -> MirrorServer:
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet: the test log is ours
                return None

            def do_GET(self) -> None:  # noqa: N802 — http.server's naming
                path = self.path.split("?", 1)[0]
                override = mirror.overrides.get(path)
                if override is not None and override(self):
                    mirror.log.append(Logged("GET", path, dict(self.headers), -1))
                    return
                found = mirror.body_for(path)
                if found is None:
                    self._send(404, b"not found", "text/plain", path)
                    return
                body, content_type = found
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", content_type, path, etag)
                    return
                self._send(200, body, content_type, path, etag)

            def _send(self, status: int, body: bytes, content_type: str, path: str, etag: str | None = None) -> None:
                mirror.log.append(Logged("GET", path, dict(self.headers), status, 0 if status == 304 else len(body)))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if etag:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", formatdate(0, usegmt=True))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll: stop() waits up to one poll interval (0.5 s by default), paid by every test.
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def requests_to(self, path: str) -> list[Logged]:
        return [entry for entry in self.log if entry.path == path]
