"""What the rendered PDF itself says: its page count and, from the row links each renderer
wraps around every table cell, the page on which each row starts (never assumed)."""

from __future__ import annotations

import io

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1

from tests.corpus.model import ROW_LINK


def row_pages(data: bytes) -> tuple[int, dict[str, int]]:
    """(page count, {row id: first page that holds a link to it})."""
    document = PDFDocument(PDFParser(io.BytesIO(data)))
    first: dict[str, int] = {}
    count = 0
    for number, page in enumerate(PDFPage.create_pages(document), start=1):
        count = number
        for annot in resolve1(page.annots) or []:
            action = resolve1(resolve1(annot).get("A")) or {}
            uri = resolve1(action.get("URI"))
            if isinstance(uri, bytes):
                uri = uri.decode("latin-1")
            if isinstance(uri, str) and uri.startswith(ROW_LINK):
                first.setdefault(uri[len(ROW_LINK) :], number)
    return count, first
