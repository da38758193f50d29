"""PDF bytes → positioned words per page, with pdfminer.six's raw character API.

pdfminer's layout analysis is skipped on purpose: it merges neighbouring table cells into one
text line (``Assault (Convicted) 11/19/2016``) and costs ~40% of the time. We only need each
glyph's text, left/right edge, baseline and size; words and lines are rebuilt from geometry.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from pdfminer.converter import PDFLayoutAnalyzer
from pdfminer.pdfdevice import PDFTextSeq
from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdffont import PDFFont, PDFUnicodeNotDefined
from pdfminer.pdfinterp import PDFGraphicState, PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFObjRef, PDFStream, stream_value
from pdfminer.psparser import PSKeyword, keyword_name
from pdfminer.utils import Matrix, Point, apply_matrix_rect

from parsers.content import content_objects
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


def _glyph_text(font: PDFFont, cid: int) -> str:
    try:
        text = font.to_unichr(cid)
    except PDFUnicodeNotDefined:
        return ""
    return _LIGATURES.get(text, text)


class _GlyphCollector(PDFLayoutAnalyzer):
    """A pdfminer device that records glyphs as tuples and ignores paths and images."""

    def __init__(self, rsrcmgr: PDFResourceManager) -> None:
        super().__init__(rsrcmgr, laparams=None)
        self.glyphs: list[Glyph] = []
        # Per font, per character code: (text, width). Both are pure lookups in the font.
        self._glyph_info: dict[PDFFont, dict[int, tuple[str, float]]] = {}

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
        text = _glyph_text(font, cid)
        adv = font.char_width(cid) * fontsize * scaling
        if font.is_vertical():
            return adv
        descent = font.get_descent() * fontsize
        x0, y0, x1, y1 = apply_matrix_rect(matrix, (0, descent + rise, adv, descent + rise + fontsize))
        a, b, c, d, _, _ = matrix
        if text and a * d * scaling > 0 and b * c <= 0 and abs(b) < 1e-6 and abs(c) < 1e-6:
            self.glyphs.append(Glyph(text, min(x0, x1), max(x0, x1), min(y0, y1), abs(y1 - y0)))
        return adv

    def render_string_horizontal(  # noqa: PLR0913 — pdfminer's signature
        self,
        seq: PDFTextSeq,
        matrix: Matrix,
        pos: Point,
        font: PDFFont,
        fontsize: float,
        scaling: float,
        charspace: float,
        wordspace: float,
        rise: float,
        dxscale: float,
        ncs: object,
        graphicstate: PDFGraphicState,
    ) -> Point:
        """pdfminer's loop over a string's glyphs with ``render_char`` inlined: it ran once per
        glyph, 43,000 times on report 1. The arithmetic is pdfminer's, term for term
        (``translate_matrix`` then ``apply_matrix_rect``), so every coordinate is the same float."""
        x, y = pos
        a, b, c, d, e, f = matrix
        upright = a * d * scaling > 0 and b * c <= 0 and abs(b) < 1e-6 and abs(c) < 1e-6
        axis_aligned = b == 0 and c == 0
        descent = font.get_descent() * fontsize
        bottom, top = descent + rise, descent + rise + fontsize
        # y does not move along a horizontal string: an axis-aligned glyph's bottom and height
        # are the string's.
        ty = y * d + f
        low, high = d * bottom + ty, d * top + ty
        if high < low:
            low, high = high, low
        height = abs(high - low)
        new_glyph = tuple.__new__  # Glyph(...) without the namedtuple's Python-level __new__
        glyphs = self._glyph_info.setdefault(font, {})
        record = self.glyphs.append
        needcharspace = False
        for obj in seq:
            if isinstance(obj, (int, float)):
                x -= obj * dxscale
                needcharspace = True
            elif isinstance(obj, bytes):
                for cid in font.decode(obj):
                    if needcharspace:
                        x += charspace
                    info = glyphs.get(cid)
                    if info is None:
                        info = glyphs[cid] = (_glyph_text(font, cid), font.char_width(cid))
                    text, width = info
                    adv = width * fontsize * scaling
                    if upright and text and axis_aligned:
                        # b == c == 0: pdfminer's terms in b and c are zeros, the rest is this.
                        left = x * a + e
                        right = a * adv + left
                        if right < left:
                            left, right = right, left
                        record(new_glyph(Glyph, (text, left, right, low, height)))
                    elif upright and text:
                        tx, ty = x * a + y * c + e, x * b + y * d + f
                        left1, bottom1 = a * 0 + c * bottom + tx, b * 0 + d * bottom + ty
                        right1, bottom2 = a * adv + c * bottom + tx, b * adv + d * bottom + ty
                        right2, top1 = a * adv + c * top + tx, b * adv + d * top + ty
                        left2, top2 = a * 0 + c * top + tx, b * 0 + d * top + ty
                        x0, x1 = min(left1, left2, right1, right2), max(left1, left2, right1, right2)
                        y0, y1 = min(bottom1, bottom2, top1, top2), max(bottom1, bottom2, top1, top2)
                        record(Glyph(text, min(x0, x1), max(x0, x1), min(y0, y1), abs(y1 - y0)))
                    x += adv
                    if cid == 32 and wordspace:
                        x += wordspace
                    needcharspace = True
        return (x, y)

    def paint_path(self, *args: object, **kwargs: object) -> None:
        return None

    def render_image(self, *args: object, **kwargs: object) -> None:
        return None

    def take(self) -> list[Glyph]:
        glyphs, self.glyphs = self.glyphs, []
        return glyphs


class _Interpreter(PDFPageInterpreter):
    """pdfminer's interpreter reading content streams with ``parsers.content`` (one regex
    match per token) instead of its character-level parser: same operators, same order."""

    def execute(self, streams: Sequence[object]) -> None:
        data = self._content(streams)
        if data is None:
            return
        operators: dict[PSKeyword, tuple[Callable[..., None], int] | None] = {}
        for obj in content_objects(data):
            if not isinstance(obj, PSKeyword):
                self.argstack.append(obj)
                continue
            if obj in operators:
                operator = operators[obj]
            else:
                operator = operators[obj] = self._operator(obj)
            if operator is None:
                continue
            method, arity = operator
            if arity:
                # pdfminer's pop(), in place: the operands go whether or not there were enough.
                stack = self.argstack
                args = stack[-arity:]
                del stack[-arity:]
                if len(args) == arity:
                    method(*args)
            else:
                method()

    def _content(self, streams: Sequence[object]) -> bytes | None:
        """The page's streams as one, minus any already being run further up (a form that
        draws itself: pdfminer's guard against endless recursion, kept as it is there)."""
        valid: list[PDFStream] = []
        self.stream_ids.clear()
        for obj in streams:
            stream = stream_value(obj)
            if stream.objid is None or stream.objid in self.parent_stream_ids:
                continue
            valid.append(stream)
            self.stream_ids.add(stream.objid)
        if not valid:
            return None
        # pdfminer reads a token cut by a stream boundary as if white space stood there.
        return b"\n".join(stream.get_data() for stream in valid)

    def _operator(self, keyword: PSKeyword) -> tuple[Callable[..., None], int] | None:
        """The ``do_*`` method pdfminer would call for ``keyword``, and its argument count."""
        name = keyword_name(keyword).replace("*", "_a").replace('"', "_w").replace("'", "_q")
        method: Any = getattr(self, f"do_{name}", None)
        if method is None:
            return None
        return method, method.__code__.co_argcount - 1


def words_from_glyphs(glyphs: list[Glyph]) -> tuple[Word, ...]:
    """Group glyphs into words: same baseline, no space glyph and no gap wider than a space."""
    if not glyphs:
        return ()
    # Top to bottom, then left to right on one baseline. Glyphs of one line can differ by a
    # fraction of a point in y; cluster by tolerance.
    lines: list[list[Glyph]] = []
    current: list[Glyph] = []
    line_y = 0.0
    for glyph in sorted(glyphs, key=lambda g: (-g.y, g.x0)):
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
    interpreter = _Interpreter(rsrcmgr, device)
    for number, pdfpage in enumerate(PDFPage.create_pages(document), start=1):
        if number > max_pages:
            raise TooManyPages(f"more than {max_pages} pages")
        interpreter.process_page(pdfpage)
        x0, y0, x1, y1 = pdfpage.mediabox
        width, height = abs(x1 - x0), abs(y1 - y0)
        if pdfpage.rotate % 180:
            width, height = height, width
        yield Page(number, width, height, words_from_glyphs(device.take()))
