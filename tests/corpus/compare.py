"""A parse compared field by field with the report's expected JSON, its pages read back from
the rendered PDF; and the corpus's variants (reportlab ones rendered here, committed ones)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from parsers import ParseError, parse_report
from tests.corpus.layouts import LAYOUTS
from tests.corpus.model import build, expected
from tests.corpus.readback import row_pages

COMMITTED = Path(__file__).parent / "pdfs"
META_FIELDS = ("kind", "title", "period_start", "period_end", "pages", "detainers_issued", "sha256")
SECTIONS = ("issued", "declined", "policies")


@dataclass(frozen=True)
class Variant:
    name: str
    producer: str
    report: str
    varies: str


@dataclass
class Outcome:
    variant: Variant
    exact: int
    total: int
    mismatches: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def variants() -> dict[str, Variant]:
    found = {name: Variant(name, "reportlab", layout.report, layout.varies) for name, layout in LAYOUTS.items()}
    manifest = COMMITTED / "manifest.json"
    if manifest.exists():
        for entry in json.loads(manifest.read_text()):
            name = Path(entry["file"]).stem
            found[name] = Variant(name, entry["producer"], entry["report"], entry["varies"])
    return found


def pdf_bytes(variant: Variant) -> bytes:
    if variant.producer == "reportlab":
        from tests.corpus.reportlab_render import render

        layout = LAYOUTS[variant.name]
        return render(build(expected(layout.report), layout), layout)
    return (COMMITTED / f"{variant.name}.pdf").read_bytes()


def want(truth: dict[str, Any], data: bytes) -> dict[str, Any]:
    """The expected JSON for this rendering: page count, digest and row pages from the PDF."""
    page_count, starts = row_pages(data)
    meta = dict(truth["report"], pages=page_count, sha256=hashlib.sha256(data).hexdigest())
    rows = {
        section: [dict(row, page=starts.get(f"{section}/{index}")) for index, row in enumerate(truth[section])]
        for section in SECTIONS
    }
    return {"report": meta, **rows}


def compare(expected_json: dict[str, Any], got: dict[str, Any] | None) -> tuple[int, int, list[str]]:
    """(fields exact, fields in total, the first mismatches described)."""
    total = len(META_FIELDS) + sum(len(row) for section in SECTIONS for row in expected_json[section])
    if got is None:
        return 0, total, ["no parse"]
    exact = 0
    mismatches: list[str] = []
    for key in META_FIELDS:
        if got["report"].get(key) == expected_json["report"][key]:
            exact += 1
        else:
            mismatches.append(f"report.{key}: {got['report'].get(key)!r} != {expected_json['report'][key]!r}")
    for section in SECTIONS:
        rows = got[section]
        if len(rows) != len(expected_json[section]):
            mismatches.append(f"{section}: {len(rows)} rows, expected {len(expected_json[section])}")
        for index, truth_row in enumerate(expected_json[section]):
            row = rows[index] if index < len(rows) else {}
            for key, value in truth_row.items():
                if row.get(key) == value:
                    exact += 1
                else:
                    mismatches.append(f"{section}[{index}].{key}: {row.get(key)!r} != {value!r}")
    return exact, total, mismatches


@cache
def outcome(name: str) -> Outcome:
    variant = variants()[name]
    data = pdf_bytes(variant)
    expected_json = want(expected(variant.report), data)
    try:
        got = parse_report(data).to_json()
    except ParseError as exc:
        exact, total, mismatches = compare(expected_json, None)
        return Outcome(variant, exact, total, [f"{exc.kind}: {exc.reason}", *mismatches])
    exact, total, mismatches = compare(expected_json, got)
    return Outcome(variant, exact, total, mismatches, list(got["validation"]["problems"]))


def table(outcomes: list[Outcome]) -> str:
    """The corpus results as a Markdown table."""
    lines = [
        "| variant | producer | report | what it varies | fields exact / total |",
        "|---|---|---|---|---|",
    ]
    for item in outcomes:
        v = item.variant
        flag = "" if item.exact == item.total and not item.problems else " ✗"
        lines.append(f"| {v.name} | {v.producer} | {v.report} | {v.varies} | {item.exact:,} / {item.total:,}{flag} |")
    exact, total = sum(o.exact for o in outcomes), sum(o.total for o in outcomes)
    lines.append(f"| **all {len(outcomes)}** | | | | {exact:,} / {total:,} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table([outcome(name) for name in variants()]))
