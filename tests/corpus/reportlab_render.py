"""Render a ``DocModel`` with reportlab (pure Python, so these variants run in CI)."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape, legal, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tests.corpus.model import ROW_LINK, DocModel, Layout, TableModel

FONTS = {
    "serif": ("Times-Roman", "Times-Bold"),
    "sans": ("Helvetica", "Helvetica-Bold"),
    "mono": ("Courier", "Courier-Bold"),
}
PAGES = {"letter": letter, "legal": legal, "a4": A4}
MARGIN = 0.75 * inch


def page_size(layout: Layout) -> tuple[float, float]:
    size = PAGES[layout.page]
    return landscape(size) if layout.landscape else size


def _no_break_after_hyphen(text: str) -> str:
    """``8- 11-08``: a break after "8-" would read back as one word, which the source never
    meant; a no-break space keeps the renderer from making that ambiguous layout."""
    return text.replace("- ", "-\u00a0")


def _fit_widths(table: TableModel, width: float, layout: Layout) -> list[float]:
    """Column widths that fit each column's longest word (an office suite would widen the
    column; reportlab would let the word run into the next cell)."""
    regular, bold = FONTS[layout.family]
    needed = []
    for index in range(len(table.header)):
        header_words = table.header[index].split()
        cell_words = [w for row in table.rows for w in row[index].replace("-\u00a0", "- ").split()]
        widest = max(
            [stringWidth(w, bold if layout.header_bold else regular, layout.size) for w in header_words]
            + [stringWidth(w, regular, layout.size) for w in cell_words]
        )
        needed.append(widest + 2 * layout.padding + 2)
    widths = [max(n, f * width) for n, f in zip(needed, table.fractions, strict=True)]
    excess = sum(widths) - width
    if excess > 0:
        flexible = [i for i, (w, n) in enumerate(zip(widths, needed, strict=True)) if w - n > 1]
        room = sum(widths[i] - needed[i] for i in flexible)
        if room < excess:
            raise ValueError(f"{layout.name}: the {table.key} table cannot fit the page")
        for i in flexible:
            widths[i] -= excess * (widths[i] - needed[i]) / room
    return widths


def _table(table: TableModel, layout: Layout, width: float) -> Table:
    regular, bold = FONTS[layout.family]
    cell = ParagraphStyle(
        "cell", fontName=regular, fontSize=layout.size, leading=layout.size * layout.leading, splitLongWords=0
    )
    head = ParagraphStyle(
        "head",
        parent=cell,
        fontName=bold if layout.header_bold else regular,
    )
    data: list[list[Any]] = [[Paragraph(escape(h).replace("\n", "<br/>"), head) for h in table.header]]
    for row_id, row in zip(table.row_ids, table.rows, strict=True):
        link = f"{ROW_LINK}{row_id}"
        data.append([Paragraph(f'<a href="{link}">{_no_break_after_hyphen(escape(value))}</a>', cell) for value in row])
    result = Table(
        data,
        colWidths=_fit_widths(table, width, layout),
        repeatRows=1 if layout.repeat_header else 0,
        splitInRow=1 if layout.split_rows else 0,
    )
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), layout.valign),
        ("TOPPADDING", (0, 0), (-1, -1), layout.padding),
        ("BOTTOMPADDING", (0, 0), (-1, -1), layout.padding),
        ("LEFTPADDING", (0, 0), (-1, -1), layout.padding),
        ("RIGHTPADDING", (0, 0), (-1, -1), layout.padding),
    ]
    if layout.rules == "grid":
        style.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
    elif layout.rules == "horizontal":
        style.append(("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black))
    if layout.zebra:
        style.append(("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.Color(0.88, 0.9, 0.94)]))
    if layout.header_shade:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.75, 0.78, 0.85)))
    result.setStyle(TableStyle(style))
    return result


def _footer_canvas(layout: Layout) -> type[Canvas]:
    """A canvas that writes each page's footer once the page count is known."""
    regular, _ = FONTS[layout.family]
    pagesize = page_size(layout)

    class FooterCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 — reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                number = self._pageNumber
                text = {"page": f"Page {number}", "page-of": f"Page {number} of {total}", "bare": str(number)}.get(
                    layout.footer
                )
                if text:
                    self.setFont(regular, max(layout.size - 1, 7))
                    self.drawCentredString(pagesize[0] / 2, 0.45 * inch, text)
                Canvas.showPage(self)
            Canvas.save(self)

    return FooterCanvas


def render(doc: DocModel, layout: Layout) -> bytes:
    regular, bold = FONTS[layout.family]
    size = layout.size
    body = ParagraphStyle("body", fontName=regular, fontSize=size + 1, leading=(size + 1) * 1.3)
    heading = ParagraphStyle("heading", fontName=bold, fontSize=size + 3, leading=(size + 3) * 1.25, spaceBefore=8)
    title = ParagraphStyle("title", fontName=bold, fontSize=size + 8, leading=(size + 8) * 1.2, alignment=1)
    centred = ParagraphStyle("centred", parent=heading, alignment=1)
    pagesize = page_size(layout)
    width = pagesize[0] - 2 * MARGIN
    story: list[Any] = [
        Paragraph(doc.kicker, centred),
        Paragraph("<br/>".join(escape(line) for line in doc.title_lines), title),
        Paragraph(escape(doc.period_line), centred),
        Spacer(1, 12),
        Paragraph("Summary", heading),
        *(Paragraph(escape(text), body) for text in doc.summary),
    ]
    bullet = "• " if layout.contents == "bullets" else ""
    story += [Paragraph(escape(bullet + line), body) for line in doc.contents]
    for section in doc.sections:
        story.append(Paragraph(escape(section.heading), heading))
        story += [Paragraph(escape(text), body) for text in section.paragraphs]
        if section.table is not None:
            story += [Spacer(1, 4), _table(section.table, layout, width), Spacer(1, 10)]
    out = io.BytesIO()
    template = SimpleDocTemplate(
        out,
        pagesize=pagesize,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=" ".join(doc.title_lines),
    )
    template.build(story, canvasmaker=_footer_canvas(layout))
    return out.getvalue()
