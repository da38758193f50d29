"""Builds the pieces a command needs from the config: store, destination, logging."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TextIO

# Every command sets up logging through this module, `ddor parse` included: the store
# (SQLAlchemy) and the destinations (slack-sdk) are imported only by the functions that build them.
if TYPE_CHECKING:
    from ddor.config import Config
    from monitor.notify import Destination
    from storage import Store


def open_store(config: Config) -> Store:
    from storage import Store

    store = Store(config.storage_url)
    store.upgrade()
    return store


def start_crawler(verbose: bool) -> subprocess.Popen[bytes]:
    """A crawl child that imports Scrapy now and waits for its job on stdin
    (``ddor.cycle.crawl_in_child`` sends it). Same process group as the caller: the daemon's
    kill of a hung cycle (killpg) must take the crawler with it, or it would linger."""
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.run", "-"],
        stdin=subprocess.PIPE,
        stdout=None if verbose else subprocess.DEVNULL,
        stderr=None if verbose else subprocess.PIPE,
    )


def make_destination(config: Config, dry_run: bool = False, stream: TextIO | None = None) -> Destination:
    """Bot token → Web API; else webhook; else the console. Secrets only from the environment."""
    from monitor.notify import ConsoleDestination, DryRunDestination, SlackWebDestination, WebhookDestination

    out = stream or sys.stdout
    if dry_run:
        return DryRunDestination(out)
    token = os.environ.get(config.slack.token_env, "").strip()
    if token:
        return SlackWebDestination(token, config.slack.api_url, config.slack.timeout_seconds)
    webhook = os.environ.get(config.slack.webhook_env, "").strip()
    if webhook:
        return WebhookDestination(webhook, config.slack.timeout_seconds)
    return ConsoleDestination(out)


# The current cycle's run id, stamped on every log line the cycle emits (crawl, parse, send).
RUN_ID: ContextVar[str | None] = ContextVar("ddor_run_id", default=None)


class RunIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = RUN_ID.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        run_id = getattr(record, "run_id", "-")
        if run_id != "-":
            entry["run_id"] = run_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def setup_logging(verbose: bool, log_format: str = "auto") -> None:
    handler = logging.StreamHandler(sys.stderr)
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    handler.setFormatter(
        JsonFormatter()
        if use_json
        else logging.Formatter("%(asctime)s %(levelname)s [%(run_id)s] %(name)s: %(message)s")
    )
    handler.addFilter(RunIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    # pdfminer is ~2.7× slower with debug logging live; Scrapy is chatty. Quiet unless -v.
    for noisy in ("pdfminer", "scrapy", "twisted", "slack_sdk", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("pdfminer").setLevel(logging.WARNING)
