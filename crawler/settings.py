"""Scrapy settings for one crawl, built from ``config.yaml``'s ``source`` section.

Each deviation from Scrapy's defaults is a rule from docs/reliability.md: polite (robots.txt,
one request per host, a delay, identifying User-Agent), bounded (size cap, time cap, few
redirects and retries), and closed (no telnet, no file:/data:/ftp: handlers, TLS verified,
no HTTP cache — it could replay a stale page without asking the server).
"""

from __future__ import annotations

from typing import Any


def crawl_settings(
    source: dict[str, Any], allowed_origins: list[str], log_level: str, robots_cache: str | None = None
) -> dict[str, Any]:
    return {
        "BOT_NAME": "ddor-watch",
        "USER_AGENT": source["user_agent"],
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 1,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": source["download_delay_seconds"],
        # Scrapy's randomisation draws each gap from 0.5–1.5× the delay, to look less like a
        # bot; we say we are one, and the configured gap is the politeness we promise, so it is
        # kept exactly (never shorter) and a new report is not held up to 1.5× for nothing.
        # The first request of a crawl waits for nothing (Scrapy's slot has not been used).
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "DOWNLOAD_TIMEOUT": source["request_timeout_seconds"],
        "DOWNLOAD_MAXSIZE": source["max_download_bytes"],
        "DOWNLOAD_WARNSIZE": max(1, source["max_download_bytes"] // 4),
        "RETRY_ENABLED": True,
        "RETRY_TIMES": source["retries"],
        "REDIRECT_MAX_TIMES": 5,
        "HTTPCACHE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "DOWNLOAD_VERIFY_CERTIFICATES": True,
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "ftp": None, "s3": None},
        "CLOSESPIDER_TIMEOUT": source["crawl_timeout_seconds"],
        "DDOR_ALLOWED_ORIGINS": allowed_origins,
        "DDOR_ROBOTS_CACHE": robots_cache,
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.middlewares.SameOriginMiddleware": 50,
            # robots.txt kept across crawls (RFC 9309 allows a day): one request per idle poll.
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawler.robots.CachedRobotsTxtMiddleware": 100,
            # Just inside RetryMiddleware (550) so Retry-After is seen first on the way back.
            "crawler.middlewares.RetryAfterMiddleware": 560,
        },
        "LOG_LEVEL": log_level,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }
