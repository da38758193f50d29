"""Render a report's ground truth as a PDF made by another producer (reportlab), with its
own fonts, column widths, orientation and cell alignment: the same report, other geometry."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from parsers.states import STATE_NAMES


@dataclass(frozen=True)
class Variant:
    font: str = "Times-Roman"
    bold: str = "Times-Bold"
    size: float = 9
    landscape: bool = False
    valign: str = "TOP"
    repeat_header: bool = True
    grid: bool = True
    period_style: str = "long"  # long: "January 28, 2017 – February 3, 2017"; short: "Jan 28 – Feb 3, 2017"
    # Other wording seen in descriptions of the report: "County/Jurisdiction", "Detainer
    # Issued Date", upper-case section headings.
    alt_wording: bool = False
    # False: Section III's table is printed without its header row (a section the parser
    # cannot read, for the degrade-by-section tests).
    policy_header: bool = True


DECLINED_HEADER = [
    "State",
    "County",
    "Facility",
    "Citizenship",
    "Notable Criminal Activity",
    "Detainer Issued",
    "Detainer Declined",
]
DECLINED_ALT_HEADER = [
    "State",
    "County/Jurisdiction",
    "Facility",
    "Country of Citizenship",
    "Notable Criminal Activity",
    "Detainer Issued Date",
    "Detainer Declined Date",
]


def _mdy(iso: str) -> str:
    d = dt.date.fromisoformat(iso)
    return f"{d.month}/{d.day}/{d.year}"


def _period(meta: dict[str, Any], style: str) -> str:
    a, b = dt.date.fromisoformat(meta["period_start"]), dt.date.fromisoformat(meta["period_end"])
    if style == "long":
        return f"{a:%B} {a.day}, {a.year} – {b:%B} {b.day}, {b.year}"
    return f"{a:%b} {a.day} – {b:%b} {b.day}, {b.year}"


def _unbreakable_hyphen_space(text: str) -> str:
    """``8- 11-08``: a line break after "8-" would read as one word, which the source never
    meant; a no-break space keeps the generator from making that ambiguous layout."""
    return text.replace("- ", "-\u00a0")


def _fit_widths(
    header: list[str], rows: list[list[str]], fractions: list[float], width: float, variant: Variant
) -> list[float]:
    """Column widths that fit each column's longest word (an office suite would widen the
    column or break at a hyphen; reportlab would let the word run into the next cell)."""
    padding = 13.0
    needed = []
    for index in range(len(header)):
        words = [w for row in [header, *rows] for w in row[index].replace("-\u00a0", "- ").split()]
        fonts = [variant.bold] + [variant.font] * len(words)
        needed.append(max(stringWidth(w, f, variant.size) for w, f in zip(words, fonts, strict=False)) + padding)
    widths = [max(n, f * width) for n, f in zip(needed, fractions, strict=True)]
    excess = sum(widths) - width
    if excess > 0:
        flexible = [i for i, (w, n) in enumerate(zip(widths, needed, strict=True)) if w - n > 1]
        room = sum(widths[i] - needed[i] for i in flexible)
        if room < excess:
            raise ValueError("the table cannot fit the page without words running into other cells")
        for i in flexible:
            widths[i] -= excess * (widths[i] - needed[i]) / room
    return widths


def render(
    truth: dict[str, Any], variant: Variant, stated_total: int | None = None, stated_rows: int | None = None
) -> bytes:
    """``stated_total``/``stated_rows`` make the Section I text claim other figures than its rows."""
    meta = truth["report"]
    pagesize = landscape(letter) if variant.landscape else letter
    body = ParagraphStyle("body", fontName=variant.font, fontSize=variant.size + 1, leading=(variant.size + 1) * 1.25)
    # splitLongWords=0: break only at spaces, as office suites do (reportlab would cut words).
    cell = ParagraphStyle(
        "cell", fontName=variant.font, fontSize=variant.size, leading=variant.size * 1.2, splitLongWords=0
    )
    head = ParagraphStyle("head", fontName=variant.bold, fontSize=variant.size + 3, leading=(variant.size + 3) * 1.3)
    long_period = _period(meta, "long").replace(" – ", " and ")
    story: list[Any] = [
        Paragraph("ENFORCEMENT AND REMOVAL OPERATIONS", head),
        Paragraph(escape(meta["title"]), head),
        Paragraph(f"For Recorded Declined Detainers {escape(_period(meta, variant.period_style))}", head),
        Spacer(1, 12),
        Paragraph("Summary", head),
        Paragraph("This report lists the jurisdictions that declined detainers during the period.", body),
    ]
    width = pagesize[0] - 2 * inch

    def table(header: list[str], rows: list[list[str]], fractions: list[float], headed: bool = True) -> Table:
        data = [[Paragraph(f"<b>{escape(h)}</b>", cell) for h in header]] if headed else []
        data += [[Paragraph(_unbreakable_hyphen_space(escape(value)), cell) for value in row] for row in rows]
        result = Table(
            data,
            colWidths=_fit_widths(header, rows, fractions, width, variant),
            repeatRows=1 if variant.repeat_header and headed else 0,
        )
        style = [("VALIGN", (0, 0), (-1, -1), variant.valign), ("FONTNAME", (0, 0), (-1, -1), variant.font)]
        if variant.grid:
            style.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
        result.setStyle(TableStyle(style))
        return result

    total = stated_total if stated_total is not None else sum(r["issued_detainers"] for r in truth["issued"])
    row_count = stated_rows if stated_rows is not None else len(truth["issued"])
    words = dict(enumerate("zero one two three four five six seven eight nine ten eleven twelve".split()))
    story += [
        Paragraph(
            f"Section I: Highest Volume of Detainers Issued between {escape(long_period)} to "
            "Jurisdictions which Restrict Cooperation with ICE",
            head,
        ),
        Paragraph(
            f"During the reporting period ICE issued {meta['detainers_issued']:,} detainers throughout "
            f"the United States ({total:,} to these {words.get(row_count, 'ten')} "
            "jurisdictions during the reporting period).",
            body,
        ),
        table(
            ["County, State", "Issued Detainers"],
            [[f"{r['county']}, {STATE_NAMES[r['state']]}", f"{r['issued_detainers']:,}"] for r in truth["issued"]],
            [0.6, 0.3],
        ),
        Paragraph(f"Section II: Jurisdictions with Recorded Declined Detainers between {escape(long_period)}", head),
        table(
            DECLINED_ALT_HEADER if variant.alt_wording else DECLINED_HEADER,
            [
                [
                    r["state"],
                    r["county"],
                    r["facility"],
                    r["citizenship"],
                    f"{r['criminal_activity']} ({r['conviction_status'].title()})",
                    _mdy(r["detainer_issued"]),
                    _mdy(r["detainer_declined"]),
                ]
                for r in truth["declined"]
            ],
            [0.08, 0.14, 0.15, 0.2, 0.19, 0.12, 0.12],
        ),
        Paragraph(
            "Section III: Table of Jurisdictions that have Enacted Policies which Restrict Cooperation with ICE", head
        ),
        table(
            ["State", "Jurisdiction", "Policy", "Criteria for Honoring Detainer", "Date Enacted"],
            [
                [STATE_NAMES[r["state"]], r["jurisdiction"], r["policy"], r["criteria"], r["date_enacted"]]
                for r in truth["policies"]
            ],
            [0.17, 0.16, 0.2, 0.35, 0.12],
            headed=variant.policy_header,
        ),
        Paragraph("Section IV: Report Scope and Data Fidelity", head),
        Paragraph("Law enforcement agencies do not generally advise ICE of when a detainer is not honored.", body),
    ]

    def footer(canvas: Any, document: Any) -> None:
        canvas.setFont(variant.font, variant.size)
        canvas.drawCentredString(pagesize[0] / 2, 0.5 * inch, f"Page {document.page}")

    if variant.alt_wording:
        story = [
            Paragraph(item.text.upper(), head)
            if isinstance(item, Paragraph) and item.text.startswith("Section ")
            else item
            for item in story
        ]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=pagesize, title=meta["title"]).build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
