"""Alert payload → Slack message (Block Kit + text fallback + thread replies) or console
text. Pure functions, compared with golden JSON in the tests; sending lives in notify.py.

Every string that came from a PDF or the web page goes through ``escape`` (``&``, ``<``,
``>``), so ``<!channel>`` in a facility name arrives as text, not as a mention.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from monitor.sections import HEADINGS

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_TEXT = 3000  # well under Slack's 40,000: the fallback is for notifications and phones
ARROWS = {True: "↑", False: "↓"}
CLI_HINT = "`ddor diff`"


def escape(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fmt_int(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"


def fmt_period(start: str, end: str) -> str:
    """``2017-01-28``, ``2017-02-03`` → ``Jan 28 – Feb 3, 2017``."""
    if not start or not end:
        return "unknown period"
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    left = f"{a:%b} {a.day}" + (f", {a.year}" if a.year != b.year else "")
    return f"{left} – {b:%b} {b.day}, {b.year}"


def _signed(delta: int) -> str:
    return f"+{delta:,}" if delta > 0 else f"{delta:,}".replace("-", "−")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_line(change: dict[str, Any]) -> str:
    """One notable change, e.g. ``↓ Travis County, TX — declined 142 → 2 (p. 7)``."""
    label = escape(change["label"])
    page = f" (p. {change['page']})" if change.get("page") else ""
    kind = change["kind"]
    if kind == "policy_added":
        return f"➕ {label} — policy added: {escape(_truncate(str(change['new']), 200))}{page}"
    if kind == "policy_removed":
        return f"➖ {label} — policy removed: {escape(_truncate(str(change['old']), 200))}"
    if kind == "policy_changed":
        return f"✏️ {label} — policy changed{page}"
    noun = "declined" if kind == "declined" else "issued"
    if change["old"] is None:
        return f"🆕 {label} — {noun} {fmt_int(change['new'])}, new in the table{page}"
    if change["new"] is None:
        return f"↘ {label} — {noun} {fmt_int(change['old'])} → not in the table"
    arrow = ARROWS[change["new"] > change["old"]]
    new_label = ", new" if change["old"] == 0 else ""
    return f"{arrow} {label} — {noun} {fmt_int(change['old'])} → {fmt_int(change['new'])}{new_label}{page}"


def _vs(now: int | None, before: int | None) -> str:
    if now is None or before is None:
        return ""
    return f" ({_signed(now - before)})"


def summary_lines(summary: dict[str, Any], previous: dict[str, Any] | None) -> list[str]:
    prev = previous or {}
    lines = [
        f"*Issued nationally:* {fmt_int(summary['issued'])}{_vs(summary['issued'], prev.get('issued'))}",
        f"*Declined:* {fmt_int(summary['declined'])}{_vs(summary['declined'], prev.get('declined'))} in "
        f"{summary['facilities']} facilities, {summary['states']} states",
    ]
    if summary.get("top"):
        top = summary["top"]
        lines.append(
            f"*Top:* {escape(top['label'])} {fmt_int(top['declined'])} ({top['share'] * 100:.0f}%, p. {top['page']})"
        )
    cats = summary["categories"]
    lines.append(
        f"*Offences:* {cats['violent']} violent, {cats['traffic']} traffic, "
        f"{cats['homicide']} homicide · {summary['convicted']} convicted / "
        f"{summary['charged']} charged"
    )
    return lines


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(text, MAX_SECTION)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _truncate(text, MAX_SECTION)}]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _truncate(text, MAX_HEADER)}}


def _pack_lines(lines: list[str], limit: int = MAX_SECTION) -> list[str]:
    """Lines → section texts each within Slack's per-section limit."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = _truncate(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def _report_link(report: dict[str, Any], page_url: str | None = None) -> str:
    """The PDF link, and the report's page on the site when the payload carries one
    (``page_url``, set when ``site.base_url`` is configured)."""
    link = f"<{escape(report['url'])}|Report PDF> ({report['pages']} pages)"
    return link + (f" · <{escape(page_url)}|Map and tables>" if page_url else "")


def render_slack(payload: dict[str, Any], top_changes: int = 12) -> dict[str, Any]:
    """The message: ``text`` (fallback), ``blocks`` and ``thread`` (reply texts)."""
    renderer = _RENDERERS[payload["kind"]]
    message = renderer(payload, top_changes)
    message["blocks"] = message["blocks"][:MAX_BLOCKS]
    message["text"] = _truncate(message["text"], MAX_TEXT)
    message.setdefault("thread", [])
    return message


def national_headline(report: dict[str, Any], summary: dict[str, Any]) -> str:
    """The line a digest opens with, e.g. ``DDOR Feb 4 – Feb 10, 2017: 47 declined, 2,825 issued``;
    route digests open with it too, so every desk sees the same national figures."""
    period = fmt_period(report["period_start"], report["period_end"])
    return f"DDOR {period}: {fmt_int(summary['declined'])} declined, {fmt_int(summary['issued'])} issued"


