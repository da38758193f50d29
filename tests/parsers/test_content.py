"""The fast content-stream reader (parsers/content.py) and the inlined glyph loop
(parsers/pdftext.py) against pdfminer's own: the same objects, the same glyphs, float for float.

pdfminer is the reference here, not a hand-written expectation: these tests fail as soon as
ours reads any stream differently from the code it replaces."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pdfminer.pdfdevice import PDFTextDevice
from pdfminer.pdfinterp import PDFContentParser, PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import PDFStream
from pdfminer.psparser import PSEOF, PSKeyword, PSLiteral

from parsers import pdftext
from parsers.content import content_objects

REPO = Path(__file__).resolve().parents[2]
PDFS = sorted((REPO / "ddor" / "demo_site" / "doclib" / "ddor").glob("*.pdf")) + sorted(
    (REPO / "tests" / "corpus" / "pdfs").glob("*.pdf")
)


def comparable(obj: Any) -> Any:
    """Objects as plain values: pdfminer's keywords and names are interned (compare by
    identity), streams are not (compare their dictionary and bytes)."""
    if isinstance(obj, PSKeyword):
        return ("keyword", obj.name)
    if isinstance(obj, PSLiteral):
        return ("name", obj.name)
    if isinstance(obj, PDFStream):
        return ("stream", comparable(obj.attrs), obj.rawdata)
    if isinstance(obj, list):
        return [comparable(item) for item in obj]
    if isinstance(obj, dict):
        return {key: comparable(value) for key, value in obj.items()}
    return (type(obj).__name__, obj)


def pdfminer_objects(data: bytes) -> list[Any]:
    parser = PDFContentParser([PDFStream({}, data)])
    objects = []
    while True:
        try:
            objects.append(parser.nextobject()[1])
        except PSEOF:
            return objects


def outcome(read: Any) -> Any:
    """What reading gives: its objects, or the type of error it stopped with."""
    try:
        return [comparable(obj) for obj in read()]
    except Exception:  # noqa: BLE001 — both readers must fail alike (pdfminer's octal check is an assert)
        return "error"


def page_streams(path: Path) -> Iterator[bytes]:
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    document = PDFDocument(PDFParser(io.BytesIO(path.read_bytes())))
    for page in PDFPage.create_pages(document):
        contents = page.contents
        yield b"\n".join(stream.get_data() for stream in contents)


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.stem)
def test_every_page_of_the_corpus_reads_as_pdfminer_reads_it(path: Path) -> None:
    pages = list(page_streams(path))
    assert pages
    for number, data in enumerate(pages, start=1):
        ours = [comparable(obj) for obj in content_objects(data)]
        assert ours == [comparable(obj) for obj in pdfminer_objects(data)], f"page {number}"


class _ReferenceCollector(pdftext._GlyphCollector):
    """Our device with pdfminer's own per-glyph loop (render_char once per glyph)."""

    render_string_horizontal = PDFTextDevice.render_string_horizontal  # type: ignore[assignment]


def glyphs(path: Path, device_class: type[pdftext._GlyphCollector], interpreter_class: type[Any]) -> list[Any]:
    document, _parser = pdftext._open(path.read_bytes())
    rsrcmgr = PDFResourceManager(caching=True)
    device = device_class(rsrcmgr)
    interpreter = interpreter_class(rsrcmgr, device)
    pages = []
    for page in PDFPage.create_pages(document):
        interpreter.process_page(page)
        pages.append(device.take())
    return pages


@pytest.mark.parametrize("path", PDFS[:6], ids=lambda p: p.stem)
def test_glyphs_are_the_ones_pdfminer_own_loop_and_parser_give(path: Path) -> None:
    ours = glyphs(path, pdftext._GlyphCollector, pdftext._Interpreter)
    reference = glyphs(path, _ReferenceCollector, PDFPageInterpreter)
    assert sum(len(page) for page in ours) > 100
    assert ours == reference


# Fragments a content stream is made of, well-formed and not: whatever the mix, both readers
# must agree (objects, or failing alike).
# One line per kind of token reads better than one fragment a line.
# fmt: off
FRAGMENTS = [
    b"BT", b"ET", b"Tj", b"TJ", b"T*", b"'", b'"', b"Td", b"q", b"Q", b"cm", b"true", b"false",
    b"0", b"12", b"-3", b"+4", b"1.5", b"-.25", b"+.5", b"3.", b".", b"-", b"+", b"1.2.3", b"--5",
    b"/F1", b"/A#42C", b"/A#4", b"/#", b"/", b"/caf\xc3\xa9", b"/\xff",
    b"(Hello)", b"(a(b)c)", b"(x\\)y)", b"(\\101\\1012)", b"(\\n\\t\\\\)", b"(a\\\r\nb)", b"(a\\qb)",
    b"(\\777)", b"(unclosed", b"()", b"<48656C6C6F>", b"<4 8 6>", b"<414>", b"<41", b"<>",
    b"[", b"]", b"<<", b">>", b"{", b"}", b">", b"% a comment\n", b"%x", b"\x00", b"#", b")", b"\\",
    b"BI /W 2 /H 1 /BPC 8 /CS /G ID \x01\x02 EI ", b"BI /W 1 ID ab EI\n", b"ID", b"EI",
    b"BI /F /A85 ID 87cURD]i,\"Ebo80~> EI ", b"BI /W ID x EI ", b"[ BI /W 1 ID z EI ]",
    b"[(Ab)-12.5(c)]", b"[<0041>3<00420043>-.5<>()]", b"[1.5.3 -.5+4 7.]", b"[<41 42>(a\\)b)]",
    b"[(x)<41>>]", b"[ 1 2 ] TJ", b"[%c\n1]", b"[\x001]", b"[(a(b))]", b"[12x]", b"[-.]",
]
# fmt: on
SEPARATORS = [b" ", b"\n", b"\r\n", b"", b"\t", b"\x0c"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FRAGMENTS), st.sampled_from(SEPARATORS)), max_size=30))
def test_generated_streams_read_as_pdfminer_reads_them(parts: list[tuple[bytes, bytes]]) -> None:
    data = b"".join(fragment + separator for fragment, separator in parts)
    assert outcome(lambda: content_objects(data)) == outcome(lambda: pdfminer_objects(data))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_read_as_pdfminer_reads_them(data: bytes) -> None:
    assert outcome(lambda: content_objects(data)) == outcome(lambda: pdfminer_objects(data))
