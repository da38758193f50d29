"""A failed download names its cause (issue #15 item 8), and which known reports a poll
re-checks (issue #13 item 4): the pure pieces, as a table."""

from __future__ import annotations

import datetime as dt

import pytest
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from twisted.internet.defer import CancelledError
from twisted.internet.error import ConnectionRefusedError as TwistedConnectionRefused

from crawler.spiders.ddor import failure_cause
from ddor.cycle import due_rechecks


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (DownloadTimeoutError("Getting x took longer than 60.0 seconds."), "timed out after 60 s"),
        (CancelledError(), "over the size cap of 1,000,000 bytes"),
        (
            DownloadCancelledError("Expected to receive 5 bytes which is larger than download max size"),
            "over the size cap of 1,000,000 bytes",
        ),
        (
            IgnoreRequest("Ignored response: body size after decompression is larger than DOWNLOAD_MAXSIZE"),
            "over the size cap of 1,000,000 bytes",
        ),
        (IgnoreRequest("Forbidden by robots.txt"), "refused: Forbidden by robots.txt"),
        (TwistedConnectionRefused(), "refused: the server refused the connection"),
        (OSError(28, "No space left on device"), "local write error: No space left on device"),
        (ValueError("odd"), "ValueError: odd"),
    ],
)
def test_failure_cause(error: BaseException, cause: str) -> None:
    assert failure_cause(error, 60.0, 1_000_000) == cause


NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("checked_at", "hours", "due"),
    [
        (None, 24, True),  # never answered
        ((NOW - dt.timedelta(hours=23)).isoformat(), 24, False),
        ((NOW - dt.timedelta(hours=24)).isoformat(), 24, True),
        ((NOW - dt.timedelta(hours=23)).replace(tzinfo=None).isoformat(), 24, False),  # SQLite: naive UTC
        ((NOW - dt.timedelta(seconds=1)).isoformat(), 0, True),  # 0 = every poll
    ],
)
def test_due_rechecks(checked_at: str | None, hours: float, due: bool) -> None:
    url = "https://www.ice.gov/doclib/ddor/r1.pdf"
    validators = {url: {"etag": '"x"', "last_modified": None, "checked_at": checked_at}}
    assert due_rechecks([url], validators, hours, NOW) == ([url] if due else [])