def _digest(payload: dict[str, Any], top: int) -> dict[str, Any]:
    report, summary, previous = payload["report"], payload["summary"], payload["previous"]
    title = national_headline(report, summary)
    changes = [change_line(c) for c in payload["changes"]]
    shown, rest = changes[:top], changes[top:]
    blocks = [_header(title), _section("\n".join(summary_lines(summary, previous["summary"])))]
    if shown:
        more = f"\n…and {len(rest)} more — {CLI_HINT} or this thread" if rest else ""
        body = _pack_lines(["*Notable changes*", *shown])
        body[-1] = _truncate(body[-1] + more, MAX_SECTION)
        blocks.extend(_section(chunk) for chunk in body[:4])
    else:
        blocks.append(_section("_No notable changes by the configured rules._"))
    blocks.extend(_withheld_blocks(payload))
    compared = f"Compared with {fmt_period(previous['period_start'], previous['period_end'])}"
    if payload.get("missing_periods"):
        gaps = ", ".join(fmt_period(a, b) for a, b in payload["missing_periods"])
        compared += f"; no report for {gaps}"
    if payload.get("out_of_order"):
        later = payload.get("later_period")
        compared += "; this report arrived out of order" + (
            f" (after {fmt_period(later[0], later[1])})" if later else ""
        )
    blocks.append(
        _context(
            f"{_report_link(report, payload.get('page_url'))} · {compared} · {payload['all_changes']} changes in all"
        )
    )
    text = f"{title}. " + "; ".join(c.replace("*", "") for c in changes[:5])
    thread = _pack_lines(["*All notable changes*", *changes]) if rest else []
    for rows in (payload.get("watched_rows") or {}).values():
        thread += _pack_lines(
            [
                f"*Watched: {escape(rows[0]['county'])}, {rows[0]['state']} — every release this period ({len(rows)})*",
                *(_release_line(row) for row in rows),
            ]
        )
    return {"text": text, "blocks": blocks, "thread": thread}


def _route_digest(payload: dict[str, Any], top: int) -> dict[str, Any]:
    """A desk's short digest: the national headline, then only the notable changes in its scope."""
    report, previous = payload["report"], payload["previous"]
    title = national_headline(report, payload["summary"])
    channel = escape(payload["channel"])
    changes = [change_line(c) for c in payload["changes"]]
    shown, rest = changes[:top], changes[top:]
    body = _pack_lines([f"*Notable changes for {channel}*", *shown])
    if rest:
        body[-1] = _truncate(f"{body[-1]}\n…and {len(rest)} more — {CLI_HINT} or this thread", MAX_SECTION)
    scope = payload["scope"]
    covered = escape(", ".join([*scope["states"], *scope["jurisdictions"]]))
    compared = f"Compared with {fmt_period(previous['period_start'], previous['period_end'])}"
    blocks = [
        _header(title),
        *(_section(chunk) for chunk in body[:4]),
        _context(f"{_report_link(report)} · {compared} · this channel's scope: {covered}"),
    ]
    return {
        "text": f"{title}. " + "; ".join(c.replace("*", "") for c in changes[:5]),
        "blocks": blocks,
        "thread": _pack_lines([f"*All notable changes for {channel}*", *changes]) if rest else [],
    }


def _withheld_blocks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """One plain line per section left out of a digest, so silence is never mistaken for news."""
    lines = [
        f"⚠️ {w['heading']} could not be read ({escape(w['reason'])}); its changes are not in this message."
        for w in payload.get("withheld") or ()
    ]
    return [_section(_truncate("\n".join(lines), MAX_SECTION))] if lines else []


def _recovered(payload: dict[str, Any], top: int) -> dict[str, Any]:
    """A section read by a fixed parser after the digest went out: its changes, in the digest's thread."""
    report = payload["report"]
    read = " and ".join(payload["sections"])
    title = f"{read} of DDOR {fmt_period(report['period_start'], report['period_end'])} can now be read"
    changes = [change_line(c) for c in payload["changes"]]
    body = _pack_lines([f"*{title}*", *(changes[:top] or ["_No notable changes by the configured rules._"])])
    return {
        "text": f"{title}: " + ("; ".join(c.replace("*", "") for c in changes[:5]) or "no notable changes"),
        "blocks": [*(_section(chunk) for chunk in body[:4]), _context(_report_link(report))],
    }


def _release_line(row: dict[str, Any]) -> str:
    status = f" ({row['conviction_status']})" if row.get("conviction_status") else ""
    return (
        f"• {escape(row['facility'])} · {escape(row['citizenship'])} · {escape(row['criminal_activity'])}{status}"
        f" · issued {row['detainer_issued']} · declined {row['detainer_declined']} (p. {row['page']})"
    )


def _baseline(payload: dict[str, Any], _top: int) -> dict[str, Any]:
    report, summary = payload["report"], payload["summary"]
    period = fmt_period(report["period_start"], report["period_end"])
    title = f"Tracking started: DDOR {period}"
    blocks = [
        _header(title),
        _section("\n".join(summary_lines(summary, None))),
        *_withheld_blocks(payload),
        _context(f"{_report_link(report, payload.get('page_url'))} · later reports will be compared with this one"),
    ]
    return {
        "text": f"{title}: {fmt_int(summary['declined'])} declined, {fmt_int(summary['issued'])} issued",
        "blocks": blocks,
    }


