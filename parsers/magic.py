"""Cheap refusals before pdfminer sees a file (no pdfminer import here: the parent uses it)."""

from __future__ import annotations

import re

from parsers.errors import EmptyFile, NotAPdf


def check_magic(data: bytes) -> None:
    """Refuse what is not a PDF before pdfminer sees it, with a reason a person can act on."""
    if not data:
        raise EmptyFile("empty file (0 bytes)")
    head = data[:1024]
    if b"%PDF-" not in head:
        if re.search(rb"<(!doctype\s+html|html|head|body)", head, re.IGNORECASE):
            raise NotAPdf("an HTML page, not a PDF (a web error page saved as .pdf?)")
        raise NotAPdf("not a PDF: no %PDF- header in the first 1 KiB")
