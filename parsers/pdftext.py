"""PDF bytes → positioned words per page, with pdfminer.six's raw character API.

pdfminer's layout analysis is skipped on purpose: it merges neighbouring table cells into one
text line (``Assault (Convicted) 11/19/2016``) and costs ~40% of the time. We only need each
glyph's text, left/right edge, baseline and size; words and lines are rebuilt from geometry.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import NamedTuple

from pdfminer.converter import PDFLayoutAnalyzer
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdffont import PDFFont, PDFUnicodeNotDefined
from pdfminer.pdfinterp import PDFGraphicState, PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFObjRef
from pdfminer.utils import Matrix, apply_matrix_rect

from parsers.errors import EncryptedPdf, TooManyPages

# pdfminer evaluates its debug logging per glyph when a handler is live (measured ~2.7×
# slower under Scrapy's logging set-up); keep it quiet whatever the host configured.
logging.getLogger("pdfminer").setLevel(logging.WARNING)


# Typographic ligatures (U+FB00–FB06) that browsers and some office suites emit as one glyph:
# "Inﬂuence" must read "Influence" or it will never match the same offence in another report.
_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}


class Glyph(NamedTuple):
    text: str
    x0: float
    x1: float
    y: float  # bottom of the glyph box, PDF user space (grows upwards)
    size: float


class Word(NamedTuple):
    text: str
    x0: float
    x1: float
    y: float
    size: float


class Page(NamedTuple):
    number: int  # 1-based
    width: float
    height: float
    words: tuple[Word, ...]


class _GlyphCollector(PDFLayoutAnalyzer):
    """A pdfminer device that records glyphs as tuples and ignores paths and images."""

    def __init__(self, rsrcmgr: PDFResourceManager) -> None:
        super().__init__(rsrcmgr, laparams=None)
        self.glyphs: list[Glyph] = []

    def render_char(  # noqa: PLR0913 — pdfminer's signature
        self,
        matrix: Matrix,
        font: PDFFont,
        fontsize: float,
        scaling: float,
        rise: float,
        cid: int,
        ncs: object,
        graphicstate: PDFGraphicState,
    ) -> float:
        try:
            text = font.to_unichr(cid)
        except PDFUnicodeNotDefined:
            text = ""
        text = _LIGATURES.get(text, text)
        adv = font.char_width(cid) * fontsize * scaling
        if font.is_vertical():
            return adv
        descent = font.get_descent() * fontsize
        x0, y0, x1, y1 = apply_matrix_rect(matrix, (0, descent + rise, adv, descent + rise + fontsize))
        a, b, c, d, _, _ = matrix
        if text and a * d * scaling > 0 and b * c <= 0 and abs(b) < 1e-6 and abs(c) < 1e-6:
            self.glyphs.append(Glyph(text, min(x0, x1), max(x0, x1), min(y0, y1), abs(y1 - y0)))
        return adv

    def paint_path(self, *args: object, **kwargs: object) -> None:
        return None

    def render_image(self, *args: object, **kwargs: object) -> None:
        return None

    def take(self) -> list[Glyph]:
        glyphs, self.glyphs = self.glyphs, []
        return glyphs


def words_from_glyphs(glyphs: list[Glyph]) -> tuple[Word, ...]:
    """Group glyphs into words: same baseline, no space glyph and no gap wider than a space."""
    if not glyphs:
        return ()
    ordered = sorted(glyphs, key=lambda g: (-round(g.y, 0), g.x0))
    # Glyphs of one line can differ by a fraction of a point in y; cluster by tolerance.
    lines: list[list[Glyph]] = []
    current: list[Glyph] = []
    line_y = 0.0
    for glyph in sorted(ordered, key=lambda g: -g.y):
        if current and abs(glyph.y - line_y) <= max(1.0, 0.25 * glyph.size):
            current.append(glyph)
        else:
            if current:
                lines.append(current)
            current, line_y = [glyph], glyph.y
    lines.append(current)
    words: list[Word] = []
    for line in lines:
        line.sort(key=lambda g: g.x0)
        text: list[str] = []
        start = end = 0.0
        base = size = 0.0
        for glyph in line:
            is_space = glyph.text.isspace()
            gap = glyph.x0 - end
            if text and (is_space or gap > 0.2 * max(glyph.size, size)):
                words.append(Word("".join(text), start, end, base, size))
                text = []
            if is_space:
                continue
            if not text:
                start, base, size = glyph.x0, glyph.y, glyph.size
            text.append(glyph.text)
            end = glyph.x1
        if text:
            words.append(Word("".join(text), start, end, base, size))
    return tuple(words)


def _open(data: bytes) -> tuple[PDFDocument, PDFParser]:
    parser = PDFParser(io.BytesIO(data))
    try:
        document = PDFDocument(parser)
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise EncryptedPdf(f"encrypted PDF that needs a password ({type(exc).__name__})") from exc
    return document, parser


def count_pages(document: PDFDocument) -> int | None:
    """The page count the document's catalog declares, without walking the page tree."""
    try:
        pages = document.catalog.get("Pages")
        while isinstance(pages, PDFObjRef):
            pages = pages.resolve()
        count = pages.get("Count") if isinstance(pages, dict) else None
        while isinstance(count, PDFObjRef):
            count = count.resolve()
        return int(count) if isinstance(count, int) else None
    except Exception:  # noqa: BLE001 — a broken catalog just means "unknown", the walk decides
        return None


def read_pages(data: bytes, max_pages: int) -> Iterator[Page]:
    """Yield each page's words; refuses documents over ``max_pages`` before reading them."""
    document, _parser = _open(data)
    declared = count_pages(document)
    if declared is not None and declared > max_pages:
        raise TooManyPages(f"{declared} pages, over the limit of {max_pages}")
    rsrcmgr = PDFResourceManager(caching=True)
    device = _GlyphCollector(rsrcmgr)
    interpreter = PDFPageInterpreter(rsrcmgr, device)
    for number, pdfpage in enumerate(PDFPage.create_pages(document), start=1):
        if number > max_pages:
            raise TooManyPages(f"more than {max_pages} pages")
        interpreter.process_page(pdfpage)
        x0, y0, x1, y1 = pdfpage.mediabox
        width, height = abs(x1 - x0), abs(y1 - y0)
        if pdfpage.rotate % 180:
            width, height = height, width
        yield Page(number, width, height, words_from_glyphs(device.take()))