def _row_text(change: dict[str, Any]) -> str:
    row = change["row"]
    sign = "➖" if change["change"] == "removed" else "➕"
    if change["section"] == "issued":
        body = f"Section I: {row['county']}, {row['state']} — {row['issued_detainers']} issued"
    elif change["section"] == "declined":
        body = (
            f"Section II: {row['county']}, {row['state']} — {row['facility']}, "
            f"{row['criminal_activity']}, declined {row['detainer_declined']}"
        )
    else:
        body = f"Section III: {row['jurisdiction']}, {row['state']} — {row['policy']}"
    return f"{sign} {escape(body)}"


def _correction(payload: dict[str, Any], top: int) -> dict[str, Any]:
    report = payload["report"]
    period = fmt_period(report["period_start"], report["period_end"])
    rows = [_row_text(c) for c in payload["row_changes"]]
    title = f"Correction: DDOR {period} ({len(rows)} rows changed)"
    shown = rows[:top] or ["_No row changed; only the file's bytes differ._"]
    more = f"\n…and {len(rows) - top} more — {CLI_HINT}" if len(rows) > top else ""
    body = _pack_lines(shown)
    body[-1] = _truncate(body[-1] + more, MAX_SECTION)
    blocks = [
        _header(title),
        *(_section(chunk) for chunk in body[:4]),
        _context(f"{_report_link(report)} · ICE re-posted this report at the same URL"),
    ]
    return {
        "text": f"{title}: " + "; ".join(rows[:5]),
        "blocks": blocks,
        "thread": _pack_lines(rows) if len(rows) > top else [],
        "reply_broadcast": True,
    }


def _note(payload: dict[str, Any], _top: int) -> dict[str, Any]:
    dated = f" ({escape(payload['date_line'])})" if payload.get("date_line") else ""
    text = f"Note posted on ICE.gov{dated}: {escape(payload['text'])}"
    return {"text": _truncate(text, MAX_TEXT), "blocks": [_section(f"ℹ️ {text}")]}


def _ops(payload: dict[str, Any], _top: int) -> dict[str, Any]:
    kind = payload["kind"]
    if kind == "ops_failure":
        text = (
            f"🚨 ddor-watch: {payload['check']} failing ({payload['failures']} runs in a row): "
            f"{escape(payload['error'])}"
        )
    elif kind == "ops_resolved":
        text = f"✅ ddor-watch: {payload['check']} recovered after {payload['failures']} failed runs"
    elif kind == "suspect":
        report = payload["report"]
        problems = "\n".join(f"• {escape(p)}" for p in payload["problems"][:10])
        text = (
            f"⚠️ ddor-watch: report {fmt_period(report['period_start'], report['period_end'])} failed "
            f"its self-checks and is held (no content alert sent):\n{problems}"
        )
    elif kind == "withheld":
        report = payload["report"]
        problems = "\n".join(
            f"• {HEADINGS[section]}: {escape(problem)}"
            for section, found in payload["sections"].items()
            for problem in found[:5]
        )
        text = (
            f"⚠️ ddor-watch: report {fmt_period(report['period_start'], report['period_end'])}: sections withheld "
            f"(not diffed, the others were posted):\n{problems}"
        )
    elif kind == "quarantined":
        text = (
            f"⚠️ ddor-watch: could not parse {escape(payload['url'])} "
            f"({payload['error_kind']}): {escape(payload['message'])}"
        )
    else:
        days = payload["days"]
        text = (
            f"ℹ️ No new {payload['series']} DDOR for {days} days (last period ended "
            f"{payload['last_period_end']}). ICE may have paused publication."
        )
    return {"text": _truncate(text, MAX_TEXT), "blocks": [_section(text)]}


_RENDERERS = {
    "digest": _digest,
    "route_digest": _route_digest,
    "baseline": _baseline,
    "correction": _correction,
    "note": _note,
    "ops_failure": _ops,
    "ops_resolved": _ops,
    "suspect": _ops,
    "withheld": _ops,
    "recovered": _recovered,
    "quarantined": _ops,
    "silence": _ops,
}


def render_console(payload: dict[str, Any], top_changes: int = 1000) -> str:
    """Plain text for the terminal: the same content as Slack, unescaped, no markup."""
    message = render_slack(payload, top_changes)
    parts = []
    for block in message["blocks"]:
        if block["type"] == "header":
            parts.append(block["text"]["text"])
            parts.append("=" * min(len(block["text"]["text"]), 78))
        elif block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts.append(block["elements"][0]["text"])
    # Our own bold labels open a line ("*Declined:* …"); asterisks from a PDF stay as printed.
    text = re.sub(r"^\*([^*\n]+)\*", r"\1", "\n".join(parts), flags=re.MULTILINE)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
