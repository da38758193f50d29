"""Where each page of the site lives. Links inside the site are relative (the site works from
``file://`` and under any path of any static host); only the digest's link is absolute, made
from ``site.base_url``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from parsers.models import ReportMeta
from storage.store import NewAlert

INDEX = "index.html"


def report_stem(meta: ReportMeta) -> str:
    """``weekly-2017-01-28``: one name per report period and series, stable across rebuilds."""
    return stem_for(meta.kind, meta.period_start)


def stem_for(kind: str, period_start: str) -> str:
    return f"{kind}-{period_start}"


def report_page(meta: ReportMeta) -> str:
    return page_for(meta.kind, meta.period_start)


def page_for(kind: str, period_start: str) -> str:
    return f"reports/{stem_for(kind, period_start)}.html"


def jurisdiction_stem(key: str) -> str:
    """``TX:travis`` → ``tx-travis``, ``CA:*`` → ``ca-statewide``, ``?:Foo`` → ``unknown-foo``."""
    state, _, county = key.partition(":")
    state = "unknown" if state == "?" else state.lower()
    county = "statewide" if county == "*" else re.sub(r"[^a-z0-9]+", "-", county.lower()).strip("-")
    return f"{state}-{county or 'unnamed'}"


def jurisdiction_page(key: str) -> str:
    return f"jurisdictions/{jurisdiction_stem(key)}.html"


def report_page_url(base_url: str, meta: ReportMeta) -> str:
    """The report page's public address for the digest's link (``site.base_url`` + page)."""
    return base_url.rstrip("/") + "/" + report_page(meta)


def link_report_pages(alerts: Sequence[NewAlert], base_url: str) -> list[NewAlert]:
    """The same alerts, each digest and baseline carrying its report page's address
    (``page_url``), which the message renders as a link beside the PDF's. No base URL: unchanged."""
    if not base_url:
        return list(alerts)
    linked = []
    for alert in alerts:
        report = alert.payload.get("report") if alert.kind in ("digest", "baseline") else None
        if report is not None:
            page = base_url.rstrip("/") + "/" + page_for(report["kind"], report["period_start"])
            alert = replace(alert, payload={**alert.payload, "page_url": page})
        linked.append(alert)
    return linked
